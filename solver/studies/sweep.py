"""The study loop of `sifrac sweep`: plan, then round after round the strategy chooses values,
the executor runs (or reuses) their cases and rank 0 records them and rewrites the study files.

Rank 0 decides what runs next and writes every study file; the values of each round are
broadcast, so every rank builds the same cases and joins the same executor batch.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sifrac.solver import log
from sifrac.solver.case import CaseError
from sifrac.solver.studies.executor import Executor, Runner, reusable
from sifrac.solver.studies.outputs import write_outputs
from sifrac.solver.studies.plan import RunSpec, Study, run_case, run_spec, validate
from sifrac.solver.studies.strategies import Record, Strategy, evaluate, strategy_for

_log = log.get("sweep")


@dataclass
class SweepResult:
    status: str
    message: str
    summary: dict = field(default_factory=dict)  # on rank 0
    records: list[Record] = field(default_factory=list)  # on rank 0


def sweep(study: Study, comm, outdir: Path | str, ranks_per_run: int = 1,
          runner: Runner | None = None) -> SweepResult:
    """Run a validated study on `comm`; rank 0 writes the study files into outdir after each round.

    `runner` (case, sub-communicator, run directory) -> summary replaces the real run (tests)."""
    wall0 = time.perf_counter()
    outdir = Path(outdir)
    if ranks_per_run < 1 or comm.size % ranks_per_run:
        raise CaseError(f"--ranks-per-run {ranks_per_run}: must be a divisor of the number of MPI "
                        f"ranks ({comm.size})")
    groups = comm.size // ranks_per_run
    validate(study, outdir, groups)
    executor = Executor(comm, ranks_per_run, runner)
    strategy = strategy_for(study, groups)
    root = comm.rank == 0
    records: list[Record] = []
    values = strategy.first() if root else None
    rnd = 0
    while True:
        values = comm.bcast(values, root=0)
        if not values:
            break
        specs = [run_spec(study, v) for v in values]
        cases = [run_case(study, s, outdir) for s in specs]
        dirs = [outdir / "runs" / s.id for s in specs]
        old = comm.bcast([reusable(c, d) for c, d in zip(cases, dirs)] if root else None, root=0)
        todo = [i for i, s in enumerate(old) if s is None]
        if root and len(todo) < len(specs):
            _log.info("round %d: reusing %s", rnd, ", ".join(specs[i].id for i, s in enumerate(old) if s))
        new = iter(executor.execute([(cases[i], dirs[i]) for i in todo]))
        if root:
            for spec, d, summary in zip(specs, dirs, old):
                records.append(_record(study, spec, summary or next(new), d, summary is not None, rnd))
                _log.info("sweep %s: %s", study.name, _describe(records[-1]))
            values = _decide(strategy, records)
            write_outputs(study, outdir, records, strategy, groups, ranks_per_run,
                          time.perf_counter() - wall0, final=not values)
        rnd += 1
    executor.free()
    status, message = comm.bcast((strategy.status, strategy.message) if root else None, root=0)
    summary = json.loads((outdir / "summary.json").read_text()) if root else {}
    return SweepResult(status, message, summary, records)


def _decide(strategy: Strategy, records: list[Record]) -> list[Any]:
    """The next round's values; a run's input error or a criterion key missing from a complete
    run's summary stops the study as an input error instead."""
    bad = next((r for r in records if r.status == "input_error"), None)
    if bad is not None:
        return strategy.stop("input_error", f"run {bad.spec.id}: {bad.summary['reason']}")
    missing = next((r for r in records if r.status == "complete" and r.met is None), None)
    if missing is not None:
        keys = sorted(k for k, v in missing.summary.items() if not isinstance(v, dict | list)) + \
            sorted(f"final.{k}" for k in missing.summary.get("final", {}))
        return strategy.stop("input_error", f"[sweep] criterion: {missing.criterion_value}; "
                             f"available keys: {', '.join(keys)}")
    return strategy.next(records)


def _record(study: Study, spec: RunSpec, summary: dict, outdir: Path, reused: bool, rnd: int) -> Record:
    record = Record(spec, summary, outdir, reused, rnd)
    if record.status == "complete":
        try:
            record.criterion_value, record.met = evaluate(study.sweep.criterion, summary)
        except KeyError as err:  # reported by _decide as an input error
            record.criterion_value = err.args[0]
    return record


def _describe(r: Record) -> str:
    what = f"criterion {'true' if r.met else 'false' if r.met is False else 'undecided'}"
    soc = r.summary.get("crack_initiation_soc")
    extra = f", crack at SOC {soc:.4f}" if isinstance(soc, float) else ""
    wall = r.summary.get("wall_time")
    took = "reused" if r.reused else f"{wall:.1f} s" if isinstance(wall, float) else ""
    return f"{r.spec.id}: {r.status}, {what}{extra} ({took})"
