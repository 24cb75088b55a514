"""Li transport in Si: the concentration with its time history, and the transport problem.

Only Si carries the diffusion equation: dofs outside Si are pinned to zero and Si-interface dofs
see only Si cells, which keeps the Li balance of Si exact. With stress-assisted diffusion, or a
surface concentration that follows the stress, transport is solved together with the mechanics
(one Newton on c, u and the hydrostatic stress): lagging the stress by a step is unstable under
Si's swelling unless the steps are tiny, and a lagged surface value would let the surface take up
only what an elastically locked neighbourhood allows, so the uptake would follow the step count.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from mpi4py import MPI

from sifrac.solver import axisymmetry, diffusion, elasticity
from sifrac.solver.case import MECHANICAL_MODES, Case
from sifrac.solver.concentration import Concentration
from sifrac.solver.damage import PhaseField
from sifrac.solver.domain import Domain
from sifrac.solver.loading import Loading
from sifrac.solver.mechanics import Mechanics
from sifrac.solver.nonlinear import NonlinearSolver
from sifrac.solver.reaction_front import FrontField
from sifrac.solver.solvers import case_options, linear_options, newton_options, nonlinear_problem
from sifrac.solver.stats import SolverStats


def on_surfaces(domain: Domain, si: fem.Function, surfaces: tuple[str, ...], integrand) -> ufl.Form:
    """Integral over the lithiation surfaces: exterior (free surface) or interior facets (a
    Si/electrolyte interface), where the integrand is taken on its Si side (the DG0 Si indicator
    `si` picks it; a continuous integrand has the same value on both sides)."""
    form = 0
    for name in surfaces:
        tag = domain.boundaries[name]
        si_side = si("+") * integrand("+") + si("-") * integrand("-")
        form += integrand * domain.ds(tag) + si_side * domain.dS(tag)
    return form


class Transport:
    """Li diffusion in Si, alone or coupled to the mechanics (`coupled`), for an electrochemical
    `Loading`. In "uniform" loading the concentration is imposed; a mechanical loading mode has no
    transport problem (`solver` is None) and c stays where it started.

    `mechanics` is needed when the transport is coupled (its residual and supports join the
    system, its stress drives sigma_h); `phase` when cracks speed up diffusion; `lithiated` (a
    reaction front) for the second step of a-Si, which diffuses only in the lithiated phase.
    """

    def __init__(self, domain: Domain, case: Case, conc: Concentration, loading: Loading, stats: SolverStats,
                 mechanics: Mechanics, phase: PhaseField | None, lithiated: FrontField | None = None) -> None:
        self.domain, self.conc, self.loading = domain, conc, loading
        self.scheme = case.time.scheme
        self.si_volume = domain.assemble(1.0 * domain.dx_si)
        self.surface_area = domain.assemble(on_surfaces(domain, mechanics.si, loading.surfaces, fem.Constant(
            domain.mesh, default_scalar_type(1.0)))) if loading.surfaces else 0.0
        # Transport solved together with u: stress-driven flux, or a surface value that follows
        # the stress (module docstring).
        self.sigma_h = self._stress_assisted_field(case, mechanics) if case.loading.stress_assisted else None
        self.coupled = self.sigma_h is not None or case.loading.surface_stress_coupling
        self.sigma_h_cell: fem.Function | None = None  # set by _surface_equilibrium_flux
        self.flux = fem.Constant(domain.mesh, default_scalar_type(0.0))
        self.surface_value = fem.Constant(domain.mesh, default_scalar_type(loading.surface_value(0.0)))
        self.outside_si = domain.dofs_outside(["si"])
        self.role = "coupled" if self.coupled else "diffusion"
        self._mechanics = mechanics
        self.solver = self._build(case, mechanics, phase, stats, lithiated)
        self._soc_form = fem.form(conc.c * domain.dx_si)

    def _stress_assisted_field(self, case: Case, mechanics: Mechanics) -> fem.Function:
        """The hydrostatic stress as a P1 unknown (its L2 projection), when it drives the Li flux.

        With 270-300% swelling, small-strain stress-assisted flux raises the effective diffusivity
        by a factor of order 1 + kappa * E * expansion * c (hundreds), so c, u and sigma_h are
        solved together.
        """
        Vc = self.domain.Vc
        self._sigma_h_expr = fem.Expression(elasticity.hydrostatic(mechanics.sigma), Vc.element.interpolation_points)
        self.sigma_h_old = fem.Function(Vc)  # the last accepted sigma_h (reject returns to it)
        return fem.Function(Vc, name="hydrostatic_stress")

    def _build(self, case: Case, mechanics: Mechanics, phase: PhaseField | None, stats: SolverStats,
               lithiated: FrontField | None) -> NonlinearSolver | None:
        domain, c = self.domain, self.conc.c
        act, sol, load = case.active, case.solver, case.loading
        v = ufl.TestFunction(domain.Vc)
        D = diffusion.diffusivity(c, act.diffusivity_law, act.diffusivity, act.diffusivity_lithiated,
                                  act.diffusivity_omega)
        if act.front_mobility_ratio != 1.0:
            D = D * diffusion.front_mobility_factor(c, act.front_mobility_ratio)
        factor = case.fracture.damaged_diffusivity_factor
        if phase is not None and factor != 1.0:
            D = D * (1 + (factor - 1) * phase.d)  # cracks as fast paths for Li
        if lithiated is not None:  # the second step behind a reaction front: no Li into a pristine remnant
            D = D * lithiated.h
        bcs = [fem.dirichletbc(default_scalar_type(0.0), self.outside_si, domain.Vc)]
        if self.loading.mode in MECHANICAL_MODES:  # no transport problem
            self.constrained = bcs[0].dof_indices()[0]
            return None
        influx = 0
        kappa = diffusion.stress_coupling(act.partial_molar_volume, load.temperature)
        if self.loading.mode == "galvanostatic":
            influx = on_surfaces(domain, mechanics.si, self.loading.surfaces, self.flux * v)
        elif load.surface_stress_coupling:
            influx = self._surface_equilibrium_flux(D, v, kappa, mechanics.si)
        else:
            facets = np.concatenate([domain.facets(s) for s in self.loading.surfaces])
            dofs = fem.locate_dofs_topological(domain.Vc, domain.dim - 1, facets)
            bcs.append(fem.dirichletbc(self.surface_value, dofs, domain.Vc))
        weights = {} if not domain.axisymmetric else \
            {"weight": axisymmetry.weight(domain.mesh), "lumped_weight": axisymmetry.lumped_weight(domain.Vc)}
        # Diffusion integrates on the section and takes the revolution weight explicitly: its
        # lumped storage needs the row-sum weight (diffusion.residual).
        dx_diff = domain.dx_section(domain.regions["si"], metadata={"quadrature_degree": 2})
        F = diffusion.residual(c, (self.conc.c_old, self.conc.c_older), self.conc.bdf, v, self.conc.dt, D, dx_diff,
                               influx, self.sigma_h, kappa, **weights)
        others = [tag for name, tag in domain.regions.items() if name != "si"]
        if others:
            # The diffusion forms only touch Si cells, so the matrix pattern has no diagonal slot
            # for the pinned dofs elsewhere; a zero term (a Constant, which UFL keeps) reserves it.
            zero = fem.Constant(domain.mesh, default_scalar_type(0.0))
            F += sum(zero * c * v * domain.dx(tag) for tag in others)
        size = domain.Vc.dofmap.index_map.size_global
        symmetric = act.diffusivity_law == "constant"
        opts = {**newton_options(sol, domain.atol_scale, line_search="basic"), "snes_stol": 0.0,
                **linear_options(sol.diffusion, size, symmetric, sol.linear_rtol)}
        self.constrained = np.concatenate([bc.dof_indices()[0] for bc in bcs])
        if self.coupled:
            return self._build_coupled(F, bcs, opts, case, mechanics, stats)
        problem = nonlinear_problem(F, c, bcs, "sifrac_diffusion_", opts, sol)
        return NonlinearSolver(problem, self.role, stats, keep_preconditioner=True)

    def _surface_equilibrium_flux(self, D, v, kappa: float, si: fem.Function) -> ufl.Form:
        """Li influx through the lithiation surfaces that drives c there to its stress-dependent
        equilibrium value (`diffusion.surface_equilibrium`): a fast surface reaction
        SURFACE_PENALTY D / h (c_eq - c), since a Dirichlet value cannot depend on the unknowns.

        sigma_h is that of the Si cell next to the facet: its cell mean, a DG0 unknown of the
        coupled solve. A value at the facet itself would extrapolate the strain of a plastically
        flowing surface layer, and the plastic state lives at cell quadrature points only.
        """
        domain = self.domain
        self.sigma_h_cell = fem.Function(domain.DG0, name="cell_hydrostatic_stress")
        c_eq = diffusion.surface_equilibrium(self.surface_value, self.sigma_h_cell, kappa)
        flux = diffusion.SURFACE_PENALTY * D / ufl.CellDiameter(domain.mesh) * (c_eq - self.conc.c)
        return on_surfaces(domain, si, self.loading.surfaces, flux * v)

    def _build_coupled(self, F_c: ufl.Form, bcs_c: list, diffusion_opts: dict, case: Case, mechanics: Mechanics,
                       stats: SolverStats) -> NonlinearSolver:
        """Monolithic Newton on (c, u), plus sigma_h for stress-assisted diffusion and the Si cells'
        mean sigma_h for a stress-dependent surface concentration. Its options start from the
        diffusion's (with the case's `sifrac_diffusion_` options) and override the linear solver."""
        sol, dx_mech = case.solver, self.domain.dx_mech
        forms, unknowns = [F_c, mechanics.residual], [self.conc.c, mechanics.u]
        for field in (f for f in (self.sigma_h, self.sigma_h_cell) if f is not None):  # L2 projections
            q = ufl.TestFunction(field.function_space)
            forms.append((field - elasticity.hydrostatic(mechanics.sigma)) * q * dx_mech)
            unknowns.append(field)
        size = sum(f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
                   for f in unknowns)
        # GAMG is built for one elliptic field, not this mixed block: "auto" means LU at any size.
        preset = "lu" if sol.diffusion == "auto" else sol.diffusion
        base = {**diffusion_opts, **case_options(sol, "sifrac_diffusion_")}
        opts = {**base, **linear_options(preset, size, False, sol.linear_rtol,
                                         singular=mechanics.modes.nullspace is not None)}
        # The residual mixes GPa-scale stresses with concentration rates: near a steady state its
        # round-off floor lies above newton_atol, so a Newton update below 1e-12 of the solution
        # also ends the solve.
        opts["snes_stol"] = 1e-12
        opts["snes_linesearch_type"] = "bt"  # as the mechanics' own Newton (plastic return)
        problem = nonlinear_problem(forms, unknowns, [*bcs_c, *mechanics.bcs], "sifrac_coupled_", opts, sol,
                                    kind="mpi")
        return NonlinearSolver(problem, self.role, stats, guard=mechanics.runaway)

    # -- the step -----------------------------------------------------------------------------
    def solve(self, dt: float, t_end: float) -> int:
        """One implicit step of Li transport (BDF2, or backward Euler) of length dt ending at time
        `t_end`; returns Newton iterations."""
        conc = self.conc
        conc.dt.value = dt
        if self.loading.mode == "uniform":  # imposed uniform concentration: no transport problem
            si = np.setdiff1d(np.arange(conc.c.x.array.size), self.outside_si)
            conc.c.x.array[si] = conc.c_old.x.array[si] + self.loading.sign * self.loading.rate * dt
            return 0
        self.surface_value.value = self.loading.surface_value(t_end)  # the potentiostatic Dirichlet value
        bdf2 = self.scheme == "bdf2" and conc.dt_old is not None
        conc.bdf.value[:] = diffusion.bdf_coefficients(dt, conc.dt_old if bdf2 else None)
        if self.loading.mode == "galvanostatic":
            self.flux.value = self.loading.sign * self.loading.rate * self.si_volume / self.surface_area
        its = self.solver.solve()
        if self.coupled:
            self._mechanics.modes.remove(self._mechanics.u)
        return its

    def update_stress(self) -> None:
        """sigma_h from the mechanics just solved (stress-assisted diffusion)."""
        if self.sigma_h is not None:
            self.sigma_h.interpolate(self._sigma_h_expr)

    def commit(self) -> None:
        if self.sigma_h is not None:
            self.sigma_h_old.x.array[:] = self.sigma_h.x.array

    def reject(self) -> None:
        self.conc.reject()
        if self.sigma_h is not None:
            self.sigma_h.x.array[:] = self.sigma_h_old.x.array

    def state(self) -> dict[str, fem.Function]:
        """The transport's share of the checkpointed state (`ChemoMechanicalModel.state_functions`)."""
        conc = self.conc
        state = {"c": conc.c, "c_old": conc.c_old, "c_older": conc.c_older}
        if self.sigma_h is not None:
            state.update(sigma_h=self.sigma_h, sigma_h_old=self.sigma_h_old)
        if self.sigma_h_cell is not None:  # the coupled Newton's starting point for it
            state.update(sigma_h_cell=self.sigma_h_cell)
        return state

    # -- scalars ------------------------------------------------------------------------------
    def max_increment(self) -> float:
        """Largest change of c in this step over unconstrained dofs (drives dt adaptivity)."""
        d = self.conc.c.x.array - self.conc.c_old.x.array
        d[self.constrained] = 0.0
        return self.domain.max_abs(d)

    def c_range(self) -> tuple[float, float]:
        """Smallest and largest concentration in Si."""
        comm = self.domain.comm
        n = self.domain.Vc.dofmap.index_map.size_local
        mask = np.ones(n, dtype=bool)
        mask[self.outside_si[self.outside_si < n]] = False
        c = self.conc.c.x.array[:n][mask]
        lo = comm.allreduce(float(c.min(initial=np.inf)), op=MPI.MIN)
        hi = comm.allreduce(float(c.max(initial=-np.inf)), op=MPI.MAX)
        return lo, hi

    def soc(self) -> float:
        """State of charge: mean concentration over Si."""
        return self.domain.integral(self._soc_form) / self.si_volume
