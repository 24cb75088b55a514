"""The one entry point: `run(case, comm) -> Result`, used by the CLI, sweeps and tests.

paths (`check_paths`, before any collective call) -> mesh -> probes (located before any solver
exists) -> model (`solver/model.py`) -> simulation (`solver/simulation.py`: outputs, time loop,
summary). The communicator is the one passed in (sweeps run cases on sub-communicators);
everything below reads it back from the mesh.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sifrac import meshes
from sifrac.solver import log
from sifrac.solver.case import Case, CaseError, format_value, resolution_warnings
from sifrac.solver.model import ChemoMechanicalModel
from sifrac.solver.probes import Probes
from sifrac.solver.simulation import Simulation
from sifrac.solver.versions import git_commit

_log = log.get("run")


@dataclass
class Result:
    """What a run returns: its status, the per-step history and the summary it wrote."""

    status: str  # "complete" | "stopped" | "failed"
    reason: str
    outdir: Path
    history: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    probes: np.ndarray | None = None  # rank 0: (c, sxx, syy, szz, sxy, sxz, syz) per probe at the end
    stopped_by: str | None = None  # SIGTERM, SIGINT or max_wall_time: stopped early, a checkpoint written


def output_problem(path: Path) -> str | None:
    """Why `path` cannot be (created and) written as an output directory, or None. File reads
    only: every rank reaches the same verdict, and nothing is created."""
    if path.exists() and not path.is_dir():
        return "exists and is not a directory"
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be created: {existing} is a file, not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: no write permission on {existing}"
    return None


def check_paths(case: Case, outdir: Path) -> None:
    """The files a run reads and writes: the mesh file of `[geometry] kind = "file"` exists and
    can be read, the output directory can be written. Raises CaseError naming the path; called
    before any collective call, so bad paths end every rank the same way with nothing written."""
    geo = case.geometry
    if geo.kind == "file":
        mesh = Path(geo.file)
        if not mesh.is_file():
            raise CaseError(f"[geometry] file = {format_value(geo.file)}: no such file "
                            f"({'a directory' if mesh.is_dir() else 'not found'} at {mesh.absolute()})")
        if not os.access(mesh, os.R_OK):
            raise CaseError(f"[geometry] file = {format_value(geo.file)}: cannot be read (no read permission)")
    why = output_problem(Path(outdir))
    if why:
        raise CaseError(f"output directory {outdir}: {why}")


def run(case: Case, comm, outdir: Path | str | None = None, resume: bool = False) -> Result:
    """Run a resolved case on `comm` and write its results to `outdir` (default: [output] dir).

    With `resume`, continue from the latest checkpoint in `outdir` (checked beforehand with
    `checkpoint.inspect`): the state, history and bookkeeping are restored and the run goes on
    as if it had never stopped.
    """
    started = time.perf_counter()
    git_commit()  # the code as it starts (cached)
    outdir = Path(outdir or case.output.dir)
    check_paths(case, outdir)
    for text in resolution_warnings(case):
        _log.warning("%s: %s", case.case.name, text)
    bundle = meshes.build(case.geometry, comm, with_electrolyte=case.electrolyte.material != "liquid")
    meshed = time.perf_counter()
    probes = Probes(bundle.mesh, case.output.probes)  # before any solver: a bad point sets no options
    simulation = Simulation(case, ChemoMechanicalModel(bundle, case), probes, outdir, resume, started, meshed)
    status, reason, stopped_by = simulation.run()
    summary = simulation.summary(status, reason)
    writer = simulation.writer
    writer.write_summary(summary)
    _log.info("%s: %s after %d steps (%s); results in %s", case.case.name, status, simulation.state.step,
              reason, outdir)
    return Result(status, reason, outdir, writer.history, summary, writer.last_probes, stopped_by)
