"""The one entry point: `run(case, comm) -> Result`, used by the CLI, sweeps and tests.

mesh -> model (`solver/model.py`) -> simulation (`solver/simulation.py`: outputs, time loop,
summary). The communicator is the one passed in (sweeps run cases on sub-communicators);
everything below reads it back from the mesh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import meshes
from solver import log
from solver.model import ChemoMechanicalModel
from solver.simulation import Simulation
from solver.versions import git_commit, versions  # noqa: F401  (versions: sweeps read it from here)

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


def run(case: dict, comm, outdir: Path | str | None = None, resume: bool = False) -> Result:
    """Run a resolved case on `comm` and write its results to `outdir` (default: [output] dir).

    With `resume`, continue from the latest checkpoint in `outdir` (checked beforehand with
    `checkpoint.inspect`): the state, history and bookkeeping are restored and the run goes on
    as if it had never stopped.
    """
    started = time.perf_counter()
    git_commit()  # the code as it starts (cached)
    outdir = Path(outdir or case["output"]["dir"])
    bundle = meshes.build(case["geometry"], comm, with_electrolyte=case["electrolyte"]["material"] != "liquid")
    meshed = time.perf_counter()
    simulation = Simulation(case, ChemoMechanicalModel(bundle, case), outdir, resume, started, meshed)
    status, reason, stopped_by = simulation.run()
    summary = simulation.summary(status, reason)
    writer = simulation.writer
    writer.write_summary(summary)
    _log.info("%s: %s after %d steps (%s); results in %s", case["case"]["name"], status, simulation.state.step,
              reason, outdir)
    return Result(status, reason, outdir, writer.history, summary, writer.last_probes, stopped_by)
