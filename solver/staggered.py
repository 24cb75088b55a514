"""The staggered scheme: alternate minimisation of the energy in u and d, with two accelerations.

Each iteration solves the mechanics at fixed d, then the damage at fixed u; it stops when the
damage increment and the relative energy change are below tolerance. Where the staggered map
swings back and forth, the step is damped (Aitken); where it creeps in one direction, it may be
lengthened (over-relaxation, `[fracture] acceleration`). Both leave the converged state, d
minimising the energy at u(d), unchanged. Measurements: docs/notes/solver-design.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sifrac.solver.case import Fracture
from sifrac.solver.damage import Damage
from sifrac.solver.domain import Domain
from sifrac.solver.nonlinear import SolverFailure
from sifrac.solver.stats import SolverStats


class AlternateMinimisation:
    """The staggered loop of one load step (`solve`), on `damage` and a mechanics solve
    (`solve_mechanics`, which brings u into equilibrium with the current d)."""

    def __init__(self, frac: Fracture, domain: Domain, damage: Damage, solve_mechanics: Callable[[], object],
                 total_energy: Callable[[], float], stats: SolverStats) -> None:
        self.domain, self.damage, self.stats = domain, damage, stats
        self.solve_mechanics, self.total_energy = solve_mechanics, total_energy
        self.max_iterations, self.tol_damage, self.tol_energy = \
            frac.max_iterations, frac.tol_damage, frac.tol_energy
        self.omega = frac.relaxation if frac.acceleration == "overrelaxation" else 1.0

    def solve(self) -> int:
        """Iterate to the equilibrium of u and d; returns the number of staggered iterations.
        Raises SolverFailure after `[fracture] max_iterations`."""
        phase, damage, omega = self.damage.phase, self.damage, self.omega
        energy_old, last_step, last_raw = None, None, None
        with self.stats.equilibrium():
            for it in range(1, self.max_iterations + 1):
                self.stats.staggered_iterations += 1
                self.solve_mechanics()
                phase.d_iter.x.array[:] = phase.d.x.array
                damage.update_driving_energy()
                energy_start = damage.energy() if omega != 1.0 else None
                damage.solve()
                last_raw = self._damp_oscillation(last_raw)
                if omega != 1.0:
                    last_step = self._over_relax(energy_start, last_step)
                increment = self.domain.max_abs(phase.d.x.array - phase.d_iter.x.array)
                if increment == 0.0:  # d unchanged: u is already in equilibrium with it
                    return it
                energy = self.total_energy()
                change = abs(energy - energy_old) / max(abs(energy), 1e-300) if energy_old is not None else np.inf
                if increment < self.tol_damage and change < self.tol_energy:
                    self.solve_mechanics()  # u in equilibrium with the converged damage
                    return it
                energy_old = energy
        raise SolverFailure(f"alternate minimisation did not converge in {self.max_iterations} iterations "
                            f"(damage increment {increment:.2e}, energy change {change:.2e})")

    def _damp_oscillation(self, last_raw: np.ndarray | None) -> np.ndarray:
        """Damp a damage step that swings back (Aitken / Irons-Tuck); returns the undamped step.

        With the Rankine driving force and plasticity the staggered map is not a descent method
        and can fall into a limit cycle. The ratio r = <s_k, s_(k-1)> / |s_(k-1)|^2 of consecutive
        undamped steps s = d_min - d_iter estimates the map's slope along the last step; when
        r < -1/2 the step is scaled by 1 / (1 - r), which removes a linear two-cycle in one
        iteration and keeps d between d_iter and d_min (inside the bounds)."""
        phase, dot = self.damage.phase, self.domain.dot
        start = phase.d_iter.x.array
        raw = phase.d.x.array - start
        if last_raw is not None:
            r = dot(raw, last_raw) / max(dot(last_raw, last_raw), 1e-300)
            if r < -0.5:
                phase.d.x.array[:] = start + raw / (1.0 - r)
        return raw

    def _over_relax(self, energy_start: float, last_step: np.ndarray | None) -> np.ndarray:
        """Move d from the damage minimiser d_min (found from d_iter) to d_iter + omega (d_min -
        d_iter), projected onto the bounds [d_prev, 1] (Farrell & Maurini 2017); returns the step
        taken. Only creeping steps are lengthened, those that point the way of the last one
        (positive inner product), and only if the energy stays below `energy_start` (that of
        d_iter), so that every iteration still lowers the energy; otherwise d stays d_min. All
        local entries (owned and ghost) get the same pointwise map, so the ghosts stay consistent."""
        phase = self.damage.phase
        start = phase.d_iter.x.array
        d_min = phase.d.x.array.copy()
        if last_step is not None and self.domain.dot(d_min - start, last_step) > 0.0:
            phase.d.x.array[:] = np.clip(start + self.omega * (d_min - start), phase.d_prev.x.array, 1.0)
            if self.damage.energy() > energy_start:
                phase.d.x.array[:] = d_min
        return phase.d.x.array - start
