"""The chemo-mechanical model of a case on a mesh: the physics problems, built top to bottom.

    domain -> concentration (-> the reaction front's phase field) -> mechanics (with the damage
    field) -> loading -> transport (-> reaction front) -> damage -> staggered scheme

`ChemoMechanicalModel` owns them and runs one step's cycle: `solve_transport` (with a reaction
front: the front's step, or the second step's diffusion), `solve_equilibrium`, then `accept` or
`reject`; the time loop around it is `solver/simulation.py`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import ufl
from dolfinx import fem

from sifrac.solver import log
from sifrac.solver import loading as loading_mod
from sifrac.solver.case import MECHANICAL_MODES, Case, CaseError
from sifrac.solver.concentration import Concentration
from sifrac.solver.damage import Damage
from sifrac.solver.domain import Domain
from sifrac.solver.mechanics import Mechanics, supports
from sifrac.solver.reaction_front import FrontField, ReactionFront
from sifrac.solver.solvers import clear_solver_options
from sifrac.solver.staggered import AlternateMinimisation
from sifrac.solver.stats import SolverStats
from sifrac.solver.transport import Transport

if TYPE_CHECKING:
    from sifrac.meshes import MeshBundle

_log = log.get("model")


def check_against_mesh(case: Case, bundle: MeshBundle) -> None:
    """The input only checkable against the mesh (CaseError, before any collective call): the
    boundaries `[loading]` names, and a Gc for every region that may crack."""
    loading_mod.check_boundaries(case.loading, bundle.lithiation, bundle.boundaries)
    frac = case.fracture
    if frac.model == "none":
        return
    for r in frac.regions:
        if r != "si" and r in bundle.regions and case.section(r).Gc is None:
            raise CaseError(f"[fracture] regions = {frac.regions}: {case.section(r).material} has no Gc; "
                            f"set [{r}] Gc or allowed: regions without {r}")


def solve_mechanics(mechanics: Mechanics, transport: Transport, coupled_done: bool = True) -> int:
    """Quasi-static equilibrium at the current concentration; returns linear iterations.

    With stress-assisted diffusion the coupled transport solve has already found u (skipped
    unless `coupled_done` is False, as for the initial state)."""
    if transport.sigma_h is not None and coupled_done:
        return 0
    its = mechanics.solve()
    transport.update_stress()
    return its


def total_energy(mechanics: Mechanics, damage: Damage | None) -> float:
    """Stored elastic energy plus crack surface energy."""
    return mechanics.elastic_energy() + (damage.dissipated_energy() if damage is not None else 0.0)


class ChemoMechanicalModel:
    """Li transport in Si and quasi-static chemo-mechanics (elastic, plastic, with phase-field
    fracture) of all solid regions, for a resolved case on a mesh."""

    def __init__(self, bundle: MeshBundle, case: Case) -> None:
        check_against_mesh(case, bundle)
        clear_solver_options()
        self.case, self.bundle = case, bundle
        self.stats = SolverStats()
        load, frac = case.loading, case.fracture
        self.domain = domain = Domain(bundle, case)
        self.conc = Concentration(domain, load.soc_start)
        self.front_field = FrontField(domain, case) if case.active.reaction_front else None
        self.loading = loading_mod.electrochemical(load, bundle.lithiation)
        data = loading_mod.BoundaryData(domain, case) if load.mode in MECHANICAL_MODES else None
        self.mechanics = Mechanics(domain, case, self.conc, data.bcs if data is not None else supports(domain, case),
                                   self.stats, self.front_field)
        self.phase = self.mechanics.phase  # the damage field (None without fracture)
        # Mechanical loading modes: no chemistry, boundary displacements grow with time.
        self.boundary = loading_mod.BoundaryLoading(
            data, self.mechanics.internal_work(ufl.TestFunction(domain.Vu)), self.phase.d if self.phase else None,
            frac.threshold) if data is not None else None
        self.transport = Transport(domain, case, self.conc, self.loading, self.stats, self.mechanics, self.phase,
                                   self.front_field)
        self.front = ReactionFront(domain, case, self.front_field, self.conc.c, self.mechanics.sigma, self.loading,
                                   self.stats) if self.front_field is not None else None
        self._front_time = (0.0, 0.0)  # (accepted time, time of the step being solved)
        self.front_end: str | None = None  # why the front ended: "consumed" or "stalled"
        self.damage = Damage(domain, case, self.phase, self.conc, self.mechanics.u, self.mechanics.material,
                             self.stats) \
            if self.phase is not None else None
        # The scheme gets functions of the problems, not of the model: no reference cycle, so the
        # PETSc objects go when the model goes, on every rank at once (not at a garbage collection).
        self.scheme = AlternateMinimisation(frac, domain, self.damage, partial(solve_mechanics, self.mechanics,
                                                                               self.transport),
                                            partial(total_energy, self.mechanics, self.damage), self.stats) \
            if self.damage is not None else None

    # -- what outputs and checkpoints read ----------------------------------------------------
    @property
    def comm(self):
        return self.domain.comm

    @property
    def dim(self) -> int:
        return self.domain.dim

    @property
    def Vc(self) -> fem.FunctionSpace:
        return self.domain.Vc

    @property
    def Vu(self) -> fem.FunctionSpace:
        return self.domain.Vu

    @property
    def dx_mech(self):
        return self.domain.dx_mech

    @property
    def axisymmetric(self) -> bool:
        return self.domain.axisymmetric

    @property
    def c(self) -> fem.Function:
        return self.conc.c

    @property
    def u(self) -> fem.Function:
        return self.mechanics.u

    @property
    def d(self) -> fem.Function | None:
        return self.phase.d if self.phase is not None else None

    @property
    def sigma(self):
        """The Cauchy stress (UFL)."""
        return self.mechanics.sigma

    @property
    def fracture(self) -> bool:
        return self.phase is not None

    @property
    def plastic(self) -> bool:
        return self.mechanics.plastic is not None

    @property
    def p_old(self) -> fem.Function:
        """The accepted equivalent plastic strain (plastic models only)."""
        return self.mechanics.plastic.p_old

    @property
    def axial(self) -> fem.Function | None:
        return self.mechanics.axial

    @property
    def solvers(self) -> dict:
        """The PETSc problems by role (for benchmarks and diagnostics)."""
        out = {"diffusion": self.transport.solver, "mechanics": self.mechanics.solver,
               "damage": self.damage.solver if self.damage is not None else None,
               "front": self.front.solver if self.front is not None else None}
        return {role: s.problem for role, s in out.items() if s is not None}

    def state_functions(self) -> dict[str, fem.Function]:
        """Every Function that carries state from one step to the next, by a stable name.

        The one list of the model's state: checkpoints save and restore exactly these arrays
        (owned and ghost entries), so a new state field is registered by its problem's `state`.
        """
        state = {**self.transport.state(), **self.mechanics.state()}
        if self.front is not None:
            state.update(self.front.state())
        if self.phase is not None:
            state.update(d=self.phase.d, d_prev=self.phase.d_prev, **self.damage.state())
        return state

    # -- the step cycle -----------------------------------------------------------------------
    def initialise(self, soc: float) -> None:
        """Uniform concentration soc in Si (zero elsewhere), taken as the stress-free state.

        The equilibrium is still solved, since stack pressure may load the initial state.
        """
        conc = self.conc
        conc.c.x.array[:] = soc
        conc.c.x.array[self.transport.outside_si] = 0.0
        if self.front is not None:  # pristine Si (soc_start = 0), the surfaces nucleating
            self.front.initialise()
        conc.c_old.x.array[:] = conc.c.x.array
        conc.dt_old = None
        conc.c_ref.value = soc
        self.mechanics.new_load()
        if self.damage is not None:
            self.damage.initialise()
            self.solve_equilibrium()
        else:
            self.solve_mechanics(coupled_done=False)
        self._commit_equilibrium()

    def solve_transport(self, dt: float, t_end: float) -> int:
        """The step's transport (or, in a mechanical loading mode, its boundary data) up to
        t_end; returns Newton iterations."""
        if self.boundary is not None:  # no chemistry: only the boundary data moves
            self.conc.dt.value = dt
            self.boundary.advance(dt)
            return 0
        if self.front is None:
            return self.transport.solve(dt, t_end)
        self._front_time = (self._front_time[0], t_end)
        if self.front_field.stage == 0:
            self.conc.dt.value = dt
            bdf2 = self.case.time.scheme == "bdf2"
            return self.front.solve(dt, self.conc.dt_old if bdf2 else None, t_end)
        # The second step (a-Si): diffusion in the lithiated body, its surface ramped from c_L.
        self.transport.loading = self.front.second_step(self.loading)
        return self.transport.solve(dt, t_end - float(self.front_field.stage_start.x.array[0]))

    def solve_mechanics(self, coupled_done: bool = True) -> int:
        """Quasi-static equilibrium at the current concentration (`solve_mechanics`)."""
        return solve_mechanics(self.mechanics, self.transport, coupled_done)

    def solve_equilibrium(self) -> int:
        """Mechanics at the current concentration; with fracture, the staggered scheme.
        Returns the number of staggered iterations (0 without fracture)."""
        self.mechanics.new_load()  # the load has moved: its scale is evaluated again
        if self.scheme is None:
            self.solve_mechanics()
            return 0
        return self.scheme.solve()

    def update_crack_driving_energy(self) -> None:
        """Evaluate the damage problem's driving energy at the current u (before a damage solve)."""
        self.damage.update_driving_energy()

    def accept(self) -> None:
        """Make the current state (concentration, front, damage, mechanics) the start of the next
        step; a reaction front that has ended starts the second step (a-Si) or ends the run."""
        self.conc.accept()
        if self.front is not None:
            self.front.accept()
        if self.phase is not None:
            self.phase.d_prev.x.array[:] = self.phase.d.x.array
        self.mechanics.accept()
        self._commit_equilibrium()
        if self.front is not None:
            self._front_time = (self._front_time[1], self._front_time[1])
            self._advance_front()

    def _advance_front(self) -> None:
        """After an accepted step of the front: if it has consumed the core or stalled, the
        second step starts where the loading asks for more Li than the front brings (soc_end
        above c_L: a-Si), with a backward Euler first step; otherwise the run ends
        (`front_ended`)."""
        field = self.front_field
        if field.stage != 0:
            return
        t = self._front_time[0]
        end = self.front.status(t)
        if end is None:
            return
        if self.case.loading.soc_end > field.c_lithiated:
            field.stage_field.x.array[:] = 1.0
            field.stage_start.x.array[:] = t
            self.conc.dt_old = None
            _log.info("front %s at t = %.6g s, SOC %.4f: the second step (front-free diffusion to the surface value) "
                      "starts", end, t, self.transport.soc())
        else:
            self.front_end = end

    def front_ended(self) -> str | None:
        """Why the run ends with its front (a c-Si front consumed the core, or stalled), or None."""
        if self.front_end is None:
            return None
        if self.front_end == "consumed":
            return "the front consumed the core"
        state = self.front.front_state()
        return (f"the front stalled: its fastest point moves at {state['speed'] / self.front.law.speed_110:.3g} "
                f"of front_speed (< front_stall = {self.front.stall:g}), largest pressure on the front "
                f"{state['pressure']:.3g} GPa")

    def time_step_limit(self, t: float) -> float:
        """The largest step the model allows at time t: 0.1 l0 over the fastest front speed while a
        reaction front moves, else no limit."""
        if self.front is None or self.front_field.stage != 0:
            return float("inf")
        return self.front.time_step_limit(t)

    def max_increment(self) -> float:
        """The change of c that the step controller aims at dc_target with; 0 while a reaction
        front moves (its own rule, `time_step_limit`, sets the step)."""
        if self.front is not None and self.front_field.stage == 0:
            return 0.0
        return self.transport.max_increment()

    def _commit_equilibrium(self) -> None:
        """Store the mechanical state just found as the last accepted one (the initial state and
        every accepted step): displacement, hydrostatic stress, plastic state, boundary work, damage history."""
        self.mechanics.commit()
        self.transport.commit()
        if self.front is not None:
            self.front.commit()
        if self.boundary is not None:
            self.boundary.accept()
        if self.damage is not None:
            self.damage.commit()

    def reject(self) -> None:
        """Return to the last accepted state."""
        self.transport.reject()
        if self.front is not None:
            self.front.reject()
        self.mechanics.reject()
        if self.phase is not None:
            self.phase.d.x.array[:] = self.phase.d_prev.x.array

    # -- scalars ------------------------------------------------------------------------------
    def damage_increment(self) -> float:
        return self.damage.increment() if self.damage is not None else 0.0

    def dofs(self) -> dict[str, int]:
        return {"concentration": self.Vc.dofmap.index_map.size_global,
                "displacement": self.Vu.dofmap.index_map.size_global * self.Vu.dofmap.index_map_bs,
                **({"front": self.Vc.dofmap.index_map.size_global} if self.front is not None else {})}

