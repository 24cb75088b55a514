"""`[time]` (adaptive time stepping) and `[solver]` (linear and nonlinear solvers)."""

from __future__ import annotations

import math
from typing import Literal

from sifrac.solver.case.errors import CaseError, format_value
from sifrac.solver.case.keys import AUTO, Earlier, Section, key
from sifrac.solver.case.loading import MECHANICAL_MODES
from sifrac.solver.case.types import ScalarMap
from sifrac.solver.materials import POSITIVE, Range

_POS_LT_1 = Range(0.0, 1.0, lo_open=True, hi_open=True)


class Time(Section):
    """Adaptive time stepping. duration = |soc_end - soc_start| * 3600 / c_rate (galvanostatic); t_end, else
    reference_length^2 / active.diffusivity (potentiostatic); reference_length / active.front_speed (reaction
    front, whose step is also at most 0.1 front_width / the fastest front speed)."""

    dt_initial: float = key(AUTO, "first time step", unit="s", range=POSITIVE, relations=(("<=", "dt_max"),))
    dt_min: float = key(AUTO, "smallest step before the run gives up", unit="s", range=POSITIVE,
                        relations=(("<=", "dt_initial"),))
    dt_max: float = key(AUTO, "largest step", unit="s", range=POSITIVE)
    t_end: float | None = key(None, "stop time; unset: stop when soc_end is reached", unit="s", range=POSITIVE)
    max_steps: int = key(100000, "stop after this many steps", range=Range(1))
    max_wall_time: float | None = key(None, "stop, with a checkpoint, at the first step that starts after this "
                                      "many wall-clock seconds of the run (or of its resumed part); unset: no "
                                      "limit. A resource guard, not physics: left out of case_sha256, so "
                                      "`--resume` may raise it", unit="s", range=POSITIVE)
    scheme: Literal["bdf2", "backward_euler"] = key("bdf2", "time integrator of Li transport: variable-step BDF2 "
                                                    "(second order; its first step is backward Euler) or "
                                                    "backward Euler")
    dc_target: float = key(0.05, "largest concentration change per step the adaptive step aims at", unit="-",
                           range=Range(0.0, 1.0, lo_open=True))
    growth: float = key(1.5, "step growth factor after an easy step", unit="-", range=Range(1.0, 4.0, lo_open=True))
    cutback: float = key(0.5, "step reduction factor after a failed step", unit="-", range=_POS_LT_1)

    def auto_dt_initial(self, earlier: Earlier) -> float:
        """duration / 100 (at most dt_max)"""
        return min(earlier.loading.duration(earlier, self.t_end) / 100.0,
                   math.inf if self.dt_max is None else self.dt_max)

    def auto_dt_min(self, earlier: Earlier) -> float:
        """0.0001 * dt_initial"""
        return 1e-4 * self.dt_initial

    def auto_dt_max(self, earlier: Earlier) -> float:
        """duration / 10 (at least dt_initial); reaction front: 0.1 front_width / (front_speed front_stall)"""
        act = earlier.active
        if act.reaction_front:  # the step at which a stalled front still moves 0.1 l0
            return max(0.1 * act.front_width / (act.front_speed * act.front_stall), self.dt_initial)
        return max(earlier.loading.duration(earlier, self.t_end) / 10.0, self.dt_initial)

    def check(self, earlier: Earlier) -> None:
        """Displacement-driven runs have no SOC window: the pseudo-time span must be given."""
        mode = earlier.loading.mode
        if mode in MECHANICAL_MODES and self.t_end is None:
            raise CaseError(f"[time] t_end: required when [loading] mode = {format_value(mode)} "
                            "(the load grows with time; t_end ends the run)")


class Solver(Section):
    """Linear and nonlinear solvers."""

    mechanics: Literal["auto", "lu", "gmres_lu", "cg", "cg_gamg"] = key(
        "auto", "mechanics linear solver; auto: by problem size; gmres_lu: GMRES preconditioned by an LU "
        "factorisation kept while it works; cg: CG with GAMG (cg_gamg: its older name)")
    diffusion: Literal["auto", "lu", "cg"] = key("auto", "diffusion linear solver; auto: by problem size (LU for "
                                                 "the monolithic transport solve of stress_assisted / "
                                                 "surface_stress_coupling)")
    damage: Literal["auto", "lu", "cg"] = key("auto", "damage (VI) linear solver; auto: by problem size")
    linear_rtol: float = key(1e-10, "relative tolerance of iterative linear solvers (a linear mechanics solve: "
                             "relative to the residual of the whole load at u = 0)", unit="-", range=_POS_LT_1)
    newton_rtol: float = key(1e-10, "Newton relative tolerance", unit="-", range=_POS_LT_1)
    newton_atol: float = key(1e-12, "Newton absolute tolerance (axisymmetric: times 2 pi R, the revolution weight "
                             "at the outer radius)", unit="-", range=POSITIVE)
    newton_max_it: int = key(25, "Newton iteration limit", range=Range(1))
    petsc_options: ScalarMap = key({}, "extra PETSc options passed through as given (e.g. ksp_type = \"cg\")")
