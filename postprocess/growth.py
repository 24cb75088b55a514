"""How far a flaw grew in each run of a size grid, and what each growth threshold makes of it.

A critical size read from one growth threshold (e.g. crack_length >= 16) is only as sharp as the
growth it thresholds: where the flaw grows a little and arrests close to the threshold, sizes on
either side flip with mesh details and a bisection lands anywhere in that band. Read against
several thresholds, one grid of full histories (runs with `stop_at_fracture = false`) shows
whether there is a size above which growth keeps going (a size effect) or only a band of arrested
growth (the threshold decides the number).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GrowthRun:
    """One run of the grid: its size, whether it reached the end of loading, and its history."""

    value: float
    complete: bool
    soc: list[float]
    length: list[float]

    def first_soc(self, threshold: float) -> float | None:
        """SOC at which the length first reaches the threshold; None if it never does."""
        return next((s for s, a in zip(self.soc, self.length) if a >= threshold), None)

    def reached(self, threshold: float) -> bool | None:
        """True once reached (even if the run failed later), False only for a complete run, else None."""
        if self.first_soc(threshold) is not None:
            return True
        return False if self.complete else None


def changes(points: list[tuple[float, bool | None]]) -> list[tuple[float, float]]:
    """Neighbouring values (undecided points left out) between which the outcome flips; also the
    grid sweep's bracket (`solver/studies/strategies.py`, `Listed`)."""
    decided = sorted((v, m) for v, m in points if m is not None)
    return [(a, b) for (a, ma), (b, mb) in zip(decided, decided[1:]) if ma != mb]


def threshold_row(runs: list[GrowthRun], threshold: float) -> dict:
    """The sizes that reach one threshold, and the critical bracket if the outcome changes once, upward."""
    points = [(r.value, r.reached(threshold)) for r in runs]
    decided = sorted((v, m) for v, m in points if m is not None)
    flips = changes(points)
    rising = len(flips) == 1 and not decided[0][1]
    if rising:
        verdict = f"critical size in [{flips[0][0]:g}, {flips[0][1]:g}]"
    elif not flips:
        verdict = ("reached at every size" if decided and decided[0][1] else "reached at no size")
    else:
        verdict = "not monotone: changes between " + ", ".join(f"{a:g}-{b:g}" for a, b in flips)
    return {
        "threshold": threshold,
        "reached": [v for v, m in points if m],
        "not_reached": [v for v, m in points if m is False],
        "undecided": [v for v, m in points if m is None],
        "changes": flips,
        "bracket": list(flips[0]) if rising else None,
        "verdict": verdict,
    }
