"""Adaptive time-step control.

The step aims at a target largest concentration change per step (`[time] dc_target`): it grows
by at most `growth` when a step is easy and is cut by `cutback` when a solve fails or the change
overshoots twice the target. Below `dt_min` the run stops and keeps its last good state. A
reaction front adds its own limit, 0.1 front_width over its fastest speed (`propose(limit=)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sifrac.solver.case import Time


class StepFailure(RuntimeError):
    """The smallest allowed step still failed: the run stops with its last good state."""


@dataclass
class StepController:
    dt: float
    dt_min: float
    dt_max: float
    growth: float
    cutback: float
    dc_target: float

    @classmethod
    def from_case(cls, time: Time) -> "StepController":
        return cls(time.dt_initial, time.dt_min, time.dt_max, time.growth, time.cutback,
                   time.dc_target)

    def propose(self, t: float, t_stop: float, limit: float = float("inf")) -> float:
        """The next step, at most `limit` (a reaction front's 0.1 l0 over its fastest speed: the
        controller's step is cut to it, and grows from there), shortened to land exactly on t_stop
        (and not leave a sliver behind)."""
        self.dt = min(self.dt, limit)
        remaining = t_stop - t
        if self.dt >= remaining or remaining - self.dt < 0.1 * self.dt:
            return remaining
        return self.dt

    def too_large(self, dc: float, tried: float) -> bool:
        """Whether the step `tried` changed the concentration by enough more than the target to
        redo it."""
        return dc > 2.0 * self.dc_target and self.can_cut(tried)

    def can_cut(self, tried: float) -> bool:
        """Whether the step `tried` may still shrink. Soft criteria (too large a change of c or d)
        give way at dt_min: an unstable crack snaps through in one step however small it is."""
        return self._shorter(tried) >= self.dt_min

    def cut(self, why: str, tried: float) -> None:
        """Shrink the step after the step `tried` failed; raise StepFailure below dt_min."""
        if not self.can_cut(tried):
            raise StepFailure(f"{why}; the step cannot be cut below dt_min = {self.dt_min:g} s")
        self.dt = self._shorter(tried)

    def _shorter(self, tried: float) -> float:
        """The step after a cut: from the step tried, not the controller's, so that a step
        shortened to land on t_stop is not retried at its own length."""
        return min(self.dt, tried) * self.cutback

    def accepted(self, dt_taken: float, dc: float) -> None:
        """Adapt the step so the next concentration change is about dc_target.

        The change scales roughly with the step, so dt_taken * dc_target / dc is the step that
        would have hit the target; the new step stays within [cutback, growth] times the old.
        """
        ideal = 0.9 * dt_taken * self.dc_target / dc if dc > 0 else float("inf")
        new = min(self.dt * self.growth, max(self.dt * self.cutback, ideal))
        self.dt = min(self.dt_max, max(self.dt_min, new))
