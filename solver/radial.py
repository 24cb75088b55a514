"""A spherically symmetric particle (or a plane-strain cylinder), 1D in the reference radius R:
Li diffusion and J2 elastoplasticity with small or finite strain.

Why: Si swells by 280%, and the 3D solver is small strain (2D models have finite strain,
solver/kinematics.py). In a sphere (and an axisymmetric cylinder) the principal axes (r, theta,
phi or z) never rotate, so the multiplicative split F = Fe Fc Fp with a Hencky (logarithmic)
elastic energy reduces exactly to additive logarithmic strains,

    ln F = diag(ln(1 + u'), ln(1 + u/R), ln(1 + u/R)) = eps_e + ln(J_c)/3 I + eps_p,

with J_c = 1 + expansion c the chemical volume ratio and eps_p deviatoric (isochoric flow). The J2
radial return on the stress of the intermediate (lithiated) configuration is then exact in log
strain (Eterovic & Bathe 1990; Simo 1992). This measures what the small-strain kinematics costs
on the c-Si hoop-stress case, with everything else (diffusion, moduli, yield) shared, and is the
1D reference of the 2D finite-strain solver (tests/test_finite_strain.py).

Small strain: eps = diag(u', u/R, u/R), chemical strain (expansion / 3) c, volume factor 1.
Finite strain: the energy per reference volume is J_c psi(eps_e) (psi per lithiated volume, the
solver's quadratic isotropic energy), its stress tau = dpsi/deps_e (a Kirchhoff stress of the
lithiated configuration); the Cauchy stress is tau / J_e with J_e = exp(tr eps_e).
Li diffusion runs in the reference configuration (c per reference Si volume, as in the materials
library), so both kinematics see the same c(R, t); stress does not act on diffusion here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import basix.ufl
import numpy as np
import ufl
from dolfinx import fem, mesh as dmesh
from dolfinx.fem.petsc import NonlinearProblem
from mpi4py import MPI

from solver import diffusion, elasticity, plasticity

KINEMATICS = ("small", "finite")
#: "sphere": a particle; "cylinder": a long wire in plane strain (no axial strain, e_zz = 0).
SHAPES = ("sphere", "cylinder")


@dataclass
class RadialSettings:
    """One potentiostatic first-lithiation run of a sphere or cylinder (nm, s, GPa)."""

    material: dict  # resolved material values (solver.materials.get(name).values() plus overrides)
    radius: float
    kinematics: str = "small"
    shape: str = "sphere"
    plastic: bool = True
    surface_concentration: float = 0.98
    c_initial: float = 0.0
    soc_end: float = 0.6
    cell_size: float = 0.5
    dt_initial: float = 1e-3
    dt_max: float = 10.0
    dc_target: float = 0.2
    max_steps: int = 20000

    def __post_init__(self) -> None:
        if self.kinematics not in KINEMATICS:
            raise ValueError(f"kinematics must be one of {KINEMATICS}, not {self.kinematics!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, not {self.shape!r}")
        if self.radius <= 0 or self.cell_size <= 0:
            raise ValueError("radius and cell_size must be positive")


@dataclass
class RadialHistory:
    """Per accepted step: time, SOC (volume mean of c), surface Cauchy hoop stress (GPa),
    surface stretch r/R, largest equivalent plastic strain."""

    time: list[float] = field(default_factory=list)
    soc: list[float] = field(default_factory=list)
    hoop: list[float] = field(default_factory=list)
    stretch: list[float] = field(default_factory=list)
    plastic: list[float] = field(default_factory=list)

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.__dict__.items()}


class RadialParticle:
    """Builds the diffusion and mechanics problems on [0, radius]; `run()` steps to soc_end."""

    def __init__(self, s: RadialSettings, comm: MPI.Comm) -> None:
        self.s, m = s, s.material
        self.mesh = dmesh.create_interval(comm, max(2, round(s.radius / s.cell_size)), [0.0, s.radius])
        self.R = ufl.SpatialCoordinate(self.mesh)[0]
        sphere = s.shape == "sphere"
        self.w = self.R ** 2 if sphere else self.R  # volume weight
        self.volume = s.radius ** 3 / 3 if sphere else s.radius ** 2 / 2  # int w dR
        self.c = fem.Function(fem.functionspace(self.mesh, ("Lagrange", 1)), name="c")
        self.c.x.array[:] = s.c_initial
        self.c_old = self.c.copy()
        self.u = fem.Function(fem.functionspace(self.mesh, ("Lagrange", 2)), name="u")
        self.dt = fem.Constant(self.mesh, s.dt_initial)
        self.dx = ufl.Measure("dx", self.mesh, metadata={"quadrature_degree": 4})
        self.eps_p_old = fem.Function(self._quadrature_space((3,)), name="plastic_strain")
        self.p_old = fem.Function(self._quadrature_space(()), name="equivalent_plastic_strain")
        self._outer = dmesh.locate_entities_boundary(self.mesh, 0, lambda x: np.isclose(x[0], s.radius))
        c = self.c
        self.E = m["E"] + (m["E_lithiated"] - m["E"]) * c
        self.nu = m["nu"] + (m["nu_lithiated"] - m["nu"]) * c
        self._build_diffusion()
        self._build_mechanics()

    def _quadrature_space(self, shape: tuple) -> fem.FunctionSpace:
        """Values at the quadrature points of the mechanics forms (degree 4)."""
        return fem.functionspace(self.mesh, basix.ufl.quadrature_element(self.mesh.topology.cell_name(),
                                                                         value_shape=shape, degree=4))

    # --- laws -------------------------------------------------------------------------------
    def _total_strain(self, u) -> ufl.core.expr.Expr:
        """diag(u', u/R, u/R) (small) or its logarithm (finite); the stretches stay positive.
        The third entry is the second hoop direction of a sphere, the (zero) axial strain of a
        plane-strain cylinder."""
        er, et = u.dx(0), u / self.R
        if self.s.kinematics == "finite":
            er, et = ufl.ln(1 + er), ufl.ln(1 + et)
        ez = et if self.s.shape == "sphere" else 0 * et
        return ufl.as_matrix([[er, 0, 0], [0, et, 0], [0, 0, ez]])

    def _chemical(self) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr]:
        """(isotropic chemical strain, volume factor of the energy per reference volume)."""
        e = self.s.material["expansion"]
        if self.s.kinematics == "finite":
            jc = 1 + e * self.c
            return ufl.ln(jc) / 3, jc
        return e / 3 * self.c, 1.0

    # --- problems ---------------------------------------------------------------------------
    def _build_diffusion(self) -> None:
        m, v = self.s.material, ufl.TestFunction(self.c.function_space)
        D = diffusion.diffusivity(self.c, m["diffusivity_law"], m["diffusivity"], m["diffusivity_lithiated"],
                                  m.get("diffusivity_omega", 0.0))
        backward_euler = (1.0, -1.0, 0.0)
        F = diffusion.residual(self.c, (self.c_old, self.c_old), backward_euler, v, self.dt, D, self.dx,
                               weight=self.w)
        V = self.c.function_space
        surface = fem.locate_dofs_topological(V, 0, self._outer)
        self._free = np.setdiff1d(np.arange(V.dofmap.index_map.size_local), surface)
        bc = fem.dirichletbc(fem.Constant(self.mesh, self.s.surface_concentration), surface, V)
        self.diffusion = NonlinearProblem(F, self.c, bcs=[bc], petsc_options_prefix="sifrac_radial_c_",
                                          petsc_options=_newton_options())

    def _build_mechanics(self) -> None:
        m, v = self.s.material, ufl.TestFunction(self.u.function_space)
        chem, jc = self._chemical()
        eps_p_old = ufl.as_matrix([[self.eps_p_old[0], 0, 0], [0, self.eps_p_old[1], 0], [0, 0, self.eps_p_old[2]]])
        trial = self._total_strain(self.u) - chem * ufl.Identity(3) - eps_p_old
        _, mu = elasticity.lame(self.E, self.nu)
        if self.s.plastic:
            sigma_y = plasticity.yield_stress(self.c, m["yield_stress_pristine"], m["yield_stress"])
            deps, dp = plasticity.radial_return(trial, mu, sigma_y, m.get("hardening", 0.0), self.p_old, 1.0)
        else:
            deps, dp = 0 * trial, 0 * self.p_old
        eps_e = ufl.variable(trial - deps)
        tau = ufl.diff(elasticity.elastic_energy(eps_e, self.E, self.nu), eps_e)
        deps_total = ufl.derivative(self._total_strain(self.u), self.u, v)
        F = jc * ufl.inner(tau, deps_total) * self.w * self.dx
        V = self.u.function_space
        centre = dmesh.locate_entities_boundary(self.mesh, 0, lambda x: np.isclose(x[0], 0.0))
        bc = fem.dirichletbc(0.0, fem.locate_dofs_topological(V, 0, centre), V)
        # The residual is a force times R^2: its round-off floor grows with E R^2.
        opts = _newton_options() | {"snes_linesearch_type": "bt", "snes_atol": 1e-12 * m["E"] * self.s.radius ** 2}
        self.mechanics = NonlinearProblem(F, self.u, bcs=[bc], petsc_options_prefix=f"sifrac_radial_u_{self.s.kinematics}_",
                                          petsc_options=opts)
        cauchy = tau / ufl.exp(ufl.tr(eps_e)) if self.s.kinematics == "finite" else tau
        points = self.p_old.function_space.element.interpolation_points
        new_eps_p = self.eps_p_old + ufl.as_vector([deps[0, 0], deps[1, 1], deps[2, 2]])
        self._update = [(f, fem.Expression(e, points), fem.Function(f.function_space))
                        for f, e in ((self.eps_p_old, new_eps_p), (self.p_old, self.p_old + dp))]
        self._profile = fem.Expression(ufl.as_vector([self.R, self.R + self.u, 1 + self.u.dx(0), self.c,
                                                      cauchy[0, 0], cauchy[1, 1]]), points)
        self._surface_cell = self._outer_cell()
        self._li_form = fem.form(self.c * self.w * self.dx)
        dofs = fem.locate_dofs_topological(V, 0, self._outer)
        self._u_surface_dof = dofs[dofs < V.dofmap.index_map.size_local]  # owned: on one rank only

    def _outer_cell(self) -> np.ndarray:
        """The owned cell touching R = radius (on one rank only)."""
        self.mesh.topology.create_connectivity(0, 1)
        v2c = self.mesh.topology.connectivity(0, 1)
        cells = np.unique(np.concatenate([v2c.links(v) for v in self._outer] or [np.empty(0, np.int32)]))
        return cells[cells < self.mesh.topology.index_map(1).size_local].astype(np.int32)

    # --- evaluation -------------------------------------------------------------------------
    def _surface_hoop(self) -> float:
        """Cauchy hoop stress at the outermost quadrature point (a few percent of a cell inside)."""
        val = 0.0
        if self._surface_cell.size:
            vals = self._profile.eval(self.mesh, self._surface_cell).reshape(-1, 6)
            val = float(vals[np.argmax(vals[:, 0]), 5])  # sigma_theta at the largest R
        return self.mesh.comm.allreduce(val, op=MPI.SUM)

    def profile(self) -> dict[str, np.ndarray]:
        """Quadrature-point values on every rank, sorted by R: reference and current radius, radial
        stretch, c, Cauchy radial and hoop stress."""
        cells = np.arange(self.mesh.topology.index_map(1).size_local, dtype=np.int32)
        vals = np.concatenate(self.mesh.comm.allgather(self._profile.eval(self.mesh, cells).reshape(-1, 6)))
        vals = vals[np.argsort(vals[:, 0])]
        return dict(zip(("R", "r", "stretch_r", "c", "sigma_r", "sigma_theta"), vals.T))

    def soc(self) -> float:
        """Volume mean of c over the reference body."""
        return self.mesh.comm.allreduce(fem.assemble_scalar(self._li_form), op=MPI.SUM) / self.volume

    def _record(self, h: RadialHistory, t: float) -> None:
        h.time.append(t)
        h.soc.append(self.soc())
        h.hoop.append(self._surface_hoop())
        u_surface = self.mesh.comm.allreduce(float(self.u.x.array[self._u_surface_dof].sum()), op=MPI.SUM)
        h.stretch.append(1 + u_surface / self.s.radius)
        h.plastic.append(self.mesh.comm.allreduce(float(np.max(self.p_old.x.array, initial=0.0)), op=MPI.MAX))

    # --- stepping ---------------------------------------------------------------------------
    def _solve(self, problem: NonlinearProblem) -> bool:
        problem.solve()
        return problem.solver.getConvergedReason() > 0

    def run(self, on_step: Callable[[RadialParticle], None] | None = None) -> RadialHistory:
        """Steps until the SOC reaches soc_end: dt follows dc_target (largest nodal change of c),
        halved and retried when a Newton solve fails; the plastic state moves on accepted steps.
        `on_step(self)` is called after each accepted step (and the initial state)."""
        s, h, t = self.s, RadialHistory(), 0.0
        if not self._solve(self.mechanics):
            raise RuntimeError("radial mechanics did not converge at the initial state")
        self._commit()
        self._record(h, t)
        if on_step:
            on_step(self)
        u_old = self.u.x.array.copy()
        for _ in range(s.max_steps):
            if h.soc[-1] >= s.soc_end - 1e-9:
                return h
            ok = self._solve(self.diffusion) and self._solve(self.mechanics)
            dc = np.abs(self.c.x.array - self.c_old.x.array)[self._free]  # the imposed surface value jumps
            change = self.mesh.comm.allreduce(float(np.max(dc, initial=0.0)), op=MPI.MAX) if ok else np.inf
            if not ok or change > 2 * s.dc_target:
                self.c.x.array[:], self.u.x.array[:] = self.c_old.x.array, u_old
                self.dt.value = float(self.dt.value) / 2
                if float(self.dt.value) < 1e-9:
                    raise RuntimeError(f"radial run: step too small at t = {t:.6g} s (SOC {h.soc[-1]:.4f})")
                continue
            t += float(self.dt.value)
            self._commit()
            self._record(h, t)
            if on_step:
                on_step(self)
            self.c_old.x.array[:], u_old = self.c.x.array, self.u.x.array.copy()
            self.dt.value = min(s.dt_max, float(self.dt.value) * min(1.5, s.dc_target / max(change, 1e-12)))
        raise RuntimeError(f"radial run: {s.max_steps} steps without reaching SOC {s.soc_end}")

    def _commit(self) -> None:
        """Evaluate both returned fields first, then store them (each expression reads both)."""
        for _, expr, tmp in self._update:
            tmp.interpolate(expr)
        for f, _, tmp in self._update:
            f.x.array[:] = tmp.x.array


def _newton_options() -> dict:
    """Newton with a direct solve (a 1D problem); convergence is checked after every solve."""
    return {"snes_type": "newtonls", "snes_linesearch_type": "basic", "snes_rtol": 1e-10, "snes_atol": 1e-12,
            "snes_stol": 1e-12, "snes_max_it": 50, "ksp_type": "preonly", "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps", "snes_error_if_not_converged": False}
