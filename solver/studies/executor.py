"""Running a study's cases: concurrently on sub-communicators, reusing and resuming earlier runs.

The communicator passed in is split into groups of `ranks_per_run` consecutive ranks; each group
runs one case at a time and the summaries are gathered on rank 0. A run directory holding the
summary.json of a complete run with the same `case_sha256` is reused, not run again (the hash
covers the resolved case, not the code version); a run stopped early with a checkpoint (by
`[time] max_wall_time`, a signal or a kill) continues from it; a failed run starts again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sifrac.solver import checkpoint
from sifrac.solver.case import Case, CaseError, case_sha256

# Imported here, on every rank: the first DOLFINx/PETSc import is collective over COMM_WORLD, so
# it must not happen inside one sub-communicator's run.
from sifrac.solver.run import run

Runner = Callable[[Case, Any, Path], dict]  # (case, comm, outdir) -> summary (on the comm's rank 0)


def run_or_resume(case: Case, comm, outdir: Path) -> dict:
    """Run the case in outdir; a run of it stopped there early goes on from its checkpoint."""
    return run(case, comm, outdir, resume=resumable(case, outdir)).summary


def resumable(case: Case, outdir: Path) -> bool:
    """Whether outdir holds a checkpoint of this case (written on any number of ranks): a run stopped by
    `[time] max_wall_time`, a signal or a kill. File reads only, the same verdict on every rank."""
    try:
        checkpoint.inspect(outdir, case_sha256(case))
    except CaseError:
        return False
    return True


def reusable(case: Case, outdir: Path) -> dict | None:
    """The summary of a finished run of exactly this case in outdir, if there is one."""
    try:
        summary = json.loads((outdir / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    ok = isinstance(summary, dict) and summary.get("status") == "complete" \
        and summary.get("case_sha256") == case_sha256(case)
    return summary if ok else None


def wait_quietly(comm, poll: float = 0.05) -> None:
    """Wait for every rank of comm, sleeping instead of spinning.

    MPICH's blocking collectives busy-poll: a group whose runs end first would hold its cores at
    100% until the slowest run of the round ends, taking them from the other groups' runs where
    ranks share cores (and from any other job on the machine)."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(poll)


class Executor:
    """Runs batches of cases on groups of `ranks_per_run` consecutive ranks of `comm`."""

    def __init__(self, comm, ranks_per_run: int, runner: Runner | None = None) -> None:
        self.comm, self.runner = comm, runner or run_or_resume
        self.groups = comm.size // ranks_per_run
        self.group = comm.rank // ranks_per_run
        self.sub = comm.Split(self.group, comm.rank)

    def execute(self, jobs: list[tuple[Case, Path]]) -> list[dict]:
        """Run jobs round-robin over the groups; the summaries, in order, on rank 0 of comm."""
        mine = {}
        for i, (case, outdir) in enumerate(jobs):
            if i % self.groups != self.group:
                continue
            try:
                summary = self.runner(case, self.sub, outdir)
            except CaseError as err:  # input only checkable on the mesh; the same on the group's ranks
                summary = {"status": "input_error", "reason": str(err)}
            if self.sub.rank == 0:
                mine[i] = summary
        wait_quietly(self.comm)
        parts = self.comm.gather(mine, root=0)
        if self.comm.rank != 0:
            return []
        done = {i: summary for part in parts for i, summary in part.items()}
        return [done[i] for i in range(len(jobs))]

    def free(self) -> None:
        self.sub.Free()
