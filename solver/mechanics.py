"""Quasi-static mechanics of all solid regions: material fields, supports, rigid modes, the plastic
state, the out-of-plane strain of generalised plane strain, and the equilibrium solve.

The residual is built once (`Mechanics.residual`): the mechanics' own solve adds the proximal term
of `solver/nonlinear.py` to it, and a coupled transport solve (`solver/transport.py`) takes it
with the supports into its monolithic system.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from mpi4py import MPI

from sifrac.solver import elasticity, lixsi, plasticity
from sifrac.solver.case import Case
from sifrac.solver.concentration import Concentration
from sifrac.solver.damage import PhaseField
from sifrac.solver.domain import Domain
from sifrac.solver.elasticity import Material
from sifrac.solver.kinematics import Kinematics
from sifrac.solver.nonlinear import NonlinearSolver, Proximal, SolverFailure
from sifrac.solver.reaction_front import PHASE_SWITCH, FrontField
from sifrac.solver.solvers import RigidModes, linear_options, newton_options, nonlinear_problem
from sifrac.solver.stats import SolverStats


#: Generalised plane strain: the axial strain is converged to this absolute change, within at
#: most AXIAL_MAX_IT in-plane solves per equilibrium.
AXIAL_TOL = 1e-10
AXIAL_MAX_IT = 30

#: A converged mechanics solve is rejected when a displacement exceeds this many times the
#: extent of the mesh: no swelling or crack opening moves material that far (free swelling of
#: Li3.75Si stretches by 1.56), but a Hencky body whose broken band or plastic zone is stretched
#: without bound has a residual that vanishes at infinity, so a line search can "converge" there.
RUNAWAY_EXTENT = 10.0


def material_fields(domain: Domain, case: Case, c: fem.Function, lithiated: FrontField | None = None) -> tuple:
    """Piecewise-constant moduli and swelling by region; E and nu vary linearly with c in Si
    (`[active] modulus_law = "interpolated"`), or, behind a reaction front (`lithiated`), as
    (1 - h) times the pristine values plus h times the LixSi law of the lithiated phase's
    composition (`solver/lixsi.py`: "linear" or "hertzberg"), h the lithiated phase fraction.
    Returns (E, nu, beta, si): beta the 3x3 linear expansion per unit concentration, si the Si
    indicator (DG0: 1 in Si, 0 elsewhere), where the material flows plastically and which side of
    an interface takes up Li."""
    act = case.active
    props = {"si": (act.E, act.E_lithiated, act.nu, act.nu_lithiated, act.expansion / 3)}
    for region in ("electrolyte", "collector"):
        if region in domain.regions:
            mat = case.section(region)
            props[region] = (mat.E, mat.E, mat.nu, mat.nu, 0.0)
    E0, E1, nu0, nu1, beta0 = (domain.region_field({r: v[k] for r, v in props.items()}) for k in range(5))
    w = np.asarray(case.mechanics.expansion_weights, dtype=float)
    beta = beta0 * ufl.as_matrix(np.diag(3 * w / w.sum()).tolist())
    si = domain.region_field({"si": 1.0})
    law = act.modulus_law
    if law in lixsi.MODULUS_LAWS:
        h, x = lithiated.h, lithiated.composition(c)
        E = E0 + si * h * (lixsi.MODULUS_LAWS[law](x, ufl.max_value) - E0)
        nu = nu0 + si * h * (lixsi.POISSON(x, ufl.max_value) - nu0)
        return E, nu, beta, si
    E = E0 + (E1 - E0) * c
    nu = nu0 + (nu1 - nu0) * c
    return E, nu, beta, si


def supports(domain: Domain, case: Case) -> list[fem.DirichletBC]:
    """Rollers on symmetry planes, the film bottom and (by default) its side faces; with free
    sides the bottom is clamped instead."""
    bundle, dim, V = domain.bundle, domain.dim, domain.Vu
    axis = {"symmetry_x": 0, "symmetry_y": 1, "symmetry_z": 2}
    if bundle.thickness_axis is not None:
        axis["bottom"] = bundle.thickness_axis
    if case.mechanics.lateral == "roller":
        axis.update(left=0, right=0, front=1, back=1)
    elif "bottom" in bundle.boundaries:
        axis["bottom"] = None
    bcs = []
    for name, comp in axis.items():
        if name not in bundle.boundaries or (comp is not None and comp >= dim):
            continue
        facets = domain.facets(name)
        for k in range(dim) if comp is None else [comp]:
            dofs = fem.locate_dofs_topological(V.sub(k), dim - 1, facets)
            bcs.append(fem.dirichletbc(default_scalar_type(0.0), dofs, V.sub(k)))
    return bcs


class Runaway:
    """The guard of a solve of u: why its converged state is unusable (a displacement beyond
    RUNAWAY_EXTENT times the mesh extent, or not finite), or None. A callable of its own, not a
    method of the mechanics, so that the solvers holding it make no reference cycle."""

    def __init__(self, domain: Domain, u: fem.Function) -> None:
        self.domain, self.u = domain, u
        x = domain.mesh.geometry.x
        self.limit = RUNAWAY_EXTENT * domain.comm.allreduce(float(np.max(np.ptp(x, axis=0))) if x.size else 0.0,
                                                            op=MPI.MAX)

    def __call__(self) -> str | None:
        largest = self.domain.max_abs(self.u.x.array, self.domain.Vu)
        if largest <= self.limit:
            return None
        return f"the displacement ran away to {largest:.3g} nm, beyond {RUNAWAY_EXTENT:g} times the mesh extent"


class PlasticState:
    """J2 plasticity of Si: the accepted state (eps_p, p) at the quadrature points of the
    mechanics forms, and the plastic strain of the current iterate (the accepted state plus its
    radial return, a UFL function of u). `accept` evaluates the returned state there. Behind a
    reaction front (`lithiated`) the pristine core stays elastic and the lithiated phase flows at
    `yield_stress` (constant in its composition: no source for a dependence was found)."""

    def __init__(self, domain: Domain, case: Case, u: fem.Function, c: fem.Function, swelling, base: Material,
                 si: fem.Function, lithiated: FrontField | None = None) -> None:
        act = case.active
        self.eps_p_old = fem.Function(domain.quadrature_space((3, 3)), name="plastic_strain")
        self.p_old = fem.Function(domain.quadrature_space(()), name="equivalent_plastic_strain")
        self._domain = domain
        sigma_y = plasticity.yield_stress(c, act.yield_stress_pristine, act.yield_stress)
        if lithiated is not None:  # behind a reaction front only the lithiated phase flows, at its yield stress
            sigma_y = act.yield_stress + 0 * c
            si = si * ufl.conditional(ufl.gt(lithiated.h, PHASE_SWITCH), 1.0, 0.0)
        if base.g is not None:  # the nominal (degraded) stress yields: see solver/plasticity.py
            sigma_y = sigma_y / base.g
        trial = elasticity.elastic_strain(u, swelling, replace(base, eps_p=self.eps_p_old))
        _, mu = elasticity.lame(base.E, base.nu)
        deps, dp = plasticity.radial_return(trial, mu, sigma_y, case.mechanics.hardening, self.p_old, si)
        self.eps_p = self.eps_p_old + deps
        points = self.eps_p_old.function_space.element.interpolation_points
        self._update = [(f, fem.Expression(expr, points), fem.Function(f.function_space))
                        for f, expr in ((self.eps_p_old, self.eps_p), (self.p_old, self.p_old + dp))]

    def accept(self) -> None:
        """Evaluate both returned fields first, then store them (each expression reads both)."""
        for _, expr, tmp in self._update:
            tmp.interpolate(expr)
        for f, _, tmp in self._update:
            f.x.array[:] = tmp.x.array

    def max_plastic_strain(self) -> float:
        """Largest equivalent plastic strain at any quadrature point of Si (accepted state)."""
        return self._domain.max_abs(self.p_old.x.array, self.p_old.function_space)


class Mechanics:
    """Equilibrium of the chemo-elastic (plastic, damaged) solids under the given supports `bcs`
    (`supports()` or a mechanical loading mode's).

    The material is built here with every field it reads: the region fields (and the reaction
    front's phase fraction, `lithiated`, with front_law = "reaction"), the damage field
    `phase` (with fracture: its degradation g(d) weakens the material; the damage problem that
    evolves it is `solver/damage.py`), the axial strain and the plastic state. The fields are
    made in this order on purpose: UFL orders the operands of sums and products by creation, so
    the order fixes the generated kernels and hence the round-off of every result.
    """

    def __init__(self, domain: Domain, case: Case, conc: Concentration, bcs: list[fem.DirichletBC],
                 stats: SolverStats, lithiated: FrontField | None = None) -> None:
        mech, frac = case.mechanics, case.fracture
        self.domain, self.stats, self.bcs = domain, stats, bcs
        self._linear_rtol = case.solver.linear_rtol
        self.u = fem.Function(domain.Vu, name="displacement")
        self.u_old = fem.Function(domain.Vu)
        E, nu, beta, self.si = material_fields(domain, case, conc.c, lithiated)
        self.phase = PhaseField(domain, frac.residual_stiffness) if frac.model != "none" else None
        # Generalised plane strain: the uniform axial strain, a DG0 field so that checkpoints keep it.
        self.axial = fem.Function(domain.DG0, name="axial_strain") \
            if domain.dim == 2 and mech.out_of_plane == "generalized" else None
        kin = Kinematics(self.axial, domain.radius, mech.kinematics == "finite")
        phase = self.phase
        base = Material(E, nu, beta, kin, phase.g if phase is not None else None, frac.split)
        self.plastic = PlasticState(domain, case, self.u, conc.c, conc.change, base, self.si, lithiated) \
            if mech.plasticity == "J2" else None
        self.material = replace(base, eps_p=self.plastic.eps_p) if self.plastic is not None else base
        # The stress conjugate to the strain measure (equilibrium), and the Cauchy stress (outputs).
        self.stress_conjugate = elasticity.stress(self.u, conc.change, self.material)
        self.sigma = elasticity.cauchy(self.stress_conjugate, self.u, kin)
        if self.axial is not None:  # N(e) and the first slope of _solve_free_axial
            # Zero axial force: int sigma_zz da = int T_zz / F_zz dA with F_zz = 1 + e uniform, so
            # int T_zz dA = 0 in both kinematics (T = sigma in small strain).
            self._axial_force = fem.form(self.stress_conjugate[2, 2] * domain.dx_mech)
            self._axial_stiffness = fem.form(E * domain.dx_mech)
        self.runaway = Runaway(domain, self.u)
        self.tether = frac.band_tether if phase is not None else 0.0
        self.tether_energy = 0.0  # of the last accepted step (see _tether_energy_density)
        self.residual = self._residual(case, phase)
        self.modes = RigidModes(domain.Vu, bcs)
        self.solver = self._build(case, phase)
        self._load_atol: float | None = None  # see new_load
        self.psi = elasticity.energy_density(self.u, conc.change, self.material)
        self._energy_form = fem.form(self.psi * domain.dx_mech)

    def internal_work(self, v) -> ufl.Form:
        """The stress against the virtual strain: the equilibrium residual without external loads
        (in finite strain the stack pressure stays a dead load on the reference surface)."""
        return elasticity.internal_work(self.stress_conjugate, self.u, v, self.domain.dx_mech, self.material.kin)

    def _residual(self, case: Case, phase: PhaseField | None) -> ufl.Form:
        """Equilibrium residual: internal work, stack pressure on the top, and the band tether."""
        domain = self.domain
        v = ufl.TestFunction(domain.Vu)
        traction = 0
        p = case.loading.stack_pressure
        if p > 0 and "top" in domain.boundaries:
            n = ufl.FacetNormal(domain.mesh)
            traction = -p * ufl.inner(n, v) * domain.ds(domain.boundaries["top"])
        F = self.internal_work(v) - traction
        if self.tether:
            tether = self._tether_energy_density(phase.d, case.fracture.threshold) * domain.dx_mech
            F += ufl.derivative(tether, self.u, v)
            self._tether_energy_form = fem.form(tether)  # compiled once, assembled at each accept()
        return F

    def _tether_energy_density(self, d: fem.Function, threshold: float) -> ufl.core.expr.Expr:
        """band_tether/2 |u - u_old|^2 in cracked material (d >= threshold), 0 elsewhere: a spring
        from each point of a crack to its place at the last accepted step. It holds the nodes
        inside a wide-open crack, which finite strain leaves floating (a singular tangent), and
        nothing else: intact material never feels it."""
        cracked = ufl.conditional(ufl.ge(d, threshold), 1.0, 0.0)
        return 0.5 * self.tether * cracked * ufl.inner(self.u - self.u_old, self.u - self.u_old)

    def _build(self, case: Case, phase: PhaseField | None) -> NonlinearSolver:
        """Newton where the energy is not quadratic in u (split energies, the return mapping,
        finite strain), one linear solve otherwise."""
        sol, act, domain = case.solver, case.active, self.domain
        V = domain.Vu
        size = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
        fracture = phase is not None
        nonlinear = (fracture and self.material.split not in ("none", "rankine")) or self.plastic is not None \
            or self.material.kin.finite
        F, proximal = self.residual, None
        if nonlinear:  # the proximal term of NonlinearSolver.proximal_solve: zero shift, so no term, elsewhere
            proximal = Proximal(V, domain.dx_mech)
            F = F + proximal.term(self.u, ufl.TestFunction(V))
        newton = newton_options(sol, domain.atol_scale)
        if not nonlinear:
            del newton["snes_linesearch_type"]
            newton["snes_type"] = "ksponly"
        opts = {**newton, **linear_options(sol.mechanics, size, True, sol.linear_rtol,
                                           singular=self.modes.nullspace is not None)}
        if not nonlinear and act.E == act.E_lithiated and act.nu == act.nu_lithiated and not fracture:
            # The stiffness does not depend on c: assemble and factorise it once for the whole run.
            opts.update(snes_lag_jacobian=-2, snes_lag_jacobian_persists=True)
        problem = nonlinear_problem(F, self.u, self.bcs, "sifrac_mechanics_", opts, sol)
        self.modes.attach(problem)
        return NonlinearSolver(problem, "mechanics", self.stats, keep_preconditioner=True, guard=self.runaway,
                               proximal=proximal)

    # -- solves -------------------------------------------------------------------------------
    def new_load(self) -> None:
        """The load has moved: a linear solve's tolerance is scaled to it again at the next solve."""
        self._load_atol = None

    def solve(self) -> int:
        """Quasi-static equilibrium at the current concentration and damage; returns the linear
        iterations of the last solve. A linear solve converges to linear_rtol times the residual
        of the whole load (`NonlinearSolver.set_linear_atol`), evaluated once per new load."""
        snes = self.solver.snes
        if self._load_atol is None and snes.getType() == "ksponly":
            self._load_atol = self.solver.set_linear_atol(self._linear_rtol)
        if self.axial is None:
            self.solver.solve()
        else:
            self._solve_free_axial()
        self.modes.remove(self.u)
        return snes.getKSP().getIterationNumber()

    def _solve_free_axial(self) -> None:
        """Generalised plane strain: equilibrium in the plane and zero net axial force.

        The axial strain e is a single number, so it is found around the in-plane solve by the
        secant method on N(e) = int T_zz (the conjugate stress; sigma_zz in small strain): the
        first slope is the section's uniaxial stiffness int E (exact for a free elastic section of
        uniform nu; N is linear in e while nothing flows), later ones are secants. Converged when
        the change of e is below AXIAL_TOL.
        """
        e_prev = n_prev = None
        slope = self.domain.integral(self._axial_stiffness)
        for _ in range(AXIAL_MAX_IT):
            self.solver.solve()
            e = self.axial_strain()
            n = self.domain.integral(self._axial_force)
            if e_prev is not None and e != e_prev:
                slope = (n - n_prev) / (e - e_prev)
            step = -n / slope
            if abs(step) < AXIAL_TOL:
                return
            e_prev, n_prev = e, n
            self.axial.x.array[:] = e + step
        raise SolverFailure(f"generalised plane strain: the axial strain did not converge in {AXIAL_MAX_IT} "
                            f"in-plane solves (last change {step:.2e})")

    # -- the step cycle -----------------------------------------------------------------------
    def accept(self) -> None:
        """After an accepted step: the tether's energy of the step (before u_old moves)."""
        if self.tether:
            self.tether_energy = self.domain.integral(self._tether_energy_form)

    def commit(self) -> None:
        """Store the equilibrium just found as the last accepted one: displacement, plastic state."""
        self.u_old.x.array[:] = self.u.x.array
        if self.plastic is not None:
            self.plastic.accept()

    def reject(self) -> None:
        self.u.x.array[:] = self.u_old.x.array

    def state(self) -> dict[str, fem.Function]:
        """The mechanics' share of the checkpointed state (`ChemoMechanicalModel.state_functions`)."""
        state = {"u": self.u, "u_old": self.u_old}
        if self.plastic is not None:
            state.update(eps_p=self.plastic.eps_p_old, p=self.plastic.p_old)
        if self.axial is not None:
            state.update(axial=self.axial)
        return state

    # -- scalars ------------------------------------------------------------------------------
    def axial_strain(self) -> float:
        """The uniform out-of-plane strain of generalised plane strain."""
        return float(self.axial.x.array[0])

    def elastic_energy(self) -> float:
        """Stored elastic energy of all solids (GPa nm^3 = 1e-18 J; per unit depth in 2D)."""
        return self.domain.integral(self._energy_form)
