"""The staggered scheme: alternate minimisation of the energy in u and d, with its accelerations.

Each iteration solves the mechanics at fixed d, then the damage at fixed u; it stops when the
damage increment and the relative energy change are below tolerance. Where the staggered map
swings back and forth, the step is damped (Aitken); where it creeps in one direction, it may be
lengthened (over-relaxation, `[fracture] acceleration`); where it contracts, Anderson mixing of
the last damage iterates may extrapolate to its fixed point (`acceleration = "anderson"`). All
leave the fixed points, d minimising the energy at u(d), unchanged. Measurements:
docs/notes/solver-design.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sifrac.solver import log
from sifrac.solver.case import Fracture
from sifrac.solver.damage import Damage
from sifrac.solver.domain import Domain
from sifrac.solver.nonlinear import SolverFailure
from sifrac.solver.stats import SolverStats

_log = log.get("staggered")


class Anderson:
    """Anderson mixing (type II, depth m) of a fixed-point map x -> G(x) on P1 arrays.

    From the last m differences of the map's values dG and of its residuals f = G(x) - x, dF,
    the next iterate is x = G - dG gamma with gamma the least-squares solution of dF gamma ~ f
    (Walker & Ni 2011). The m x m normal equations come from one global reduction of the owned
    entries, so every rank gets the same gamma and applies the same pointwise combination to
    its owned and ghost entries (the ghosts stay consistent; rank counts change only round-off).
    Directions that the history leaves ill-determined (eigenvalues of the normal matrix below
    1e-12 of the largest) are dropped.
    """

    def __init__(self, depth: int, comm, n_owned: int) -> None:
        self.depth, self.comm, self.n = depth, comm, n_owned
        self.reset()

    def reset(self) -> None:
        """Forget the history (the next `mix` only records)."""
        self.dG: list[np.ndarray] = []
        self.dF: list[np.ndarray] = []
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def mix(self, G: np.ndarray, f: np.ndarray) -> np.ndarray | None:
        """Record G(x) and f = G(x) - x; returns the mixed iterate, or None without history."""
        if self._last is not None:
            self.dG.append(G - self._last[0])
            self.dF.append(f - self._last[1])
            if len(self.dG) > self.depth:
                del self.dG[0], self.dF[0]
        self._last = (G.copy(), f.copy())
        if not self.dF:
            return None
        n, k = self.n, len(self.dF)
        F = np.array([v[:n] for v in self.dF])
        local = np.concatenate([(F @ F.T).ravel(), F @ f[:n]])
        total = np.empty_like(local)
        self.comm.Allreduce(local, total)
        A, b = total[:k * k].reshape(k, k), total[k * k:]
        w, Q = np.linalg.eigh(A)
        keep = w > 1e-12 * max(w.max(), 1e-300)
        gamma = Q[:, keep] @ ((Q[:, keep].T @ b) / w[keep])
        out = G.copy()
        for g, v in zip(gamma, self.dG):
            out -= g * v
        return out


class AlternateMinimisation:
    """The staggered loop of one load step (`solve`), on `damage` and a mechanics solve
    (`solve_mechanics`, which brings u into equilibrium with the current d)."""

    def __init__(self, frac: Fracture, domain: Domain, damage: Damage, solve_mechanics: Callable[[], object],
                 total_energy: Callable[[], float], stats: SolverStats) -> None:
        self.domain, self.damage, self.stats = domain, damage, stats
        self.solve_mechanics, self.total_energy = solve_mechanics, total_energy
        self.max_iterations, self.tol_damage, self.tol_energy = \
            frac.max_iterations, frac.tol_damage, frac.tol_energy
        self.omega = frac.relaxation if frac.acceleration in ("overrelaxation", "anderson") else 1.0
        self.anderson = Anderson(frac.anderson_depth, domain.comm, domain.Vc.dofmap.index_map.size_local) \
            if frac.acceleration == "anderson" else None

    def solve(self) -> int:
        """Iterate to the equilibrium of u and d; returns the number of staggered iterations.
        Raises SolverFailure after `[fracture] max_iterations`."""
        phase, damage, omega, aa = self.damage.phase, self.damage, self.omega, self.anderson
        energy_old, last_step, last_raw, last_norm = None, None, None, np.inf
        if aa is not None:
            aa.reset()
        with self.stats.equilibrium():
            for it in range(1, self.max_iterations + 1):
                self.stats.staggered_iterations += 1
                self.solve_mechanics()
                phase.d_iter.x.array[:] = phase.d.x.array
                damage.update_driving_energy()
                energy_start = damage.energy() if omega != 1.0 or aa is not None else None
                damage.solve()
                if aa is None:
                    last_raw = self._damp_oscillation(last_raw)
                    if omega != 1.0:
                        last_step = self._over_relax(energy_start, last_step)
                step = phase.d.x.array - phase.d_iter.x.array
                increment = self.domain.max_abs(step)
                if increment == 0.0:  # d unchanged: u is already in equilibrium with it
                    return it
                energy = self.total_energy()
                change = abs(energy - energy_old) / max(abs(energy), 1e-300) if energy_old is not None else np.inf
                _log.debug("staggered %d: increment %.3e, energy %.12g, change %.2e", it, increment, energy, change)
                if increment < self.tol_damage and change < self.tol_energy:
                    self.solve_mechanics()  # u in equilibrium with the converged damage
                    return it
                if aa is not None:
                    norm = np.sqrt(self.domain.dot(step, step))
                    contracting = norm <= last_norm and (energy_old is None or energy <= energy_old)
                    last_norm = norm
                    last_raw, last_step = self._anderson_step(contracting, energy_start, last_raw, last_step)
                energy_old = energy
        raise SolverFailure(f"alternate minimisation did not converge in {self.max_iterations} iterations "
                            f"(damage increment {increment:.2e}, energy change {change:.2e})")

    def _anderson_step(self, contracting: bool, energy_start: float, last_raw: np.ndarray | None,
                       last_step: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray]:
        """The next d of `acceleration = "anderson"`, from d = G(d_iter), the damage minimiser
        found from d_iter at u(d_iter), switched as by Storvik et al. (CMAME 381 (2021) 113822);
        returns the undamped plain step (None after a mixed one) and the step taken.

        While the map contracts (the plain step f = G - d_iter shorter, in the l2 norm, than the
        last one, and the total energy at G not above the last one), d becomes the Anderson mix
        of the last `anderson_depth` iterates, projected onto the bounds [d_prev, 1], unless that
        turns back against the plain step (`_accept_mixed`: then d = G). Where it
        does not (a crack running through new material, a limit cycle), the history is dropped
        and the step is the plain one, damped if it swings back (Aitken) and over-relaxed if it
        creeps (`relaxation`, with the energy check of `_over_relax`). The convergence test is
        that of the plain scheme, on the plain step f, so the fixed points are the same."""
        phase, aa = self.damage.phase, self.anderson
        G = phase.d.x.array.copy()
        f = G - phase.d_iter.x.array
        if not contracting:
            aa.reset()
        mixed = aa.mix(G, f)
        if mixed is not None and self._accept_mixed(mixed, G):
            return None, phase.d.x.array - phase.d_iter.x.array
        if contracting:
            return f, f
        last_raw = self._damp_oscillation(last_raw)
        return last_raw, self._over_relax(energy_start, last_step)

    def _accept_mixed(self, mixed: np.ndarray, G: np.ndarray) -> bool:
        """Set d to the Anderson iterate projected onto the bounds [d_prev, 1] (irreversibility
        and d <= 1 hold exactly: the projection is the last operation on d) if the step it takes
        from d_iter keeps a positive component along the plain step G - d_iter (the mix must not
        turn back against the damage minimiser; a NaN mix fails this on every rank, since the
        inner product is a global sum); otherwise d stays the plain iterate G. Returns whether
        the mix was taken. A test on the damage energy at the current u (the over-relaxation's)
        would refuse every extrapolation beyond about twice the plain step, the ones that pay:
        it took the short SENT's nucleation step from 199 iterations only to 172, against 84."""
        phase = self.damage.phase
        start = phase.d_iter.x.array
        phase.d.x.array[:] = np.clip(mixed, phase.d_prev.x.array, 1.0)
        if self.domain.dot(phase.d.x.array - start, G - start) > 0.0:
            self.stats.anderson_mixes += 1
            return True
        self.stats.anderson_rejected += 1
        phase.d.x.array[:] = G
        return False

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
