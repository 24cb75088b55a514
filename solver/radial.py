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

Reaction-limited front (`front = "reaction"`, docs/notes/front-model.md section 4): a sharp front
at the reference radius R_f, smoothed with the travelling-wave profile phi = 1 / (1 + exp(-4 sqrt2
(R - R_f) / l0)), c = x h(phi), h = 3 phi^2 - 2 phi^3, x the composition of the lithiated phase
(c_L behind the first front). In 1D the front position is a monotone function of the lithiated
volume, so R_f is stepped inward (the SOC follows); the front law of Zhang et al. 2016,
v = v_110 r exp(-B p / kT), read with the pressure p from the mechanics, only sets the time axis.
The lithiated phase follows one LixSi law of x (`solver/lixsi.py`), the pristine core keeps the
material's E, nu and stays elastic; a second, front-free step (a-Si: Li2.5Si -> Li3.75Si) is the
diffusion above with x as the unknown, started when the front has consumed the core.
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

from sifrac.solver import diffusion, elasticity, front, lixsi, plasticity

KINEMATICS = ("small", "finite")
#: "sphere": a particle; "cylinder": a long wire in plane strain (no axial strain, e_zz = 0).
SHAPES = ("sphere", "cylinder")
#: The cylinder's axial strain: "plane_strain" (zero) or "free" (generalised plane strain: one
#: uniform axial strain, found for zero axial force).
AXIAL = ("plane_strain", "free")
#: Generalised plane strain: |axial force| / (E R^2) at which the secant iteration stops.
AXIAL_TOL = 1e-9
#: "diffusion": Li enters by D(c) from the surface; "reaction": a reaction-limited sharp front.
FRONTS = ("diffusion", "reaction")
#: E, nu of the lithiated state: "material" linear in c between the material's pristine and
#: lithiated values (the diffusion model); or a `lixsi.MODULUS_LAWS` law of the composition.
MODULUS_LAWS = ("material", *lixsi.MODULUS_LAWS)
#: sigma_y of LixSi: "linear" in c (x) between yield_stress_pristine and yield_stress; "constant":
#: yield_stress at every composition.
YIELD_LAWS = ("linear", "constant")
#: Material flows only where the lithiated phase fraction h exceeds this: the pristine core stays
#: elastic (c-Si does not flow; a plane-strain core carries a deviator), the front zone flows.
PHASE_SWITCH = 1e-2
PROFILE_KEYS = ("R", "r", "stretch_r", "c", "sigma_r", "sigma_theta", "sigma_z", "E", "nu", "phase")
#: The front starts and ends this many widths l0 outside the body (h = 4e-8 there).
FRONT_MARGIN = 3.0


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
    front: str = "diffusion"
    front_concentration: float = 1.0  # x behind the reaction front (c_L)
    front_width: float | None = None  # l0 (nm); None: 2 cell sizes
    front_step: float = 0.5  # front advance per mechanics solve, in cell sizes
    front_law: front.FrontLaw | None = None  # for the time axis; None: 1 nm/s, no pressure effect
    modulus_law: str = "material"
    yield_law: str = "linear"
    axial: str = "plane_strain"

    def __post_init__(self) -> None:
        if self.kinematics not in KINEMATICS:
            raise ValueError(f"kinematics must be one of {KINEMATICS}, not {self.kinematics!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, not {self.shape!r}")
        if self.front not in FRONTS:
            raise ValueError(f"front must be one of {FRONTS}, not {self.front!r}")
        if self.modulus_law not in MODULUS_LAWS or self.yield_law not in YIELD_LAWS:
            raise ValueError(f"modulus_law must be one of {MODULUS_LAWS}, yield_law one of {YIELD_LAWS}")
        if self.axial not in AXIAL or (self.axial == "free" and self.shape != "cylinder"):
            raise ValueError(f"axial must be one of {AXIAL}; 'free' only for a cylinder")
        if self.radius <= 0 or self.cell_size <= 0:
            raise ValueError("radius and cell_size must be positive")
        if self.front == "reaction" and not (0 < self.front_concentration <= 1 and self.front_step > 0
                                             and (self.front_width is None or self.front_width > 0)):
            raise ValueError("reaction front: need 0 < front_concentration <= 1, front_step > 0, front_width > 0")

    @property
    def width(self) -> float:
        """l0 of the reaction front (nm)."""
        return 2.0 * self.cell_size if self.front_width is None else self.front_width


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


