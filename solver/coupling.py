"""Coupling layer: function spaces, material fields, boundary conditions and PETSc solvers.

Physics modules (`diffusion`, `elasticity`) return UFL forms; this is the only place that builds
PETSc objects. Each solver has its own options prefix (`sifrac_diffusion_`, `sifrac_mechanics_`)
so PETSc options from the case or the command line reach exactly one of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import basix.ufl
import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from dolfinx.fem.petsc import NonlinearProblem, assemble_matrix
from dolfinx.la.petsc import create_vector
from mpi4py import MPI
from petsc4py import PETSc

from meshes.common import top_mesh_size
from solver import axisymmetry, boundary_loading, diffusion, elasticity, log, phasefield, plasticity
from solver.elasticity import Material
from solver.kinematics import Kinematics, volume_ratio
from solver.case import MECHANICAL_MODES, CaseError
from solver.stats import SolverStats

if TYPE_CHECKING:
    from meshes import MeshBundle

_log = log.get("coupling")

SOLVER_PREFIXES = ("sifrac_diffusion_", "sifrac_mechanics_", "sifrac_coupled_", "sifrac_damage_")

#: Problems with at most this many unknowns use a direct solver when the preset is "auto".
DIRECT_SOLVER_LIMIT = 100_000

#: Generalised plane strain: the axial strain is converged to this absolute change, within at
#: most AXIAL_MAX_IT in-plane solves per equilibrium.
AXIAL_TOL = 1e-10
AXIAL_MAX_IT = 30

#: Proximal continuation (`_proximal_solve`): the first shift, the one below which it is dropped and
#: the one above which the continuation gives up (where a shift far stiffer than the material still
#: fails, the trouble is not the tangent), all relative to the stiffness-to-mass ratio of the
#: problem; its growth after a failed step and its decrease after one that lowered the residual;
#: the most proximal steps per mechanics solve.
PROXIMAL_START = 1e-3
PROXIMAL_END = 1e-6
PROXIMAL_LARGEST = 1e3
PROXIMAL_GROWTH = 10.0
PROXIMAL_DECREASE = 0.1
PROXIMAL_MAX_STEPS = 100

#: A converged mechanics solve is rejected when a displacement exceeds this many times the
#: extent of the mesh: no swelling or crack opening moves material that far (free swelling of
#: Li3.75Si stretches by 1.56), but a Hencky body whose broken band or plastic zone is stretched
#: without bound has a residual that vanishes at infinity, so a line search can "converge" there.
RUNAWAY_EXTENT = 10.0


class SolverFailure(RuntimeError):
    """A nonlinear or linear solve did not converge; the time stepper cuts the step."""


@dataclass(frozen=True)
class Loading:
    """The electrochemical load resolved against the mesh."""

    mode: str
    sign: float  # +1 lithiation, -1 delithiation
    rate: float  # d(SOC)/dt magnitude in 1/s for galvanostatic loading
    surface_concentration: float
    surfaces: tuple[str, ...]
    start: float = 0.0  # the initial (stress-free) concentration
    ramp_time: float = 0.0  # potentiostatic: time over which the surface value moves from start

    def surface_value(self, t: float) -> float:
        """The potentiostatic surface concentration at time t: a step, or a linear ramp."""
        if self.ramp_time <= 0.0 or t >= self.ramp_time:
            return self.surface_concentration
        return self.start + (self.surface_concentration - self.start) * t / self.ramp_time


def _solver_options(preset: str, size: int, symmetric: bool, rtol: float, singular: bool = False) -> dict:
    """PETSc options of a linear solve for a preset ("lu", "gmres_lu", "cg"/"cg_gamg", or "auto")."""
    if preset == "auto":
        preset = "lu" if size <= DIRECT_SOLVER_LIMIT else "cg"
    if preset in ("lu", "gmres_lu"):
        lu = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        if singular:  # null-pivot detection: pure-Neumann mechanics is singular by its rigid modes
            lu.update(mat_mumps_icntl_24=1, mat_mumps_icntl_25=0)
        if preset == "gmres_lu":
            # A factorisation kept across Newton and staggered iterations (PreconditionerReuse)
            # preconditions GMRES on the current operator: a few triangular solves instead of a
            # new factorisation, which dominates 3D P2 runs (0.5 s of 0.8 s per Newton step).
            # Past 10 iterations a new factorisation is cheaper: the unconverged direction is
            # still taken (line search) and the next Newton step refactorises.
            lu.update(ksp_type="gmres", ksp_pc_side="right", ksp_rtol=rtol, ksp_atol=1e-30, ksp_max_it=10,
                      snes_max_linear_solve_fail=1000)
        return lu
    # Convergence on the true (unpreconditioned) residual, so a kept preconditioner
    # (PreconditionerReuse) can cost iterations but never accuracy. SOR smoothing reads the
    # current matrix, where a kept Chebyshev smoother keeps eigenvalue bounds of an older one:
    # with damage moving, a kept Chebyshev/Jacobi GAMG turned indefinite for CG (measured on the
    # 3D sphere benchmark: 42 of 193 mechanics solves; none with SOR).
    krylov = {"ksp_type": "cg", "ksp_norm_type": "unpreconditioned"} if symmetric else \
        {"ksp_type": "gmres", "ksp_pc_side": "right"}
    return {**krylov, "pc_type": "gamg", "mg_levels_ksp_type": "richardson", "mg_levels_pc_type": "sor",
            "ksp_rtol": rtol, "ksp_atol": 1e-30, "ksp_max_it": 2000}


def _unknowns(problem: NonlinearProblem) -> list[fem.Function]:
    """The Functions a nonlinear problem solves for (one, or the blocks of a coupled one)."""
    return list(problem.u) if isinstance(problem.u, (list, tuple)) else [problem.u]


def _restore(fields: list[fem.Function], values: list[np.ndarray]) -> None:
    """Put back the iterate a failed solve started from (owned and ghost entries alike)."""
    for f, v in zip(fields, values):
        f.x.array[:] = v


def _case_options(solver_section: dict, prefix: str) -> dict:
    """The case's PETSc options for one solver: keys starting with its prefix (e.g.
    `sifrac_mechanics_ksp_type`) are for it alone, keys starting with another solver's prefix are
    skipped, and plain keys (`ksp_monitor`) go to every solver."""
    out = {}
    for key, value in solver_section.get("petsc_options", {}).items():
        if key.startswith(prefix):
            out[key[len(prefix):]] = value
        elif not key.startswith(SOLVER_PREFIXES):
            out[key] = value
    return out


def _clear_solver_options() -> None:
    """Remove every `sifrac_*` option left in PETSc's global options database.

    DOLFINx sets a solver's options under its prefix and then fails to delete them (the deletion
    ignores the pushed prefix), so a conditional option such as a lagged Jacobian for constant
    moduli would leak into the next problem of a test session or a sweep. Options are cleared when
    a new problem is built, not right after each solver is made: MUMPS reads its ICNTL options at
    the first factorisation.
    """
    opts = PETSc.Options()
    for key in list(opts.getAll()):
        if key.startswith("sifrac_"):
            opts.delValue(key)


def _orthonormalize(vectors: list[PETSc.Vec]) -> list[PETSc.Vec]:
    """Modified Gram-Schmidt with global dot products (PETSc null spaces need orthonormal bases)."""
    for i, v in enumerate(vectors):
        for w in vectors[:i]:
            v.axpy(-v.dot(w), w)
        v.normalize()
    return vectors


def rigid_modes(V: fem.FunctionSpace) -> list[PETSc.Vec]:
    """Translations and infinitesimal rotations of the displacement space, orthonormalised."""
    gdim = V.mesh.geometry.dim
    n_owned = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:n_owned]
    fields = []
    for i in range(gdim):
        t = np.zeros((n_owned, gdim))
        t[:, i] = 1.0
        fields.append(t)
    for i, j in [(0, 1)] if gdim == 2 else [(0, 1), (1, 2), (2, 0)]:
        r = np.zeros((n_owned, gdim))
        r[:, i], r[:, j] = -x[:, j], x[:, i]
        fields.append(r)
    modes = []
    for f in fields:
        vec = create_vector([(V.dofmap.index_map, V.dofmap.index_map_bs)])
        vec.array[: f.size] = f.ravel()
        modes.append(vec)
    return _orthonormalize(modes)


def surviving_modes(modes: list[PETSc.Vec], constrained: np.ndarray, comm) -> list[PETSc.Vec]:
    """The combinations of rigid modes that the Dirichlet constraints leave free.

    A combination sum_k a_k m_k survives iff it vanishes at every constrained dof, i.e. a lies in
    the null space of M = [m_k(constrained dofs)]. With orthonormal modes this is read off the
    eigen-decomposition of the small Gram matrix M^T M, reduced over all ranks; this removes
    exactly the rigid motions left by symmetry planes and rollers, without over-constraining.
    """
    vals = np.array([m.getArray(readonly=True)[constrained] for m in modes])
    gram = comm.allreduce(vals @ vals.T)
    w, q = np.linalg.eigh(gram)
    free = q[:, w < 1e-10 * max(1.0, w.max(initial=0.0))]
    out = []
    for a in free.T:
        v = modes[0].duplicate()
        v.zeroEntries()
        v.maxpy(a, modes)
        out.append(v)
    return _orthonormalize(out)


def residual_at_zero(problem: NonlinearProblem) -> PETSc.Vec:
    """The problem's residual at a zero unknown, F(0): for linear mechanics, minus the whole
    current load. The problem's unknown is left as it was; the caller destroys the vector."""
    return _residual(problem, zero=True)


