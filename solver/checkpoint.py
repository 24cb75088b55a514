"""Restart checkpoints and graceful stops: a run stopped by SIGTERM/SIGINT continues bit for bit.

Layout under the run directory:

    checkpoint/step_000012/rank_0.npz ...   each rank's owned + ghost entries of every state
                                            Function (`ChemoMechanicalModel.state_functions`)
    checkpoint/step_000012/state.json       t, step, step controller, bookkeeping, history rows
    checkpoint/latest.json                  names the current step_* folder; written last

latest.json is replaced atomically only once every rank has written its file, so a run killed
while writing a checkpoint leaves the previous one valid. The arrays are per rank: a resumed run
needs the same number of ranks (the mesh is then partitioned the same way; checked).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.case import CaseError
from solver.outputs import jsonable as _jsonable, write_atomic

CHECKPOINT_DIR = "checkpoint"
LATEST = "latest.json"


def _latest(outdir: Path) -> Path:
    return Path(outdir) / CHECKPOINT_DIR / LATEST


def _partition_key(problem) -> str:
    """Fingerprint of this rank's part of the mesh: the dof coordinates, owned then ghosts."""
    x = np.ascontiguousarray(problem.Vc.tabulate_dof_coordinates())
    return hashlib.sha256(x.tobytes()).hexdigest()


def inspect(outdir: Path, case_sha256: str, ranks: int) -> dict:
    """Check that the run in `outdir` can be resumed with this case on this many ranks.

    Pure file reads (no collective call), so every rank reaches the same verdict; raises
    CaseError with the reason otherwise. Returns the checkpoint's latest.json.
    """
    where = f"--resume {outdir}"
    summary_path = Path(outdir) / "summary.json"
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        if summary.get("status") == "complete":
            raise CaseError(f"{where}: the run is complete ({summary.get('reason')}); nothing to resume")
        if summary.get("status") == "failed":
            raise CaseError(f"{where}: the run failed ({summary.get('reason')}); resuming would repeat "
                            "the failure: change the case and start a new run")
    try:
        latest = json.loads(_latest(outdir).read_text())
    except FileNotFoundError:
        raise CaseError(f"{where}: no checkpoint ({CHECKPOINT_DIR}/{LATEST}) in this directory; "
                        "start a new run without --resume") from None
    if latest["case_sha256"] != case_sha256:
        raise CaseError(f"{where}: the case differs from the one the run was started with (case sha256 "
                        f"{case_sha256[:12]} vs {latest['case_sha256'][:12]}); resume with the run's own "
                        f"case, {Path(outdir) / 'case.toml'}")
    if latest["ranks"] != ranks:
        raise CaseError(f"{where}: the checkpoint was written on {latest['ranks']} rank(s) and this run has "
                        f"{ranks}; resume with the same number of ranks (mpiexec -n {latest['ranks']})")
    return latest


def save(outdir: Path, comm, problem, state: dict) -> Path:
    """Write a checkpoint of the problem's state Functions plus `state` (JSON-able scalars and
    rows), then make it the latest; older checkpoints are removed."""
    root = Path(outdir) / CHECKPOINT_DIR
    folder = root / f"step_{state['step']:06d}"
    try:
        current = json.loads((root / LATEST).read_text())["folder"] if comm.rank == 0 else None
    except FileNotFoundError:
        current = None
    if comm.rank == 0:
        if folder.name == current:
            raise RuntimeError(f"checkpoint {folder} is the current one; it is not rewritten")
        shutil.rmtree(folder, ignore_errors=True)  # a partial one from a killed run
        folder.mkdir(parents=True)
    comm.barrier()
    arrays = {name: f.x.array for name, f in problem.state_functions().items()}
    tmp = folder / f".rank_{comm.rank}.tmp.npz"
    np.savez(tmp, **arrays)
    tmp.replace(folder / f"rank_{comm.rank}.npz")
    keys = comm.gather(_partition_key(problem), root=0)
    comm.barrier()
    if comm.rank == 0:
        body = {**state, "ranks": comm.size, "partition": keys, "functions": sorted(arrays)}
        write_atomic(folder / "state.json", json.dumps(body, default=_jsonable) + "\n")
        write_atomic(root / LATEST, json.dumps({"folder": folder.name, "step": state["step"], "time": state["t"],
                                                "ranks": comm.size, "case_sha256": state["case_sha256"]}) + "\n")
        for old in root.glob("step_*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    comm.barrier()
    return folder


def remove(outdir: Path, comm) -> None:
    """Delete the checkpoints of a run that needs none any more (rank 0)."""
    if comm.rank == 0:
        shutil.rmtree(Path(outdir) / CHECKPOINT_DIR, ignore_errors=True)


def load(outdir: Path, problem) -> dict:
    """Restore the problem's state Functions from the latest checkpoint; returns its state.json.

    Raises CaseError on every rank if this rank's part of the mesh differs from the one saved.
    """
    comm = problem.comm
    folder = Path(outdir) / CHECKPOINT_DIR / json.loads(_latest(outdir).read_text())["folder"]
    state = json.loads((folder / "state.json").read_text())
    functions = problem.state_functions()
    ok = state["partition"][comm.rank] == _partition_key(problem) and state["functions"] == sorted(functions)
    if ok:
        with np.load(folder / f"rank_{comm.rank}.npz") as data:
            for name, f in functions.items():
                ok = ok and data[name].shape == f.x.array.shape
                if ok:
                    f.x.array[:] = data[name]
    if not comm.allreduce(ok, op=MPI.LAND):
        raise CaseError(f"--resume {outdir}: the checkpoint in {folder} does not fit this run's mesh partition "
                        "or state fields (another DOLFINx build or partitioner?); start a new run")
    return state


class GracefulStop:
    """While active, SIGTERM and SIGINT only set a flag: the run stops at the end of its step.

    `requested()` is collective: every rank learns whether any rank got a signal, so all of them
    stop at the same step. Handlers are installed only in the main thread (Python's rule) and the
    previous ones are restored on exit.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, comm) -> None:
        self.comm = comm
        self.received = 0
        self._previous: dict[int, object] = {}

    def _handler(self, signum: int, _frame) -> None:
        self.received = signum

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._previous[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def requested(self) -> str | None:
        """The name of the signal any rank received, or None (collective)."""
        signum = self.comm.allreduce(self.received, op=MPI.MAX)
        return signal.Signals(signum).name if signum else None