@dataclass
class FrontHistory(RadialHistory):
    """RadialHistory of a reaction-front run, per step also: the stage (1: front, 2: front-free
    diffusion), the front's reference radius R_f (nan in stage 2), the pressure at the front
    and in the core (GPa, `RadialParticle.front_state`) and the speed factor exp(-B p / kT) of
    the front's pressure (its speed relative to a stress-free one). Stage 1 time is R_f's travel at that
    speed (v_110 of the front law); stage 2 time is the diffusion's, restarted at 0."""

    stage: list[int] = field(default_factory=list)
    front_radius: list[float] = field(default_factory=list)
    front_pressure: list[float] = field(default_factory=list)
    core_pressure: list[float] = field(default_factory=list)
    speed_factor: list[float] = field(default_factory=list)


class RadialParticle:
    """Builds the diffusion and mechanics problems on [0, radius]; `run()` steps to soc_end."""

    def __init__(self, s: RadialSettings, comm: MPI.Comm) -> None:
        self.s, m = s, s.material
        self._stage = 1
        self.mesh = dmesh.create_interval(comm, max(2, round(s.radius / s.cell_size)), [0.0, s.radius])
        self.R = ufl.SpatialCoordinate(self.mesh)[0]
        sphere = s.shape == "sphere"
        self.w = self.R ** 2 if sphere else self.R  # volume weight
        self.volume = s.radius ** 3 / 3 if sphere else s.radius ** 2 / 2  # int w dR
        self.c = fem.Function(fem.functionspace(self.mesh, ("Lagrange", 1)), name="c")
        self.c.x.array[:] = s.front_concentration if s.front == "reaction" else s.c_initial
        self.c_old = self.c.copy()
        self.front_radius = fem.Constant(self.mesh, s.radius + FRONT_MARGIN * s.width)
        self.axial = fem.Constant(self.mesh, 0.0)  # the cylinder's axial (log) strain
        self._axial_accepted = 0.0
        if s.front == "reaction":  # c is the lithiated phase's composition x, the total is h x
            arg = 4 * front.SQRT2 * (self.R - self.front_radius) / s.width
            self.phase = 1 / (1 + ufl.exp(-ufl.max_value(ufl.min_value(arg, front.EXP_CLIP), -front.EXP_CLIP)))
            self.h = front.interpolation(self.phase)
            self.c_total = self.h * self.c
        else:
            self.phase = self.h = 1.0 + 0 * self.R
            self.c_total = self.c
        self.u = fem.Function(fem.functionspace(self.mesh, ("Lagrange", 2)), name="u")
        self.dt = fem.Constant(self.mesh, s.dt_initial)
        self.dx = ufl.Measure("dx", self.mesh, metadata={"quadrature_degree": 4})
        self.eps_p_old = fem.Function(self._quadrature_space((3,)), name="plastic_strain")
        self.p_old = fem.Function(self._quadrature_space(()), name="equivalent_plastic_strain")
        self._outer = dmesh.locate_entities_boundary(self.mesh, 0, lambda x: np.isclose(x[0], s.radius))
        self.E, self.nu = self._moduli()
        self._build_diffusion()
        self._build_mechanics()

    def _quadrature_space(self, shape: tuple) -> fem.FunctionSpace:
        """Values at the quadrature points of the mechanics forms (degree 4)."""
        return fem.functionspace(self.mesh, basix.ufl.quadrature_element(self.mesh.topology.cell_name(),
                                                                         value_shape=shape, degree=4))

    # --- laws -------------------------------------------------------------------------------
    def _moduli(self) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr]:
        """E, nu: linear in c between the material's values, or the pristine core's values and
        the LixSi law of x mixed by the phase fraction h."""
        m, c = self.s.material, self.c
        if self.s.modulus_law == "material":
            e_l, nu_l = m["E"] + (m["E_lithiated"] - m["E"]) * c, m["nu"] + (m["nu_lithiated"] - m["nu"]) * c
        else:
            e_l, nu_l = lixsi.MODULUS_LAWS[self.s.modulus_law](c, ufl.max_value), lixsi.POISSON(c, ufl.max_value)
        if self.s.front == "diffusion":
            return e_l, nu_l
        return m["E"] + self.h * (e_l - m["E"]), m["nu"] + self.h * (nu_l - m["nu"])

    def _yield_stress(self) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr | float]:
        """(sigma_y of the lithiated phase by `yield_law`, where it may flow: 1, or with a front
        1 where h > PHASE_SWITCH and 0 in the pristine core)."""
        m = self.s.material
        if self.s.yield_law == "linear":
            sy = plasticity.yield_stress(self.c, m["yield_stress_pristine"], m["yield_stress"])
        else:
            sy = m["yield_stress"] + 0 * self.c
        return sy, 1.0 if self.s.front == "diffusion" else ufl.conditional(ufl.gt(self.h, PHASE_SWITCH), 1.0, 0.0)

    def _total_strain(self, u) -> ufl.core.expr.Expr:
        """diag(u', u/R, u/R) (small) or its logarithm (finite); the stretches stay positive.
        The third entry is the second hoop direction of a sphere, the uniform axial (log) strain
        of a cylinder (zero in plane strain)."""
        er, et = u.dx(0), u / self.R
        if self.s.kinematics == "finite":
            er, et = ufl.ln(1 + er), ufl.ln(1 + et)
        ez = et if self.s.shape == "sphere" else self.axial + 0 * et
        return ufl.as_matrix([[er, 0, 0], [0, et, 0], [0, 0, ez]])

    def _chemical(self) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr]:
        """(isotropic chemical strain, volume factor of the energy per reference volume)."""
        e = self.s.material["expansion"]
        if self.s.kinematics == "finite":
            jc = 1 + e * self.c_total
            return ufl.ln(jc) / 3, jc
        return e / 3 * self.c_total, 1.0

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
            sigma_y, active = self._yield_stress()
            deps, dp = plasticity.radial_return(trial, mu, sigma_y, m.get("hardening", 0.0), self.p_old, active)
        else:
            deps, dp = 0 * trial, 0 * self.p_old
        eps_e = ufl.variable(trial - deps)
        tau = ufl.diff(elasticity.elastic_energy(eps_e, self.E, self.nu), eps_e)
        deps_total = ufl.derivative(self._total_strain(self.u), self.u, v)
        F = jc * ufl.inner(tau, deps_total) * self.w * self.dx
        V = self.u.function_space
        centre = dmesh.locate_entities_boundary(self.mesh, 0, lambda x: np.isclose(x[0], 0.0))
        bc = fem.dirichletbc(0.0, fem.locate_dofs_topological(V, 0, centre), V)
        # The residual is a force times R^2: its round-off floor grows with E R^2. With a front
        # through the centre of a finely meshed sphere it stalls near 2e-12 E R^2 (measured).
        floor = 1e-12 if self.s.front == "diffusion" else 1e-10
        opts = _newton_options() | {"snes_linesearch_type": "bt", "snes_atol": floor * m["E"] * self.s.radius ** 2}
        self.mechanics = NonlinearProblem(F, self.u, bcs=[bc], petsc_options_prefix=f"sifrac_radial_u_{self.s.kinematics}_",
                                          petsc_options=opts)
        cauchy = tau / ufl.exp(ufl.tr(eps_e)) if self.s.kinematics == "finite" else tau
        points = self.p_old.function_space.element.interpolation_points
        new_eps_p = self.eps_p_old + ufl.as_vector([deps[0, 0], deps[1, 1], deps[2, 2]])
        self._update = [(f, fem.Expression(e, points), fem.Function(f.function_space))
                        for f, e in ((self.eps_p_old, new_eps_p), (self.p_old, self.p_old + dp))]
        self._profile = fem.Expression(ufl.as_vector([self.R, self.R + self.u, 1 + self.u.dx(0), self.c_total,
                                                      cauchy[0, 0], cauchy[1, 1], cauchy[2, 2], self.E, self.nu,
                                                      self.h]), points)
        self._surface_cell = self._outer_cell()
        self._li_form = fem.form(self.c_total * self.w * self.dx)
        # axial force / 2 pi: Kirchhoff J sigma_zz = J_c tau_zz over the reference section
        self._axial_force = fem.form(jc * tau[2, 2] * self.w * self.dx)
        if self.s.front == "reaction":
            self._front_forms = self._build_front_forms(-ufl.tr(cauchy) / 3)
        dofs = fem.locate_dofs_topological(V, 0, self._outer)
        self._u_surface_dof = dofs[dofs < V.dofmap.index_map.size_local]  # owned: on one rank only

    def _build_front_forms(self, pressure: ufl.core.expr.Expr) -> list[fem.Form]:
        """int of phi'^2 and p phi'^2 over R (the front's own weight, as the mobility of the 2D
        phase-field front sees it: docs/notes/front-model.md 3), and of 1 and p over the core
        more than FRONT_MARGIN widths inside the front (uniform there)."""
        weight = (self.phase * (1 - self.phase)) ** 2
        core = ufl.conditional(ufl.lt(self.R, self.front_radius - FRONT_MARGIN * self.s.width), 1.0, 0.0)
        return [fem.form(f * self.dx) for f in (weight, pressure * weight, core, pressure * core)]

    def front_state(self) -> tuple[float, float, float]:
        """(pressure at the front, pressure in the core (GPa; nan without a core), speed factor
        exp(-B p / kT) of the front's pressure, 1 without a front law). The front pressure is the
        phi'^2-weighted mean of p across the smoothed front; the exponential is taken of that
        mean, not averaged itself: the stress inside a front a few cells wide oscillates from
        point to point (the shell and core converge, docs/notes/radial-critical-size.md), and
        the average of exp(-B p / kT) follows its most tensile point."""
        w, wp, c, cp = (self.mesh.comm.allreduce(fem.assemble_scalar(f), op=MPI.SUM) for f in self._front_forms)
        p = wp / w if w > 1e-300 else np.nan
        law = self.s.front_law
        x = 0.0 if law is None or not np.isfinite(p) else law.pressure_coefficient * p / law.kT
        return p, cp / c if c > 0 else np.nan, float(np.exp(-np.clip(x, -front.EXP_CLIP, front.EXP_CLIP)))

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
            vals = self._profile.eval(self.mesh, self._surface_cell).reshape(-1, len(PROFILE_KEYS))
            val = float(vals[np.argmax(vals[:, 0]), 5])  # sigma_theta at the largest R
        return self.mesh.comm.allreduce(val, op=MPI.SUM)

    def profile(self) -> dict[str, np.ndarray]:
        """Quadrature-point values on every rank, sorted by R: reference and current radius, radial
        stretch, c (total), Cauchy radial, hoop and third (sphere: hoop; cylinder: axial) stress,
        E, nu and the lithiated phase fraction h."""
        cells = np.arange(self.mesh.topology.index_map(1).size_local, dtype=np.int32)
        vals = np.concatenate(self.mesh.comm.allgather(
            self._profile.eval(self.mesh, cells).reshape(-1, len(PROFILE_KEYS))))
        vals = vals[np.argsort(vals[:, 0])]
        return dict(zip(PROFILE_KEYS, vals.T))

    def surface_radius(self) -> float:
        """Current outer radius R + u(R)."""
        u_surface = self.mesh.comm.allreduce(float(self.u.x.array[self._u_surface_dof].sum()), op=MPI.SUM)
        return self.s.radius + u_surface

    def soc(self) -> float:
        """Volume mean of c over the reference body."""
        return self.mesh.comm.allreduce(fem.assemble_scalar(self._li_form), op=MPI.SUM) / self.volume

    def _record(self, h: RadialHistory, t: float) -> None:
        h.time.append(t)
        h.soc.append(self.soc())
        h.hoop.append(self._surface_hoop())
        h.stretch.append(self.surface_radius() / self.s.radius)
        h.plastic.append(self.mesh.comm.allreduce(float(np.max(self.p_old.x.array, initial=0.0)), op=MPI.MAX))
        if isinstance(h, FrontHistory):
            in_front = self.s.front == "reaction" and self._stage == 1
            p, core, f = self.front_state() if in_front else (np.nan, np.nan, np.nan)
            h.stage.append(self._stage)
            h.front_radius.append(float(self.front_radius.value) if in_front else np.nan)
            h.front_pressure.append(p)
            h.core_pressure.append(core)
            h.speed_factor.append(f)

    # --- stepping ---------------------------------------------------------------------------
    def _solve(self, problem: NonlinearProblem) -> bool:
        problem.solve()
        return problem.solver.getConvergedReason() > 0

    def axial_force(self) -> float:
        """int J_c tau_zz R dR (GPa nm^2): the axial force over 2 pi of a cylinder."""
        return self.mesh.comm.allreduce(fem.assemble_scalar(self._axial_force), op=MPI.SUM)

    def _solve_mechanics(self) -> bool:
        """The mechanics at the current state; with a free axial strain, a secant iteration on it
        for zero axial force (the first slope the elastic E R^2 / 2), each solve warm-started."""
        if self.s.axial == "plane_strain":
            return self._solve(self.mechanics)
        scale = self.s.material["E"] * self.s.radius ** 2
        if not self._solve(self.mechanics):
            return False
        e_prev, n_prev, slope = float(self.axial.value), self.axial_force(), 0.5 * scale
        for _ in range(30):
            if abs(n_prev) < AXIAL_TOL * scale:
                return True
            e = e_prev - n_prev / slope
            self.axial.value = e
            if not self._solve(self.mechanics):
                return False
            n = self.axial_force()
            if n != n_prev:
                slope = (n - n_prev) / (e - e_prev)
            e_prev, n_prev = e, n
        return False

    def _restore(self, u_old: np.ndarray) -> None:
        """Back to the last accepted displacement and axial strain (a failed step)."""
        self.u.x.array[:] = u_old
        self.axial.value = self._axial_accepted

    def run(self, on_step: Callable[[RadialParticle], None] | None = None) -> RadialHistory:
        """Steps until the SOC reaches soc_end; `on_step(self)` is called after each accepted step
        (and the initial state). Diffusion: `_diffuse`. Reaction front: `_advance_front` (stage
        1), then, if soc_end lies above front_concentration, `_diffuse` on x (stage 2);
        returns a FrontHistory."""
        s = self.s
        self._stage = 1
        h = RadialHistory() if s.front == "diffusion" else FrontHistory()
        if not self._solve_mechanics():
            raise RuntimeError("radial mechanics did not converge at the initial state")
        self._commit()
        self._record(h, 0.0)
        if on_step:
            on_step(self)
        if s.front == "reaction":
            self._advance_front(h, on_step)
            if h.soc[-1] >= s.soc_end - 1e-9 or s.soc_end <= s.front_concentration:
                return h
            self._stage = 2
            self.front_radius.value = -1e3 * s.radius  # h = 1 everywhere
        return self._diffuse(h, 0.0, on_step)

    def _advance_front(self, h: FrontHistory, on_step: Callable[[RadialParticle], None] | None) -> None:
        """Stage 1: R_f moves inward by front_step cells per solve (halved and retried when Newton
        fails) from FRONT_MARGIN widths outside the surface to as far inside the centre, or until
        soc_end. Time: dt = dR_f / v with 1/v the mean of its values before and after the step,
        v = v_110 exp(-B p / kT) (1D: no orientation; time in units of R / v_110)."""
        s = self.s
        speed = 1.0 if s.front_law is None else s.front_law.speed_110
        end, full = -FRONT_MARGIN * s.width, s.front_step * s.cell_size
        step, t, u_old = full, 0.0, self.u.x.array.copy()
        factor_old = self.front_state()[2]
        for _ in range(s.max_steps):
            rf = float(self.front_radius.value)
            if h.soc[-1] >= s.soc_end - 1e-9 or rf <= end:
                return
            self.front_radius.value = max(rf - step, end)
            if not self._solve_mechanics():
                self.front_radius.value = rf
                self._restore(u_old)
                step /= 2
                if step < 1e-6 * full:
                    raise RuntimeError(f"radial front: step too small at R_f = {rf:.6g} nm (SOC {h.soc[-1]:.4f})")
                continue
            factor = self.front_state()[2]
            inv = [1 / (speed * f) for f in (factor_old, factor) if np.isfinite(f) and f > 0]
            t += (rf - float(self.front_radius.value)) * (float(np.mean(inv)) if inv else 1 / speed)
            factor_old = factor if np.isfinite(factor) else factor_old
            self._commit()
            self._record(h, t)
            if on_step:
                on_step(self)
            u_old, step = self.u.x.array.copy(), min(full, 2 * step)
        raise RuntimeError(f"radial front: {s.max_steps} steps without reaching SOC {s.soc_end}")

    def _diffuse(self, h: RadialHistory, t: float, on_step: Callable[[RadialParticle], None] | None) -> RadialHistory:
        """Diffusion steps until the SOC reaches soc_end: dt follows dc_target (largest nodal
        change of c), halved and retried when a Newton solve fails; the plastic state moves on
        accepted steps."""
        s = self.s
        u_old = self.u.x.array.copy()
        for _ in range(s.max_steps):
            if h.soc[-1] >= s.soc_end - 1e-9:
                return h
            ok = self._solve(self.diffusion) and self._solve_mechanics()
            dc = np.abs(self.c.x.array - self.c_old.x.array)[self._free]  # the imposed surface value jumps
            change = self.mesh.comm.allreduce(float(np.max(dc, initial=0.0)), op=MPI.MAX) if ok else np.inf
            if not ok or change > 2 * s.dc_target:
                self.c.x.array[:] = self.c_old.x.array
                self._restore(u_old)
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
        """Evaluate both returned fields first, then store them (each expression reads both);
        accept the axial strain."""
        self._axial_accepted = float(self.axial.value)
        for _, expr, tmp in self._update:
            tmp.interpolate(expr)
        for f, _, tmp in self._update:
            f.x.array[:] = tmp.x.array


def _newton_options() -> dict:
    """Newton with a direct solve (a 1D problem); convergence is checked after every solve."""
    return {"snes_type": "newtonls", "snes_linesearch_type": "basic", "snes_rtol": 1e-10, "snes_atol": 1e-12,
            "snes_stol": 1e-12, "snes_max_it": 50, "ksp_type": "preonly", "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps", "snes_error_if_not_converged": False}