def _residual(problem: NonlinearProblem, zero: bool = False) -> PETSc.Vec:
    """The residual of a single-field problem at its current unknown (or at zero), with the
    unknown left as it was; the caller destroys the vector."""
    saved = problem.u.x.array.copy()
    x, residual = problem.x.duplicate(), problem.b.duplicate()
    if zero:
        x.zeroEntries()
    else:
        problem.u.x.petsc_vec.copy(x)
    problem.solver.computeFunction(x, residual)  # assigns x to the unknown: restored below
    problem.u.x.array[:] = saved
    x.destroy()
    return residual


def _residual_norm(problem: NonlinearProblem) -> float:
    """|F| of a single-field problem at its current unknown."""
    residual = _residual(problem)
    norm = residual.norm()
    residual.destroy()
    return norm


class PreconditionerReuse:
    """Keep an iterative solver's preconditioner until it goes stale.

    An AMG set-up or an LU factorisation costs several Krylov solves, while the operators of
    consecutive Newton steps, staggered iterations and time steps differ little (damage,
    concentration and the plastic zone move a little at a time). The preconditioner is built
    once (SNES lag -2, then never again) and rebuilt only when a linear solve needs more than
    `growth` times (plus `slack`) the Krylov count right after the last build: judged before
    every Newton step (SNESSetUpdate) and after every solve. A solve that fails with a kept
    preconditioner is repeated at once by the caller with a fresh one (`rebuild`), so a stale
    preconditioner never cuts a time step. petsc4py has no SNESSetLagPreconditioner (and SNES
    overrides PCSetReusePreconditioner at every Jacobian), hence the option plus
    setFromOptions, which re-reads the solver's prefixed options: fine for the one problem a
    run builds at a time (a newer problem with the same prefix would lend it its options).
    """

    def __init__(self, problem: NonlinearProblem, growth: float = 1.5, slack: int = 5) -> None:
        self.snes, self.growth, self.slack = problem.solver, growth, slack
        self.key = f"{self.snes.getOptionsPrefix()}snes_lag_preconditioner"
        self.base: int | None = None
        self.builds = 0
        self.rebuild()
        self.snes.setUpdate(lambda _snes, step: self._judge() if step > 0 else None)

    def rebuild(self) -> None:
        """Build the preconditioner at the next linear solve, then keep it (and nothing else:
        the KSP's tolerances, which the caller may have set per solve, survive setFromOptions)."""
        opts = PETSc.Options()
        opts.setValue(self.key, -2)
        tolerances = self.snes.getKSP().getTolerances()
        self.snes.setFromOptions()
        self.snes.getKSP().setTolerances(*tolerances)
        opts.delValue(self.key)
        self.base = None

    @property
    def fresh(self) -> bool:
        """Whether the next linear solve builds its preconditioner (none to blame for a failure)."""
        return self.base is None

    def _judge(self) -> None:
        """After a linear solve: record the Krylov count of a fresh build, or ask for a rebuild."""
        its = self.snes.getKSP().getIterationNumber()
        if self.base is None:
            self.base, self.builds = its, self.builds + 1
        elif its > self.growth * self.base + self.slack:
            self.rebuild()

    def update(self, ok: bool) -> None:
        """After a nonlinear solve: judge its last linear solve; a failure always rebuilds."""
        if self.snes.getIterationNumber() > 0:  # else no linear solve ran (the KSP count is old)
            self._judge()
        if not ok:
            self.rebuild()


