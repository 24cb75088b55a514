"""Restart checkpoints and graceful stops: a run stopped by SIGTERM/SIGINT continues where it
stopped, on the same or on another number of ranks.

Layout under the run directory:

    checkpoint/step_000012/rank_0.npz ...   what each rank owns: for each of its owned cells the
                                            original (input) cell index, the cell's midpoint and,
                                            per state Function (`ChemoMechanicalModel.state_functions`),
                                            the values of the cell's dofs in the cell's own order
    checkpoint/step_000012/state.json       t, step, step controller, bookkeeping, history rows
    checkpoint/latest.json                  names the current step_* folder; written last

Why by cell: the mesh of a resumed run is the same Gmsh mesh (built again from the same case), but
DOLFINx partitions and renumbers it anew for each number of ranks. A cell's original index, and
the order of the dofs inside it, do not depend on the partition, for every space the state uses
(P1 and vector P2 Lagrange, DG0, quadrature points), so each rank reads every saved cell and fills
its own cells, ghost dofs included. The midpoints check that the mesh is that of the checkpoint.

latest.json is replaced atomically only once every rank has written its file, so a run killed
while writing a checkpoint leaves the previous one valid.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
from pathlib import Path

import numpy as np
from dolfinx import fem
from dolfinx.mesh import compute_midpoints
from mpi4py import MPI

from sifrac.solver.case import CaseError
from sifrac.solver.outputs import jsonable as _jsonable, write_atomic

CHECKPOINT_DIR = "checkpoint"
LATEST = "latest.json"
CELLS, MIDPOINTS = "_cells", "_midpoints"  # the cell keys and their check in each rank's file


def _latest(outdir: Path) -> Path:
    return Path(outdir) / CHECKPOINT_DIR / LATEST


def inspect(outdir: Path, case_sha256: str) -> dict:
    """Check that the run in `outdir` can be resumed with this case (on any number of ranks).

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
    return latest


def _cell_dofs(f: fem.Function) -> np.ndarray:
    """Indices into f.x.array of each local cell's values, (cells, dofs per cell x block size),
    in the cell's own dof order."""
    dofmap = f.function_space.dofmap
    bs = dofmap.bs
    return (dofmap.list[:, :, None] * bs + np.arange(bs)).reshape(len(dofmap.list), -1)


def _midpoints(mesh, cells: np.ndarray) -> np.ndarray:
    return compute_midpoints(mesh, mesh.topology.dim, cells.astype(np.int32))


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
    mesh = problem.bundle.mesh
    owned = np.arange(mesh.topology.index_map(mesh.topology.dim).size_local)
    arrays = {CELLS: mesh.topology.original_cell_index[owned], MIDPOINTS: _midpoints(mesh, owned)}
    functions = problem.state_functions()
    for name, f in functions.items():
        values = f.x.array.copy()  # the owners' values at the ghosts, without touching the state
        g = fem.Function(f.function_space)
        g.x.array[:] = values
        g.x.scatter_forward()
        arrays[name] = g.x.array[_cell_dofs(f)[owned]]
    tmp = folder / f".rank_{comm.rank}.tmp.npz"
    np.savez(tmp, **arrays)
    tmp.replace(folder / f"rank_{comm.rank}.npz")
    comm.barrier()
    if comm.rank == 0:
        body = {**state, "ranks": comm.size, "functions": sorted(functions)}
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
    """Restore the problem's state Functions from the latest checkpoint, written on any number of
    ranks; returns its state.json.

    Raises CaseError on every rank if the checkpoint does not fit: other state fields, another
    mesh (a cell missing, or its midpoint elsewhere) or another layout of a cell's values.
    """
    comm = problem.comm
    folder = Path(outdir) / CHECKPOINT_DIR / json.loads(_latest(outdir).read_text())["folder"]
    state = json.loads((folder / "state.json").read_text())
    functions = problem.state_functions()
    mesh = problem.bundle.mesh
    tdim = mesh.topology.dim
    index_map = mesh.topology.index_map(tdim)
    local = np.arange(index_map.size_local + index_map.num_ghosts)
    why = None
    if state["functions"] != sorted(functions):
        why = f"its state fields {state['functions']} are not this run's {sorted(functions)}"
    else:
        saved = _read_all(folder, state["ranks"], list(functions))
        order = np.argsort(saved[CELLS])
        keys = mesh.topology.original_cell_index[local]
        rows = order[np.minimum(np.searchsorted(saved[CELLS], keys, sorter=order), len(order) - 1)]
        scale = 1.0 + np.abs(mesh.geometry.x).max(initial=0.0)
        if len(saved[CELLS]) != index_map.size_global:
            why = f"it holds {len(saved[CELLS])} cells and this mesh {index_map.size_global}"
        elif not (np.array_equal(saved[CELLS][rows], keys)
                  and np.allclose(saved[MIDPOINTS][rows], _midpoints(mesh, local), rtol=0.0, atol=1e-9 * scale)):
            why = "its cells are not this mesh's (another Gmsh version or mesh options?)"
        else:
            for name, f in functions.items():
                values = saved[name][rows]
                if values.shape[1:] != _cell_dofs(f).shape[1:]:
                    why = f"{name} has {values.shape[1]} values per cell, this run {_cell_dofs(f).shape[1]}"
                    break
                f.x.array[_cell_dofs(f)[local]] = values
    whys = comm.allgather(why)
    if any(whys):
        raise CaseError(f"--resume {outdir}: the checkpoint in {folder} does not fit this run: "
                        f"{next(w for w in whys if w)}; start a new run")
    return state


def _read_all(folder: Path, ranks: int, names: list[str]) -> dict[str, np.ndarray]:
    """Every rank's file of a checkpoint, concatenated (whatever the number of ranks now)."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (CELLS, MIDPOINTS, *names)}
    for r in range(ranks):
        with np.load(folder / f"rank_{r}.npz") as data:
            for k in parts:
                parts[k].append(data[k])
    return {k: np.concatenate(v) for k, v in parts.items()}


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

