"""Deciding a study: the criterion on a run's summary, and the strategies that choose the runs.

`Listed` (grid, variants) runs every value at once. `Bisection` assumes the criterion (e.g.
`fractured`) is monotone in the parameter: it changes once inside the bracket, in either
direction. With G groups each round evaluates G interior points (G + 1 equal sub-intervals) and
keeps the sub-interval where the criterion changes, until the bracket is no wider than the
tolerance; `critical_value` is its midpoint. An observation that contradicts monotonicity (the
criterion changing more than once along the parameter) stops the study with status
`non_monotone`. Pure Python: strategies see only records, never a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sifrac.postprocess.growth import changes as outcome_changes
from sifrac.postprocess.keys import lookup
from sifrac.solver.case import OPS, format_value, is_finite
from sifrac.solver.studies.plan import RunSpec, Study, label


@dataclass
class Record:
    """A finished (or reused) run as the study sees it."""

    spec: RunSpec
    summary: dict
    outdir: Path
    reused: bool
    round: int
    criterion_value: Any = None
    met: bool | None = None  # None: undecided (the run did not complete)

    @property
    def status(self) -> str:
        return self.summary.get("status", "failed")


def evaluate(criterion: dict, summary: dict) -> tuple[Any, bool]:
    """(the criterion key's value, whether the criterion holds); null never holds."""
    value = lookup(summary, criterion["key"])
    if value is None:
        return None, False
    try:
        return value, bool(OPS[criterion["op"]](value, criterion["value"]))
    except TypeError as err:
        raise KeyError(f"{criterion['key']} = {value!r} cannot be compared with "
                       f"{criterion['value']!r}") from err


def criterion_text(criterion: dict) -> str:
    """`fractured`, or `max_damage >= 0.5`: the criterion as messages and figures name it."""
    if criterion["op"] == "==" and criterion["value"] is True:
        return criterion["key"]
    return f"{criterion['key']} {criterion['op']} {format_value(criterion['value'])}"


class Strategy:
    """Chooses the runs: `first()` then `next(records)` until it returns nothing."""

    def __init__(self, study: Study, groups: int) -> None:
        self.study, self.groups = study, groups
        self.status, self.message = "running", ""
        self.bracket: list | None = None
        self.critical_value: float | None = None

    def first(self) -> list[Any]:
        raise NotImplementedError

    def next(self, records: list[Record]) -> list[Any]:
        raise NotImplementedError

    def stop(self, status: str, message: str) -> list[Any]:
        self.status, self.message = status, message
        return []


class Listed(Strategy):
    """Grid and variants: every run at once; for numeric grids, the bracket of the first change."""

    def first(self) -> list[Any]:
        sw = self.study.sweep
        return list(sw.values) if sw.mode == "grid" else list(sw.variants)

    def next(self, records: list[Record]) -> list[Any]:
        undecided = [r for r in records if r.met is None]
        changes = outcome_changes([(r.spec.value, r.met) for r in records if is_finite(r.spec.value)])
        self.bracket = list(changes[0]) if len(changes) == 1 else None
        if undecided:
            return self.stop("incomplete", f"run(s) {', '.join(r.spec.id for r in undecided)} did not "
                             f"complete{_continue_hint(undecided)}")
        if len(changes) > 1:
            return self.stop("complete", f"the criterion changes {len(changes)} times along "
                             f"{self.study.sweep.parameter}: not monotone")
        return self.stop("complete", f"{len(records)} runs complete")


class Bisection(Strategy):
    """G interior points per round; keeps the sub-interval where the criterion changes."""

    def first(self) -> list[Any]:
        self.bracket = list(self.study.sweep.bracket)
        return list(self.bracket)

    def next(self, records: list[Record]) -> list[Any]:
        sw = self.study.sweep
        seen = sorted((r for r in records if r.met is not None), key=lambda r: r.spec.value)
        changes = [(a, b) for a, b in zip(seen, seen[1:]) if a.met != b.met]
        failed = [r for r in records if r.met is None]
        if failed:  # keep what the decided runs say: a failed run in the last round must not cost the bracket
            r = failed[0]
            kept = ""
            if len(changes) == 1:
                a, b = self._keep(*changes[0])
                kept = f"; the decided runs bracket the critical value in [{a:.6g}, {b:.6g}]"
            return self.stop("failed", f"run {r.spec.id} ended {r.status}: "
                             f"{r.summary.get('reason', '')}; its criterion is undecided{kept}"
                             f"{_continue_hint(failed)}")
        lo, hi = sw.bracket
        if not changes:
            state = "true" if seen[0].met else "false"
            return self.stop("no_sign_change", f"the criterion {criterion_text(sw.criterion)} is "
                             f"{state} at both ends of the bracket [{lo:g}, {hi:g}] of "
                             f"{sw.parameter}: nothing to bisect; widen or move the bracket")
        a, b = changes[0]
        self._keep(a, b)
        if len(changes) > 1:
            flips = ", ".join(f"{label(x.spec.value)}: {'true' if x.met else 'false'}" for x in seen)
            return self.stop("non_monotone", f"the criterion is not monotone in {sw.parameter} "
                             f"({flips}); bisection assumes one change inside the bracket")
        width = b.spec.value - a.spec.value
        if width <= sw.tolerance * (1 + 1e-9):
            return self.stop("complete", f"{sw.parameter} critical value "
                             f"{self.critical_value:.6g} in [{a.spec.value:.6g}, {b.spec.value:.6g}]")
        if len(records) + self.groups > sw.max_runs:
            return self.stop("max_runs", f"max_runs = {sw.max_runs} reached with the bracket "
                             f"[{a.spec.value:.6g}, {b.spec.value:.6g}] wider than the tolerance")
        step = width / (self.groups + 1)
        return [a.spec.value + k * step for k in range(1, self.groups + 1)]

    def _keep(self, a: Record, b: Record) -> tuple[float, float]:
        """Make the change between runs a and b the bracket, its midpoint the critical value."""
        self.bracket = [a.spec.value, b.spec.value]
        self.critical_value = 0.5 * (a.spec.value + b.spec.value)
        return a.spec.value, b.spec.value


def _continue_hint(undecided: list[Record]) -> str:
    """How to finish runs that stopped early with a checkpoint (a failed run would only fail again)."""
    if not any(r.status == "stopped" for r in undecided):
        return ""
    return ("; run the same sweep into the same directory again to continue stopped runs from their "
            "checkpoints (each continuation gets its own [time] max_wall_time, which --set may raise)")


def strategy_for(study: Study, groups: int) -> Strategy:
    """The strategy of the study's mode, for `groups` concurrent runs."""
    return (Bisection if study.sweep.mode == "bisection" else Listed)(study, groups)