class ChemoElasticProblem:
    """Li diffusion in Si and quasi-static chemo-elasticity of all solid regions.

    Unknowns: c (P1, fraction of c_max) and u (vector Lagrange of the case's degree). c lives
    on the whole mesh so that it couples to u without a submesh, but only Si carries the
    diffusion equation: dofs outside Si are pinned to zero and Si-interface dofs see only Si
    cells, which keeps the Li balance of Si exact.
    """

    def __init__(self, bundle: MeshBundle, case: dict) -> None:
        _clear_solver_options()
        self.stats = SolverStats()
        self.bundle = bundle
        self.case = case
        mesh = bundle.mesh
        self.comm = mesh.comm
        self.dim = mesh.geometry.dim
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        # Axisymmetric: the section revolved about x; every integral is over the revolved body.
        self.axisymmetric = self.dim == 2 and case["mechanics"]["out_of_plane"] == "axisymmetric"
        self.radius = axisymmetry.radius(mesh) if self.axisymmetric else None
        # Residuals carry the weight too: absolute Newton tolerances scale with it.
        self.atol_scale = axisymmetry.weight_scale(bundle.reference_length) if self.axisymmetric else 1.0
        self.dx, self.ds, self.dS = (axisymmetry.measure(kind, mesh, data, self.axisymmetric) for kind, data in
                                     (("dx", bundle.cell_tags), ("ds", bundle.facet_tags), ("dS", bundle.facet_tags)))
        self.dx_si = self.dx(bundle.regions["si"])
        # The unweighted measure on the section: the same as dx unless axisymmetric.
        self.dx_section = ufl.Measure("dx", domain=mesh, subdomain_data=bundle.cell_tags)

        self.Vc = fem.functionspace(mesh, ("Lagrange", 1))
        degree = case["mechanics"]["displacement_degree"]
        self.Vu = fem.functionspace(mesh, ("Lagrange", degree, (self.dim,)))
        # UFL would estimate a very high degree for the rational E(c), nu(c) expressions: fix it
        # at the degree that integrates the constant-moduli integrand exactly (plus one for D(c)).
        self.dx_mech = self.dx(metadata={"quadrature_degree": 2 * degree})
        # Diffusion integrates on the section and takes the revolution weight explicitly: its
        # lumped storage needs the row-sum weight (diffusion.residual).
        self.dx_diff = self.dx_section(bundle.regions["si"], metadata={"quadrature_degree": 2})
        self.c = fem.Function(self.Vc, name="concentration")
        self.c_old, self.c_older = fem.Function(self.Vc), fem.Function(self.Vc)
        self.bdf = fem.Constant(mesh, np.array([1.0, -1.0, 0.0], dtype=default_scalar_type))
        self.dt_old: float | None = None  # None: the next step is backward Euler
        self.u = fem.Function(self.Vu, name="displacement")
        self.u_old = fem.Function(self.Vu)
        self.dt = fem.Constant(mesh, default_scalar_type(1.0))
        # The initial state is stress free: swelling is measured from the starting concentration.
        self.c_ref = fem.Constant(mesh, default_scalar_type(case["loading"]["soc_start"]))

        self.E, self.nu, self.beta = self._material_fields()
        self._si = self._region_field({"si": 1.0})  # Si indicator (DG0): which cells flow, which side of an interface
        frac = case["fracture"]
        self.fracture = frac["model"] != "none"
        self.split = frac["split"]
        self.d = fem.Function(self.Vc, name="damage")
        self.d_prev, self.d_iter = fem.Function(self.Vc), fem.Function(self.Vc)
        self.g = phasefield.degradation(self.d, frac["residual_stiffness"]) if self.fracture else None
        self.tether = frac["band_tether"] if self.fracture else 0.0
        self.tether_energy = 0.0  # of the last accepted step (see _tether_energy_density)
        self.loading = self._loading()
        self.si_volume = self._assemble(1.0 * self.dx_si)
        self.surface_area = self._assemble(self._on_surfaces(fem.Constant(mesh, default_scalar_type(1.0)))) \
            if self.loading.surfaces else 0.0
        self.plastic = case["mechanics"]["plasticity"] == "J2"
        # Generalised plane strain: the uniform axial strain, a DG0 field so that checkpoints keep it.
        self.axial = fem.Function(fem.functionspace(mesh, ("DG", 0)), name="axial_strain") \
            if self.dim == 2 and case["mechanics"]["out_of_plane"] == "generalized" else None
        self.kin = Kinematics(self.axial, self.radius, case["mechanics"]["kinematics"] == "finite")
        self.eps_p = self._plastic_strain() if self.plastic else None
        # The stress conjugate to the strain measure (equilibrium), and the Cauchy stress (outputs).
        self.material = Material(self.E, self.nu, self.beta, self.kin, self.g, self.split, self.eps_p)
        self.stress_conjugate = elasticity.stress(self.u, self.c - self.c_ref, self.material)
        self.sigma = elasticity.cauchy(self.stress_conjugate, self.u, self.kin)
        if self.axial is not None:  # N(e) and the first slope of _solve_free_axial
            # Zero axial force: int sigma_zz da = int T_zz / F_zz dA with F_zz = 1 + e uniform, so
            # int T_zz dA = 0 in both kinematics (T = sigma in small strain).
            self._axial_force = fem.form(self.stress_conjugate[2, 2] * self.dx_mech)
            self._axial_stiffness = fem.form(self.E * self.dx_mech)
        self.sigma_h = self._stress_assisted_field()
        # Transport solved together with u: stress-driven flux, or a surface value that follows the
        # stress (lagging u by a step would let the surface take up only what an elastically
        # locked neighbourhood allows, so the uptake would follow the step count, not time).
        self.coupled = self.sigma_h is not None or case["loading"]["surface_stress_coupling"]
        self.sigma_h_cell: fem.Function | None = None  # set by _surface_equilibrium_flux
        # Mechanical loading modes: no chemistry, boundary displacements grow with time.
        self.boundary = boundary_loading.BoundaryLoading(self) if self.loading.mode in MECHANICAL_MODES else None
        self.flux = fem.Constant(mesh, default_scalar_type(0.0))
        self._proximal_shift = fem.Constant(mesh, default_scalar_type(0.0))  # see _proximal_solve
        self._proximal_centre = fem.Function(self.Vu)
        self._mass_diagonal: float | None = None
        x = mesh.geometry.x
        self._runaway_limit = RUNAWAY_EXTENT * self.comm.allreduce(
            float(np.max(np.ptp(x, axis=0))) if x.size else 0.0, op=MPI.MAX)
        self._rejected: str | None = None  # why the last converged solve was rejected (see _attempt)
        self.surface_value = fem.Constant(mesh, default_scalar_type(self.loading.surface_value(0.0)))
        self._diffusion = self._build_diffusion()
        self._mechanics = self._build_mechanics()
        self._load_atol: float | None = None  # see _linear_atol
        self._pc_reuse = {role: PreconditionerReuse(p)
                          for role, p in (("diffusion", self._diffusion), ("mechanics", self._mechanics))
                          if p is not None and p.solver.getKSP().getType() != "preonly"
                          and not (role == "diffusion" and self.coupled)}  # not the coupled system
        self._soc_form = fem.form(self.c * self.dx_si)
        self.psi = elasticity.energy_density(self.u, self.c - self.c_ref, self.material)
        self._energy_form = fem.form(self.psi * self.dx_mech)
        self._damage = self._build_damage() if self.fracture else None
        for role, problem in self.solvers.items():
            self._count_jacobians(problem, self.transport_role if role == "diffusion" else role)

    # -- set-up -------------------------------------------------------------------------------
    def _count_jacobians(self, problem: NonlinearProblem, role: str) -> None:
        """Count the problem's Jacobian assemblies in the solver statistics (assembly is a large
        part of a staggered iteration: the benchmarks report it next to the solves)."""
        J, P, (assemble, args, kwargs) = problem.solver.getJacobian()
        stats = self.stats  # not self: PETSc holds the callback where Python's gc cannot see it,
        # so a closure over the problem would keep it (and its MPI communicators) alive for ever

        def counted(*a, **k):
            stats.assembled_jacobian(role)
            return assemble(*a, **k)

        problem.solver.setJacobian(counted, J, P, args=args, kargs=kwargs)

    def _assemble(self, integrand) -> float:
        return self.comm.allreduce(fem.assemble_scalar(fem.form(integrand)))

    def _material_fields(self):
        """Piecewise-constant moduli and swelling; E and nu vary linearly with c in Si."""
        act = self.case["active"]
        props = {"si": (act["E"], act["E_lithiated"], act["nu"], act["nu_lithiated"], act["expansion"] / 3)}
        for region in ("electrolyte", "collector"):
            if region in self.bundle.regions:
                mat = self.case[region]
                props[region] = (mat["E"], mat["E"], mat["nu"], mat["nu"], 0.0)
        E0, E1, nu0, nu1, beta0 = (self._region_field({r: v[k] for r, v in props.items()}) for k in range(5))
        E = E0 + (E1 - E0) * self.c
        nu = nu0 + (nu1 - nu0) * self.c
        w = np.asarray(self.case["mechanics"]["expansion_weights"], dtype=float)
        beta = beta0 * ufl.as_matrix(np.diag(3 * w / w.sum()).tolist())
        return E, nu, beta

    def _loading(self) -> Loading:
        load = self.case["loading"]
        if load["mode"] in MECHANICAL_MODES:  # no Li enters: c stays at soc_start
            return Loading(load["mode"], 1.0, 0.0, load["soc_start"], ())
        surfaces = tuple(load.get("surfaces", self.bundle.lithiation))
        allowed = ", ".join(sorted(self.bundle.boundaries))
        if not surfaces:
            raise CaseError(f"[loading] surfaces: this mesh has no default lithiation surface; allowed: {allowed}")
        for name in surfaces:
            if name not in self.bundle.boundaries:
                raise CaseError(f"[loading] surfaces = {list(surfaces)}: no boundary {name!r} in this mesh; "
                                f"allowed: {allowed}")
        sign = 1.0 if load["direction"] == "lithiation" else -1.0
        return Loading(load["mode"], sign, load["c_rate"] / 3600.0, load["surface_concentration"], surfaces,
                       load["soc_start"], load["ramp_time"])

    def _stress_assisted_field(self) -> fem.Function | None:
        """The hydrostatic stress as a P1 unknown (its L2 projection), when it drives the Li flux.

        With 270-300% swelling, small-strain stress-assisted flux raises the effective diffusivity
        by a factor of order 1 + kappa * E * expansion * c (hundreds), so lagging the stress by a
        step is unstable unless the steps are tiny: c, u and sigma_h are then solved together.
        """
        if not self.case["loading"]["stress_assisted"]:
            return None
        self._sigma_h_expr = fem.Expression(elasticity.hydrostatic(self.sigma), self.Vc.element.interpolation_points)
        self.sigma_h_old = fem.Function(self.Vc)  # the last accepted sigma_h (reject returns to it)
        return fem.Function(self.Vc, name="hydrostatic_stress")

    def _plastic_strain(self) -> ufl.core.expr.Expr:
        """The plastic strain of the current iterate: the accepted state plus its radial return.

        The state (eps_p, p) lives at the quadrature points of the mechanics forms (`dx_mech`);
        `accept()` evaluates the returned state there. Only Si flows.
        """
        mech, act = self.case["mechanics"], self.case["active"]
        self.eps_p_old = fem.Function(self._quadrature_space((3, 3)), name="plastic_strain")
        self.p_old = fem.Function(self._quadrature_space(()), name="equivalent_plastic_strain")
        sigma_y = plasticity.yield_stress(self.c, act["yield_stress_pristine"], act["yield_stress"])
        if self.fracture:  # the nominal (degraded) stress yields: see solver/plasticity.py
            sigma_y = sigma_y / self.g
        trial = elasticity.elastic_strain(self.u, self.c - self.c_ref, Material(self.E, self.nu, self.beta, self.kin,
                                                                                eps_p=self.eps_p_old))
        _, mu = elasticity.lame(self.E, self.nu)
        deps, dp = plasticity.radial_return(trial, mu, sigma_y, mech["hardening"], self.p_old,
                                            self._si)
        eps_p = self.eps_p_old + deps
        points = self.eps_p_old.function_space.element.interpolation_points
        self._plastic_update = [(f, fem.Expression(expr, points), fem.Function(f.function_space))
                                for f, expr in ((self.eps_p_old, eps_p), (self.p_old, self.p_old + dp))]
        return eps_p

    def _quadrature_space(self, shape: tuple) -> fem.FunctionSpace:
        """Values at the quadrature points of the mechanics forms (`dx_mech`)."""
        mesh = self.bundle.mesh
        degree = self.dx_mech.metadata()["quadrature_degree"]
        return fem.functionspace(mesh, basix.ufl.quadrature_element(mesh.topology.cell_name(), value_shape=shape,
                                                                    degree=degree))

    def _accept_plastic_state(self) -> None:
        """Evaluate both returned fields first, then store them (each expression reads both)."""
        for _, expr, tmp in self._plastic_update:
            tmp.interpolate(expr)
        for f, _, tmp in self._plastic_update:
            f.x.array[:] = tmp.x.array

    def _on_surfaces(self, integrand) -> ufl.Form:
        """Integral over the lithiation surfaces: exterior (free surface) or interior facets
        (a Si/electrolyte interface), where the integrand is taken on its Si side (the DG0 Si
        indicator picks it; a continuous integrand has the same value on both sides)."""
        form = 0
        for name in self.loading.surfaces:
            tag = self.bundle.boundaries[name]
            si_side = self._si("+") * integrand("+") + self._si("-") * integrand("-")
            form += integrand * self.ds(tag) + si_side * self.dS(tag)
        return form

    def _facets(self, name: str) -> np.ndarray:
        return self.bundle.facet_tags.find(self.bundle.boundaries[name])

    def _build_diffusion(self) -> NonlinearProblem:
        act, sol = self.case["active"], self.case["solver"]
        v = ufl.TestFunction(self.Vc)
        D = diffusion.diffusivity(self.c, act["diffusivity_law"], act["diffusivity"], act["diffusivity_lithiated"],
                                  act["diffusivity_omega"])
        if act["front_mobility_ratio"] != 1.0:
            D = D * diffusion.front_mobility_factor(self.c, act["front_mobility_ratio"])
        factor = self.case["fracture"]["damaged_diffusivity_factor"]
        if self.fracture and factor != 1.0:
            D = D * (1 + (factor - 1) * self.d)  # cracks as fast paths for Li
        self._outside_si = self._dofs_outside(["si"])
        bcs = [fem.dirichletbc(default_scalar_type(0.0), self._outside_si, self.Vc)]
        if self.boundary is not None:  # no transport problem
            self._constrained_c = bcs[0].dof_indices()[0]
            return None
        influx = 0
        kappa = diffusion.stress_coupling(act["partial_molar_volume"], self.case["loading"]["temperature"])
        if self.loading.mode == "galvanostatic":
            influx = self._on_surfaces(self.flux * v)
        elif self.case["loading"]["surface_stress_coupling"]:
            influx = self._surface_equilibrium_flux(D, v, kappa)
        else:
            fdim = self.dim - 1
            facets = np.concatenate([self._facets(s) for s in self.loading.surfaces])
            dofs = fem.locate_dofs_topological(self.Vc, fdim, facets)
            bcs.append(fem.dirichletbc(self.surface_value, dofs, self.Vc))
        weights = {} if not self.axisymmetric else \
            {"weight": axisymmetry.weight(self.bundle.mesh), "lumped_weight": axisymmetry.lumped_weight(self.Vc)}
        F = diffusion.residual(self.c, (self.c_old, self.c_older), self.bdf, v, self.dt, D, self.dx_diff, influx,
                               self.sigma_h, kappa, **weights)
        others = [tag for name, tag in self.bundle.regions.items() if name != "si"]
        if others:
            # The diffusion forms only touch Si cells, so the matrix pattern has no diagonal slot
            # for the pinned dofs elsewhere; a zero term (a Constant, which UFL keeps) reserves it.
            zero = fem.Constant(self.bundle.mesh, default_scalar_type(0.0))
            F += sum(zero * self.c * v * self.dx(tag) for tag in others)
        size = self.Vc.dofmap.index_map.size_global
        symmetric = act["diffusivity_law"] == "constant"
        opts = {"snes_type": "newtonls", "snes_linesearch_type": "basic",
                "snes_rtol": sol["newton_rtol"], "snes_atol": sol["newton_atol"] * self.atol_scale,
                "snes_max_it": sol["newton_max_it"], "snes_stol": 0.0,
                **_solver_options(sol["diffusion"], size, symmetric, sol["linear_rtol"])}
        opts.update(_case_options(sol, "sifrac_diffusion_"))
        self._constrained_c = np.concatenate([bc.dof_indices()[0] for bc in bcs])
        if self.coupled:
            return self._build_coupled(F, bcs, opts)
        return NonlinearProblem(F, self.c, bcs=bcs, petsc_options_prefix="sifrac_diffusion_", petsc_options=opts)

    def _surface_equilibrium_flux(self, D, v, kappa: float) -> ufl.Form:
        """Li influx through the lithiation surfaces that drives c there to its stress-dependent
        equilibrium value (`diffusion.surface_equilibrium`): a fast surface reaction
        SURFACE_PENALTY D / h (c_eq - c), since a Dirichlet value cannot depend on the unknowns.

        sigma_h is that of the Si cell next to the facet: its cell mean, a DG0 unknown of the
        coupled solve. A value at the facet itself would extrapolate the strain of a plastically
        flowing surface layer (errors of 0.3 GPa, i.e. 0.1 in c, on a thin film), and the plastic
        state lives at cell quadrature points only. On an interface `_on_surfaces` takes the Si
        side.
        """
        self.sigma_h_cell = fem.Function(fem.functionspace(self.bundle.mesh, ("DG", 0)), name="cell_hydrostatic_stress")
        c_eq = diffusion.surface_equilibrium(self.surface_value, self.sigma_h_cell, kappa)
        flux = diffusion.SURFACE_PENALTY * D / ufl.CellDiameter(self.bundle.mesh) * (c_eq - self.c)
        return self._on_surfaces(flux * v)

    def _build_coupled(self, F_c: ufl.Form, bcs_c: list, newton_opts: dict) -> NonlinearProblem:
        """Monolithic Newton on (c, u), plus sigma_h for stress-assisted diffusion and the Si cells'
        mean sigma_h for a stress-dependent surface concentration."""
        F_u, bcs_u, free = self._mechanics_form()
        forms, unknowns = [F_c, F_u], [self.c, self.u]
        for field in (f for f in (self.sigma_h, self.sigma_h_cell) if f is not None):  # L2 projections
            q = ufl.TestFunction(field.function_space)
            forms.append((field - elasticity.hydrostatic(self.sigma)) * q * self.dx_mech)
            unknowns.append(field)
        size = sum(f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
                   for f in unknowns)
        # GAMG is built for one elliptic field, not this mixed block: "auto" means LU at any size.
        preset = "lu" if self.case["solver"]["diffusion"] == "auto" else self.case["solver"]["diffusion"]
        opts = {**newton_opts, **_solver_options(preset, size, False, self.case["solver"]["linear_rtol"],
                                                 singular=bool(free))}
        # The residual mixes GPa-scale stresses with concentration rates: near a steady state its
        # round-off floor (~1e-9, measured on a plastic film) lies above newton_atol, so a Newton
        # update below 1e-12 of the solution also ends the solve.
        opts["snes_stol"] = 1e-12
        opts["snes_linesearch_type"] = "bt"  # as the mechanics' own Newton (plastic return)
        opts.update(_case_options(self.case["solver"], "sifrac_coupled_"))
        return NonlinearProblem(forms, unknowns, bcs=[*bcs_c, *bcs_u], kind="mpi",
                                petsc_options_prefix="sifrac_coupled_", petsc_options=opts)

    def _mechanics_bcs(self) -> list[fem.DirichletBC]:
        """Rollers on symmetry planes, the film bottom and (by default) its side faces; a
        mechanical loading mode brings its own supports instead."""
        if self.boundary is not None:
            return self.boundary.bcs
        fdim = self.dim - 1
        axis = {"symmetry_x": 0, "symmetry_y": 1, "symmetry_z": 2}
        if self.bundle.thickness_axis is not None:
            axis["bottom"] = self.bundle.thickness_axis
        if self.case["mechanics"]["lateral"] == "roller":
            axis.update(left=0, right=0, front=1, back=1)
        elif "bottom" in self.bundle.boundaries:
            axis["bottom"] = None  # free sides: the bottom is clamped instead
        bcs = []
        for name, comp in axis.items():
            if name not in self.bundle.boundaries or (comp is not None and comp >= self.dim):
                continue
            facets = self._facets(name)
            comps = range(self.dim) if comp is None else [comp]
            for k in comps:
                dofs = fem.locate_dofs_topological(self.Vu.sub(k), fdim, facets)
                bcs.append(fem.dirichletbc(default_scalar_type(0.0), dofs, self.Vu.sub(k)))
        return bcs

    def internal_work(self, v) -> ufl.Form:
        """The stress against the virtual strain: the equilibrium residual without external loads
        (in finite strain the stack pressure stays a dead load on the reference surface)."""
        return elasticity.internal_work(self.stress_conjugate, self.u, v, self.dx_mech, self.kin)

    def _mechanics_form(self) -> tuple[ufl.Form, list[fem.DirichletBC], list[PETSc.Vec]]:
        """Equilibrium residual, supports, and the rigid modes the supports leave free."""
        v = ufl.TestFunction(self.Vu)
        traction = 0
        p = self.case["loading"]["stack_pressure"]
        if p > 0 and "top" in self.bundle.boundaries:
            n = ufl.FacetNormal(self.bundle.mesh)
            traction = -p * ufl.inner(n, v) * self.ds(self.bundle.boundaries["top"])
        F = self.internal_work(v) - traction
        if self.tether:
            tether = self._tether_energy_density() * self.dx_mech
            F += ufl.derivative(tether, self.u, v)
            self._tether_energy_form = fem.form(tether)  # compiled once, assembled at each accept()
        bcs = self._mechanics_bcs()
        self._modes = rigid_modes(self.Vu)
        n_owned = self.Vu.dofmap.index_map.size_local * self.Vu.dofmap.index_map_bs
        constrained = np.concatenate([bc.dof_indices()[0] for bc in bcs]) if bcs else np.array([], dtype=np.int32)
        free = surviving_modes(self._modes, constrained[constrained < n_owned], self.comm)
        self.n_rigid_free = len(free)
        self.nullspace = PETSc.NullSpace().create(vectors=free, comm=self.comm) if free else None
        return F, bcs, free

    def _tether_energy_density(self) -> ufl.core.expr.Expr:
        """band_tether/2 |u - u_old|^2 in cracked material (d >= threshold), 0 elsewhere: a spring
        from each point of a crack to its place at the last accepted step. It holds the nodes
        inside a wide-open crack, which finite strain leaves floating (a singular tangent), and
        nothing else: intact material never feels it."""
        cracked = ufl.conditional(ufl.ge(self.d, self.case["fracture"]["threshold"]), 1.0, 0.0)
        return 0.5 * self.tether * cracked * ufl.inner(self.u - self.u_old, self.u - self.u_old)

    def _build_mechanics(self) -> NonlinearProblem:
        sol = self.case["solver"]
        F, bcs, free = self._mechanics_form()
        size = self.Vu.dofmap.index_map.size_global * self.Vu.dofmap.index_map_bs
        preset = sol["mechanics"].replace("cg_gamg", "cg")
        # Split energies are piecewise quadratic in u, the return mapping and finite strain are
        # nonlinear: Newton then, one linear solve otherwise.
        nonlinear = (self.fracture and self.split not in ("none", "rankine")) or self.plastic or self.kin.finite
        if nonlinear:  # the proximal term of `_proximal_solve`: zero shift, so no term, in every other solve
            v = ufl.TestFunction(self.Vu)
            F += self._proximal_shift * ufl.inner(self.u - self._proximal_centre, v) * self.dx_mech
        self._proximal_term = nonlinear
        newton = {"snes_type": "newtonls", "snes_linesearch_type": "bt"} if nonlinear else {"snes_type": "ksponly"}
        opts = {**newton, "snes_rtol": sol["newton_rtol"], "snes_atol": sol["newton_atol"] * self.atol_scale,
                "snes_max_it": sol["newton_max_it"],
                **_solver_options(preset, size, True, sol["linear_rtol"], singular=bool(free))}
        act = self.case["active"]
        if not nonlinear and act["E"] == act["E_lithiated"] and act["nu"] == act["nu_lithiated"] and not self.fracture:
            # The stiffness does not depend on c: assemble and factorise it once for the whole run.
            opts.update(snes_lag_jacobian=-2, snes_lag_jacobian_persists=True)
        opts.update(_case_options(sol, "sifrac_mechanics_"))
        problem = NonlinearProblem(F, self.u, bcs=bcs, petsc_options_prefix="sifrac_mechanics_", petsc_options=opts)
        problem.A.setNearNullSpace(PETSc.NullSpace().create(vectors=self._modes, comm=self.comm))
        if self.nullspace is not None:
            problem.A.setNullSpace(self.nullspace)
        return problem

    def _region_field(self, values: dict[str, float]) -> fem.Function:
        """A DG0 field with one value per named region (0 elsewhere)."""
        f = fem.Function(fem.functionspace(self.bundle.mesh, ("DG", 0)))
        for region, value in values.items():
            f.x.array[self.bundle.cell_tags.find(self.bundle.regions[region])] = value
        f.x.scatter_forward()
        return f

    def _dofs_outside(self, regions: list[str]) -> np.ndarray:
        """P1 dofs that touch no cell of the given regions (pinned for fields living there only)."""
        mesh = self.bundle.mesh
        tdim = mesh.topology.dim
        inside = [self.bundle.cell_tags.find(self.bundle.regions[r]) for r in regions if r in self.bundle.regions]
        inside_dofs = np.unique(self.Vc.dofmap.list[np.concatenate(inside)].ravel())
        n_cells = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
        all_dofs = np.unique(self.Vc.dofmap.list[:n_cells].ravel())
        return np.setdiff1d(all_dofs, inside_dofs).astype(np.int32)

    def _build_damage(self) -> NonlinearProblem:
        """Damage minimisation as a bound-constrained problem: d_prev <= d <= 1 (SNES VI)."""
        frac, act, sol = self.case["fracture"], self.case["active"], self.case["solver"]
        regions = [r for r in frac["regions"] if r in self.bundle.regions]
        gc0, gc1, ell = {"si": act["Gc"]}, {"si": act["Gc_lithiated"]}, {"si": frac["length_scale"]}
        for r in regions:
            if r != "si":
                if "Gc" not in self.case[r]:
                    raise CaseError(f"[fracture] regions = {frac['regions']}: {self.case[r]['material']} has no Gc; "
                                    f"set [{r}] Gc or allowed: regions without {r}")
                gc0[r] = gc1[r] = self.case[r]["Gc"]
                ell[r] = frac.get("length_scale_electrolyte", frac["length_scale"])
        Gc0, Gc1, ell = self._region_field(gc0), self._region_field(gc1), self._region_field(ell)
        Gc = Gc0 + (Gc1 - Gc0) * self.c
        if self.kin.finite:
            # Gc and ell belong to the lithiated material: pulled back to the reference
            # configuration through the chemical stretch J_c^(1/3), a crack face's area per
            # reference area is J_c^(2/3) and the regularisation width shrinks by J_c^(-1/3), so the
            # strength sqrt(3 Gc E / (8 ell)) of the lithiated material is kept (the elastic
            # energy per reference volume carries J_c too). crack_length is the reference length.
            jc = volume_ratio(self.c - self.c_ref, self.beta, self.kin)
            Gc, ell = Gc * jc ** (2 / 3), ell * jc ** (-1 / 3)
        model = frac["model"]
        frac_ids = tuple(self.bundle.regions[r] for r in regions)
        dx_frac = self.dx(frac_ids)
        surface = phasefield.surface_energy_density(self.d, Gc, ell, model) * dx_frac
        self._dissipation_form = fem.form(surface)
        # The crack measure is a length in the section even when axisymmetric (the ring crack's
        # depth), so that a criterion such as crack_length_min means the same as in plane strain.
        self._crack_measure_form = fem.form(phasefield.surface_energy_density(self.d, 1.0, ell, model)
                                            * self.dx_section(frac_ids))
        self._crack_factor = phasefield.effective_gc_factor(model, self.case["geometry"]["mesh_size_surface"],
                                                            frac["length_scale"])
        q = ufl.TestFunction(self.Vc)
        # The damage step minimises at fixed u (and fixed plastic strain, that of the last
        # mechanics solve: the yield stress depends on d, but the driving force is g'(d) psi_plus
        # at fixed eps_p), so the driving energy is evaluated once per damage solve at the
        # quadrature points of dx_mech and the VI's Newton iterations assemble only
        # g(d) H + crack density: the same discrete problem, without re-evaluating principal
        # stresses or splits at every assembly.
        driving = elasticity.crack_driving_energy(self.u, self.c - self.c_ref, self.material)
        self._driving = fem.Function(self._quadrature_space(()), name="crack_driving_energy")
        self._driving_expr = fem.Expression(driving, self._driving.function_space.element.interpolation_points)
        total = self.g * self._driving * self.dx_mech + surface
        self._damage_energy_form = fem.form(total)
        F = ufl.derivative(total, self.d, q)
        self._outside_frac = self._dofs_outside(regions)
        bcs = [fem.dirichletbc(default_scalar_type(0.0), self._outside_frac, self.Vc)]
        size = self.Vc.dofmap.index_map.size_global
        # At fixed driving energy the damage energy is quadratic in d (quadratic degradation, w(d)
        # linear or quadratic, quadratic gradient term): its Hessian does not change during a
        # damage solve, so it is assembled once per solve (lag > max_it, not persistent) and the
        # VI's Newton steps only re-assemble residuals. Exact: the iterates are bit-identical
        # (3D sphere benchmark), and 2/3 of the damage Jacobian assemblies go.
        max_it = 50
        opts = {"snes_type": "vinewtonrsls", "snes_rtol": 1e-9, "snes_atol": 1e-9 * self.atol_scale, "snes_stol": 0.0,
                "snes_max_it": max_it, "snes_lag_jacobian": max_it + 1,
                **_solver_options(sol["damage"], size, True, sol["linear_rtol"])}
        opts.update(_case_options(sol, "sifrac_damage_"))
        problem = NonlinearProblem(F, self.d, bcs=bcs, petsc_options_prefix="sifrac_damage_", petsc_options=opts)
        self._upper = self.d.x.petsc_vec.duplicate()
        self._upper.set(1.0)
        problem.solver.setVariableBounds(self.d_prev.x.petsc_vec, self._upper)
        return problem

    def _initial_crack(self) -> None:
        """d = 1 on the nodes within 0.6 surface element sizes of the case's initial segment (2D),
        disc (3D), or of the surface flaw: the part of the plane x = centre within `surface_flaw` of the top point
        of the outer surface (a segment in 2D, a half-penny disc in 3D)."""
        frac = self.case["fracture"]
        seg, disc, flaw = frac.get("initial_crack"), frac.get("initial_disc"), frac["surface_flaw"]
        x = self.Vc.tabulate_dof_coordinates()
        geometry = self.case["geometry"]
        width = 0.6 * (top_mesh_size(geometry) if flaw > 0 else geometry["mesh_size_surface"])
        if seg is not None:
            a, b = np.asarray(seg[0]), np.asarray(seg[1])
            t = np.clip((x - a) @ (b - a) / max((b - a) @ (b - a), 1e-300), 0.0, 1.0)
            band = np.linalg.norm(x - (a + t[:, None] * (b - a)), axis=1) <= width
        elif disc is not None:
            center, normal = np.asarray(disc[0], dtype=float), np.asarray(disc[1], dtype=float)
            normal /= np.linalg.norm(normal)
            off = (x - center) @ normal
            radial = np.linalg.norm(x - center - off[:, None] * normal, axis=1)
            band = (np.abs(off) <= width) & (radial <= frac["initial_disc_radius"])
        elif flaw > 0:
            center = np.asarray(self.bundle.center, dtype=float)
            top = center + [0.0, self.bundle.reference_length / 2, 0.0]
            band = (np.abs(x[:, 0] - center[0]) <= width) & (np.linalg.norm(x - top, axis=1) <= flaw)
        else:
            return
        band[self._outside_frac] = False
        self.d.x.array[band] = 1.0

    def initialise(self, soc: float) -> None:
        """Uniform concentration soc in Si (zero elsewhere), taken as the stress-free state.

        The equilibrium is still solved, since stack pressure may load the initial state.
        """
        self.c.x.array[:] = soc
        self.c.x.array[self._outside_si] = 0.0
        self.c_old.x.array[:] = self.c.x.array
        self.dt_old = None
        self.c_ref.value = soc
        self._load_atol = None
        if self.fracture:
            self._initial_crack()
            self.d_prev.x.array[:] = self.d.x.array
            self.solve_equilibrium()
        else:
            self.solve_mechanics(coupled_done=False)
        self._commit_equilibrium()

    def state_functions(self) -> dict[str, fem.Function]:
        """Every Function that carries state from one step to the next, by a stable name.

        The one list of the problem's state: checkpoints save and restore exactly these arrays
        (owned and ghost entries), so a new state field is registered here and nowhere else.
        """
        state = {"c": self.c, "c_old": self.c_old, "c_older": self.c_older, "u": self.u, "u_old": self.u_old}
        if self.fracture:
            state.update(d=self.d, d_prev=self.d_prev)
        if self.sigma_h is not None:
            state.update(sigma_h=self.sigma_h, sigma_h_old=self.sigma_h_old)
        if self.sigma_h_cell is not None:  # the coupled Newton's starting point for it
            state.update(sigma_h_cell=self.sigma_h_cell)
        if self.plastic:
            state.update(eps_p=self.eps_p_old, p=self.p_old)
        if self.axial is not None:
            state.update(axial=self.axial)
        return state

    # -- solves -------------------------------------------------------------------------------
    def _solve(self, problem: NonlinearProblem, role: str) -> int:
        """Solve, count and time one nonlinear problem; a non-converged solve (SNES or its last
        KSP) raises SolverFailure. A solve that fails in a linear solve with a kept (stale)
        preconditioner is retried once from the same iterate with a fresh one, and one whose
        backtracking line search stalls once with the l2 line search (`_retry_line_search`).
        Returns the Newton iterations."""
        reuse = self._pc_reuse.get(role)
        fields = _unknowns(problem)
        start = [f.x.array.copy() for f in fields]
        for attempt in range(2):
            builds = reuse.builds if reuse is not None else 0
            ok, reason, ksp_reason = self._attempt(problem, role)
            if reuse is None:
                break
            stale = not reuse.fresh  # the last linear solve ran with a kept preconditioner
            reuse.update(ok)
            self.stats.built_preconditioner(role, reuse.builds - builds)
            if ok or not stale or attempt:
                break
            _log.debug("%s solve failed with a kept preconditioner (SNES reason %d, KSP reason %d): "
                       "retrying with a fresh one", role, reason, ksp_reason)
            _restore(fields, start)  # retry with the preconditioner rebuilt by update()
        if not ok and reason == PETSc.SNES.ConvergedReason.DIVERGED_LINE_SEARCH:
            _restore(fields, start)
            ok, reason, ksp_reason = self._retry_line_search(problem, role)
        if not ok and problem is self._mechanics and self._proximal_term and problem.solver.getType() == "newtonls":
            _restore(fields, start)
            ok, reason, ksp_reason = self._proximal_solve(problem, role)
        if not ok:
            why = self._rejected or f"SNES reason {reason}, KSP reason {ksp_reason}"
            raise SolverFailure(f"{role} solve did not converge ({why}{self._where_residual(problem)})")
        return problem.solver.getIterationNumber()

    def _where_residual(self, problem: NonlinearProblem) -> str:
        """'; largest residual R at (x, y) nm' for a failed single-field solve: the node where its
        last iterate is furthest from balance (a flaw tip, an interface, a corner), so that a cut
        step says where the trouble is; '' for a coupled problem, a bound-constrained one (the
        damage VI, whose residual need not vanish at its bounds) or a state that is not finite."""
        if len(_unknowns(problem)) != 1 or problem.solver.getType().startswith("vi"):
            return ""
        residual = _residual(problem)
        space = problem.u.function_space
        bs = space.dofmap.index_map_bs
        n = space.dofmap.index_map.size_local
        nodal = np.linalg.norm(residual.array_r[:n * bs].reshape(n, bs), axis=1)
        residual.destroy()
        i = int(np.argmax(nodal)) if n else 0
        mine = (float(nodal[i]), tuple(space.tabulate_dof_coordinates()[i, :self.dim])) if n else (-1.0, ())
        value, where = max(self.comm.allgather(mine), key=lambda m: m[0])
        if not np.isfinite(value) or value < 0:
            return ""
        return f"; largest residual {value:.3g} at ({', '.join(f'{x:.4g}' for x in where)}) nm"

    def _attempt(self, problem: NonlinearProblem, role: str) -> tuple[bool, int, int]:
        """One timed solve from the current iterate, counted in the statistics; (converged, SNES
        reason, KSP reason). A converged solve whose displacement ran away (`RUNAWAY_EXTENT`) or
        is not finite counts as failed, so the caller retries or cuts the step instead of taking
        a state at infinity."""
        t0 = time.perf_counter()
        problem.solve()
        snes = problem.solver
        reason, ksp_reason = snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        ok = reason > 0 and ksp_reason >= 0
        self._rejected = None
        if ok and any(f is self.u for f in _unknowns(problem)):
            largest = self._max_abs(self.u.x.array, self.Vu)
            if not largest <= self._runaway_limit:  # NaN fails too
                ok = False
                self._rejected = (f"the displacement ran away to {largest:.3g} nm, beyond {RUNAWAY_EXTENT:g} "
                                  "times the mesh extent")
                _log.debug("%s solve: %s; rejected", role, self._rejected)
        self.stats.add(role, snes.getIterationNumber(), snes.getLinearSolveIterations(),
                       time.perf_counter() - t0, ok)
        return ok, reason, ksp_reason

    def _retry_line_search(self, problem: NonlinearProblem, role: str) -> tuple[bool, int, int]:
        """Retry a solve whose backtracking (bt) line search stalled, once, from its start with
        the secant l2 line search; then restore bt. Why: the split energies and the plastic return
        are only C1, and near their kinks (a crack band crushed in finite strain) Newton's direction
        can be poor for the cubic backtracking model, which then stalls far above the tolerance
        (measured: a 90 nm finite-strain particle stalled at |F| = 4.9e-6 with a Newton step of
        56 nm, where l2 converged and the run went on). Any other failure returns unchanged; the
        caller then cuts the step."""
        snes = problem.solver
        search = snes.getLineSearch()
        if snes.getType() != "newtonls" or search.getType() != "bt":  # the damage VI keeps its own
            return False, snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        _log.debug("%s solve: the bt line search stalled; retrying with l2", role)
        search.setType("l2")
        try:
            return self._attempt(problem, role)
        finally:
            search.setType("bt")

    def _proximal_solve(self, problem: NonlinearProblem, role: str) -> tuple[bool, int, int]:
        """Reach the equilibrium that Newton could not by proximal-point steps, each
        u_k+1 = argmin W(u) + s/2 |u - u_k|^2 (the mass norm), a convex problem once s exceeds
        the tangent's most negative eigenvalue. s starts at PROXIMAL_START times the stiffness-to-
        mass ratio, grows after a failed step (past PROXIMAL_LARGEST it gives up), is kept while
        the residual grows (the iterate is still travelling) and shrinks once it falls; below
        PROXIMAL_END of that ratio it is dropped and the step is plain Newton. Converged when the
        residual without the proximal term meets the solve's tolerance (rtol relative to the
        residual at the start, or atol), or when that plain Newton step converges: the result is
        an equilibrium, not a damped state.

        Why: in finite strain a broken band (stiffness k, Hencky energy, perfect plasticity)
        softens geometrically once stretched past about e, so the tangent turns indefinite and
        the load passes a fold whose next equilibrium is far away. Measured on an 88 nm c-Si
        particle at SOC 0.76: smallest Jacobian eigenvalue -1.5e-4 at the flaw tip, Newton in a
        3-cycle with any line search at every dt; here 59 converged steps reach the equilibrium
        and the run goes on.
        """
        snes = problem.solver
        rtol, atol, _, _ = snes.getTolerances()
        norm = _residual_norm(problem)
        target = max(atol, rtol * norm)
        scale = self._stiffness_to_mass(problem)
        shift = PROXIMAL_START * scale
        reason, ksp_reason = snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        if not (np.isfinite(norm) and np.isfinite(scale) and scale > 0):  # a NaN state: nothing to continue
            return False, reason, ksp_reason
        _log.debug("%s solve: proximal continuation from |F| = %.3e, shift %.3e", role, norm, shift)
        centre = self._proximal_centre
        for steps in range(1, PROXIMAL_MAX_STEPS + 1):
            centre.x.array[:] = self.u.x.array
            self._proximal_shift.value = shift
            try:
                ok, reason, ksp_reason = self._attempt(problem, role)
            finally:
                self._proximal_shift.value = 0.0
            if not ok:
                self.u.x.array[:] = centre.x.array
                shift = max(shift, PROXIMAL_END * scale) * PROXIMAL_GROWTH
                if shift > PROXIMAL_LARGEST * scale * (1 + 1e-6):  # margin: round-off of repeated growth
                    break
                continue
            last, norm = norm, _residual_norm(problem)
            _log.debug("%s solve: proximal step, shift %.3e, |F| = %.3e", role, shift, norm)
            if norm <= target or shift == 0.0:
                self.stats.rescued(role)
                _log.info("%s solve: Newton failed; proximal continuation reached the equilibrium in %d steps",
                          role, steps)
                return True, reason, ksp_reason
            if norm < last:
                shift *= PROXIMAL_DECREASE
                shift = shift if shift >= PROXIMAL_END * scale else 0.0
        return False, reason, ksp_reason

    def _stiffness_to_mass(self, problem: NonlinearProblem) -> float:
        """The ratio of the summed diagonals of the last assembled Jacobian and of the mass
        matrix: the shift at which the proximal term is as stiff as the material."""
        if self._mass_diagonal is None:
            u, v = ufl.TrialFunction(self.Vu), ufl.TestFunction(self.Vu)
            mass = assemble_matrix(fem.form(ufl.inner(u, v) * self.dx_mech))
            mass.assemble()
            self._mass_diagonal = mass.getDiagonal().norm(PETSc.NormType.NORM_1)
            mass.destroy()
        return problem.A.getDiagonal().norm(PETSc.NormType.NORM_1) / self._mass_diagonal

    def solve_diffusion(self, dt: float, t_end: float) -> int:
        """One implicit step of Li transport (BDF2, or backward Euler) ending at time `t_end`;
        returns Newton iterations."""
        self.dt.value = dt
        if self.boundary is not None:  # no chemistry: only the boundary data moves
            self.boundary.advance(dt)
            return 0
        if self.loading.mode == "uniform":  # imposed uniform concentration: no transport problem
            si = np.setdiff1d(np.arange(self.c.x.array.size), self._outside_si)
            self.c.x.array[si] = self.c_old.x.array[si] + self.loading.sign * self.loading.rate * dt
            return 0
        self.surface_value.value = self.loading.surface_value(t_end)  # the potentiostatic Dirichlet value
        bdf2 = self.case["time"]["scheme"] == "bdf2" and self.dt_old is not None
        self.bdf.value[:] = diffusion.bdf_coefficients(dt, self.dt_old if bdf2 else None)
        if self.loading.mode == "galvanostatic":
            self.flux.value = self.loading.sign * self.loading.rate * self.si_volume / self.surface_area
        its = self._solve(self._diffusion, self.transport_role)
        if self.coupled:
            self._remove_rigid_motion()
        return its

    def solve_mechanics(self, coupled_done: bool = True) -> int:
        """Quasi-static equilibrium at the current concentration; returns linear iterations.

        With stress-assisted diffusion the coupled solve has already found u (skipped unless
        `coupled_done` is False, as for the initial state)."""
        if self.sigma_h is not None and coupled_done:
            return 0
        if self._load_atol is None and self._mechanics.solver.getType() == "ksponly":
            self._load_atol = self._linear_atol(self._mechanics)
        if self.axial is None:
            self._solve(self._mechanics, "mechanics")
        else:
            self._solve_free_axial()
        self._remove_rigid_motion()
        if self.sigma_h is not None:
            self.sigma_h.interpolate(self._sigma_h_expr)
        return self._mechanics.solver.getKSP().getIterationNumber()

    def _solve_free_axial(self) -> None:
        """Generalised plane strain: equilibrium in the plane and zero net axial force.

        The axial strain e is a single number, so it is found around the in-plane solve by the
        secant method on N(e) = int T_zz (the conjugate stress; sigma_zz in small strain): the
        first slope is the section's uniaxial stiffness int E (exact for a free elastic section of
        uniform nu; N is linear in e while nothing flows), later ones are secants. Converged when the change of e is below AXIAL_TOL.
        """
        e_prev = n_prev = None
        slope = self.comm.allreduce(fem.assemble_scalar(self._axial_stiffness))
        for _ in range(AXIAL_MAX_IT):
            self._solve(self._mechanics, "mechanics")
            e = self.axial_strain()
            n = self.comm.allreduce(fem.assemble_scalar(self._axial_force))
            if e_prev is not None and e != e_prev:
                slope = (n - n_prev) / (e - e_prev)
            step = -n / slope
            if abs(step) < AXIAL_TOL:
                return
            e_prev, n_prev = e, n
            self.axial.x.array[:] = e + step
        raise SolverFailure(f"generalised plane strain: the axial strain did not converge in {AXIAL_MAX_IT} "
                            f"in-plane solves (last change {step:.2e})")

    def _linear_atol(self, problem: NonlinearProblem) -> float:
        """Set and return the absolute tolerance of a linear problem's Krylov solves:
        linear_rtol times |F(0)|, the residual of the full current load.

        A staggered iteration or a time step starts the solve from the last solution, so its
        right-hand side (the residual there) is a small correction; converging it by linear_rtol
        relative to itself over-solves by that ratio (measured on the 3D sphere benchmark: as many
        CG iterations per correction as for the full load from zero). Against |F(0)| every solve
        meets the accuracy of a from-zero solve of the whole load. Evaluated once per equilibrium
        solve (the load moves with c, d and boundary data, slowly); only for linear problems
        (ksponly), since Newton's own rtol needs the linear solve relative to its residual.
        """
        residual = residual_at_zero(problem)
        atol = self.case["solver"]["linear_rtol"] * residual.norm()
        residual.destroy()
        problem.solver.getKSP().setTolerances(atol=atol)
        return atol

    @property
    def transport_role(self) -> str:
        """The statistics role of the transport solve: "coupled" when it also solves u and sigma_h."""
        return "coupled" if self.coupled else "diffusion"

    @property
    def solvers(self) -> dict[str, NonlinearProblem]:
        """The PETSc problems by role (for benchmarks and diagnostics)."""
        return {name: p for name, p in (("diffusion", self._diffusion), ("mechanics", self._mechanics),
                                        ("damage", self._damage)) if p is not None}

    def solve_equilibrium(self) -> int:
        """Mechanics at the current concentration; with fracture, alternate minimisation of the
        energy in u and d until the damage increment and the energy change are below tolerance.
        Returns the number of staggered iterations (0 without fracture)."""
        self._load_atol = None  # the load has moved: its scale is evaluated again
        if not self.fracture:
            self.solve_mechanics()
            return 0
        frac = self.case["fracture"]
        omega = frac["relaxation"] if frac["acceleration"] == "overrelaxation" else 1.0
        energy_old, last_step, last_raw = None, None, None
        with self.stats.equilibrium():
            for it in range(1, frac["max_iterations"] + 1):
                self.stats.staggered_iterations += 1
                self.solve_mechanics()
                self.d_iter.x.array[:] = self.d.x.array
                self.update_crack_driving_energy()
                energy_start = self._damage_energy() if omega != 1.0 else None
                self._solve(self._damage, "damage")
                last_raw = self._damp_oscillation(last_raw)
                if omega != 1.0:
                    last_step = self._over_relax(omega, energy_start, last_step)
                increment = self._max_abs(self.d.x.array - self.d_iter.x.array)
                if increment == 0.0:  # d unchanged: u is already in equilibrium with it
                    return it
                energy = self.total_energy()
                change = abs(energy - energy_old) / max(abs(energy), 1e-300) if energy_old is not None else np.inf
                if increment < frac["tol_damage"] and change < frac["tol_energy"]:
                    self.solve_mechanics()  # u in equilibrium with the converged damage
                    return it
                energy_old = energy
        raise SolverFailure(f"alternate minimisation did not converge in {frac['max_iterations']} iterations "
                            f"(damage increment {increment:.2e}, energy change {change:.2e})")

    def update_crack_driving_energy(self) -> None:
        """Evaluate the damage problem's driving energy at the current u (before a damage solve)."""
        self._driving.interpolate(self._driving_expr)

    def _damage_energy(self) -> float:
        """The energy the damage step minimises at the current u (its own driving force, e.g.
        the Rankine one, and the plastic strain frozen at the last mechanics solve)."""
        return self.comm.allreduce(fem.assemble_scalar(self._damage_energy_form))

    def _damp_oscillation(self, last_raw: np.ndarray | None) -> np.ndarray:
        """Damp a damage step that swings back (Aitken / Irons-Tuck); returns the undamped step.

        With the Rankine driving force and plasticity the staggered map is not a descent method,
        and alternate minimisation can fall into a limit cycle: at the flaw of a particle embedded
        in LLZO, nodes next to the flaw moved d by +4e-3, -4e-3, ... for 300 iterations. The ratio
        r = <s_k, s_(k-1)> / |s_(k-1)|^2 of consecutive undamped steps s = d_min - d_iter estimates
        the map's slope along the last step; when r < -1/2 (a swing back at least half as long)
        the step is scaled by 1 / (1 - r), which removes a linear two-cycle in one iteration and
        keeps d between d_iter and d_min (inside the bounds). Monotone (creeping) iterations are
        left to `_over_relax`; the converged state, d_min(u(d)) = d, is the same."""
        start = self.d_iter.x.array
        raw = self.d.x.array - start
        if last_raw is not None:
            r = self._dot(raw, last_raw) / max(self._dot(last_raw, last_raw), 1e-300)
            if r < -0.5:
                self.d.x.array[:] = start + raw / (1.0 - r)
        return raw

    def _over_relax(self, omega: float, energy_start: float, last_step: np.ndarray | None) -> np.ndarray:
        """Move d from the damage minimiser d_min (found from d_iter) to d_iter + omega (d_min -
        d_iter), projected onto the bounds [d_prev, 1] (Farrell & Maurini 2017); returns the step
        taken. While a crack grows, alternate minimisation creeps: each iteration moves d by about
        the same amount in the same direction, and the longer step cuts the iterations.

        Only such creeping steps are lengthened, those that point the way of the last one
        (`last_step`, positive inner product): the first iteration of a load step answers the new
        load, and a step that turns back is converging or correcting an overshoot; lengthening
        those overshoots (SENT short: 3 -> 6 iterations per stable load step). d_min minimises
        the energy at fixed u, so any other d has more; the step is kept only if the energy stays
        below `energy_start` (that of d_iter), so that every iteration still lowers the energy;
        otherwise d stays d_min. All local entries (owned and ghost) get the same pointwise map,
        so the ghosts stay consistent."""
        start = self.d_iter.x.array
        d_min = self.d.x.array.copy()
        if last_step is not None and self._dot(d_min - start, last_step) > 0.0:
            self.d.x.array[:] = np.clip(start + omega * (d_min - start), self.d_prev.x.array, 1.0)
            if self._damage_energy() > energy_start:
                self.d.x.array[:] = d_min
        return self.d.x.array - start

    def _dot(self, a: np.ndarray, b: np.ndarray) -> float:
        """Inner product of two P1 arrays over the owned dofs (global)."""
        n = self.Vc.dofmap.index_map.size_local
        return self.comm.allreduce(float(a[:n] @ b[:n]))

    def _max_abs(self, values: np.ndarray, space: fem.FunctionSpace | None = None) -> float:
        """Largest |value| over the owned dofs of `space` (default: the P1 space of c and d)."""
        dofmap = (space or self.Vc).dofmap
        n = dofmap.index_map.size_local * dofmap.index_map_bs
        return self.comm.allreduce(float(np.abs(values[:n]).max(initial=0.0)), op=MPI.MAX)

    def damage_increment(self) -> float:
        """Largest growth of damage in the current step."""
        return self._max_abs(self.d.x.array - self.d_prev.x.array) if self.fracture else 0.0

    def total_energy(self) -> float:
        """Stored elastic energy plus crack surface energy."""
        return self.elastic_energy() + (self.dissipated_energy() if self.fracture else 0.0)

    def dissipated_energy(self) -> float:
        """Crack surface energy: Gc times the regularised crack length (area in 3D)."""
        return self.comm.allreduce(fem.assemble_scalar(self._dissipation_form))

    def crack_length(self) -> float:
        """Regularised crack length (area in 3D) over the discretisation's effective-Gc factor."""
        return self.comm.allreduce(fem.assemble_scalar(self._crack_measure_form)) / self._crack_factor

    def max_plastic_strain(self) -> float:
        """Largest equivalent plastic strain at any quadrature point of Si (accepted state)."""
        return self._max_abs(self.p_old.x.array, self.p_old.function_space)

    def axial_strain(self) -> float:
        """The uniform out-of-plane strain of generalised plane strain."""
        return float(self.axial.x.array[0])

    def max_damage(self) -> float:
        return self._max_abs(self.d.x.array) if self.fracture else 0.0

    def _remove_rigid_motion(self) -> None:
        if self.nullspace is not None:
            self.nullspace.remove(self.u.x.petsc_vec)
            self.u.x.scatter_forward()

    def accept(self) -> None:
        """Make the current state (concentration, damage, mechanics) the start of the next step."""
        self.c_older.x.array[:] = self.c_old.x.array
        self.c_old.x.array[:] = self.c.x.array
        self.d_prev.x.array[:] = self.d.x.array
        self.dt_old = float(self.dt.value)
        if self.tether:
            self.tether_energy = self.comm.allreduce(fem.assemble_scalar(self._tether_energy_form))
        self._commit_equilibrium()

    def _commit_equilibrium(self) -> None:
        """Store the mechanical state just found as the last accepted one (the initial state and
        every accepted step): displacement, hydrostatic stress, plastic state, boundary work."""
        self.u_old.x.array[:] = self.u.x.array
        if self.sigma_h is not None:
            self.sigma_h_old.x.array[:] = self.sigma_h.x.array
        if self.plastic:
            self._accept_plastic_state()
        if self.boundary is not None:
            self.boundary.accept()

    def reject(self) -> None:
        """Return to the last accepted state."""
        self.c.x.array[:] = self.c_old.x.array
        self.u.x.array[:] = self.u_old.x.array
        self.d.x.array[:] = self.d_prev.x.array
        if self.sigma_h is not None:
            self.sigma_h.x.array[:] = self.sigma_h_old.x.array

    def max_increment(self) -> float:
        """Largest change of c in this step over unconstrained dofs (drives dt adaptivity)."""
        d = self.c.x.array - self.c_old.x.array
        d[self._constrained_c] = 0.0
        return self._max_abs(d)

    # -- scalars ------------------------------------------------------------------------------
    def c_range(self) -> tuple[float, float]:
        """Smallest and largest concentration in Si."""
        n = self.Vc.dofmap.index_map.size_local
        mask = np.ones(n, dtype=bool)
        mask[self._outside_si[self._outside_si < n]] = False
        c = self.c.x.array[:n][mask]
        lo = self.comm.allreduce(float(c.min(initial=np.inf)), op=MPI.MIN)
        hi = self.comm.allreduce(float(c.max(initial=-np.inf)), op=MPI.MAX)
        return lo, hi

    def soc(self) -> float:
        """State of charge: mean concentration over Si."""
        return self.comm.allreduce(fem.assemble_scalar(self._soc_form)) / self.si_volume

    def elastic_energy(self) -> float:
        """Stored elastic energy of all solids (GPa nm^3 = 1e-18 J; per unit depth in 2D)."""
        return self.comm.allreduce(fem.assemble_scalar(self._energy_form))

    def dofs(self) -> dict[str, int]:
        return {"concentration": self.Vc.dofmap.index_map.size_global,
                "displacement": self.Vu.dofmap.index_map.size_global * self.Vu.dofmap.index_map_bs}
