"""Cost of a lithiation-with-fracture run, per step and per staggered iteration, against the bare
linear algebra on the same mesh.

    .venv/bin/mpiexec -n N .venv/bin/python benchmarks/scaling.py [CASE] [--set k=v ...]
        [--steps K] [--label NAME] [--log-view] [--profile]

1. Runs the case through `solver.run.run` for K steps (`[time] max_steps = K`; the run stops with
   a checkpoint), reading from its summary.json: DOFs, ranks, mesh/set-up/time-loop seconds, the
   solver statistics (solves, Newton and Krylov iterations, seconds per role), the seconds spent
   in alternate minimisation and its iteration count, peak memory per rank.
2. If the run stopped at K steps, builds the problem again, restores the checkpoint (the loaded,
   possibly damaged state) and
   times one mechanics and one damage linear solve there: KSPSolve with the case's solver type,
   preconditioner set up beforehand, right-hand side = residual at zero (the full chemical load).
   The damage solve uses the full damage Jacobian (the VI solves a reduced one: an upper bound).
3. Writes benchmarks/results/<label>_np<N>.json; `benchmarks/report.py` tabulates them.

--log-view writes PETSc's -log_view of the run to <label>_np<N>.log; --profile writes a cProfile
of rank 0 to <label>_np<N>.prof (read with `python -m pstats`).
"""

from sifrac.solver import bootstrap  # noqa: F401

import argparse
import cProfile
import json
import logging
import shutil
import time
from pathlib import Path

from mpi4py import MPI
from dolfinx.fem.petsc import assign
from petsc4py import PETSc

from sifrac import meshes
from sifrac.solver import checkpoint, log
from sifrac.solver.case import Case, load_case
from sifrac.solver.model import ChemoMechanicalModel
from sifrac.solver.run import run
from sifrac.solver.solvers import residual_at_zero

ROOT = Path(__file__).parents[1]
DEFAULT_CASE = ROOT / "cases" / "sphere_fracture_3d.toml"


def timed(fn, repeat: int, comm: MPI.Comm) -> float:
    """Slowest rank's mean seconds per call."""
    comm.barrier()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    comm.barrier()
    return comm.allreduce(time.perf_counter() - t0, op=MPI.MAX) / repeat


def jacobian_at_state(problem) -> None:
    """Assemble the problem's Jacobian at its current state (the restored checkpoint)."""
    assign(problem.u, problem.x)
    problem.solver.computeJacobian(problem.x, problem.A)


def linear_solve(problem, comm: MPI.Comm) -> tuple[float, int]:
    """Seconds and Krylov iterations of one KSPSolve with the Jacobian assembled beforehand and
    the residual at zero as right-hand side; the KSP copies the type, preconditioner and
    tolerances of the problem's own one."""
    snes = problem.solver
    x = problem.x.duplicate()
    b = residual_at_zero(problem)
    own = snes.getKSP()
    ksp = PETSc.KSP().create(comm)
    ksp.setOptionsPrefix(own.getOptionsPrefix())  # same PC options (GAMG thresholds, MUMPS ICNTL)
    ksp.setFromOptions()
    ksp.setOperators(problem.A)
    ksp.setType(own.getType())
    ksp.setTolerances(*own.getTolerances())
    ksp.getPC().setType(own.getPC().getType())
    if own.getPC().getType() == "lu":
        ksp.getPC().setFactorSolverType(own.getPC().getFactorSolverType())
    ksp.setUp()
    seconds = timed(lambda: ksp.solve(b, x), 3, comm)
    its = ksp.getIterationNumber()
    ksp.destroy()
    return seconds, its


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", default=str(DEFAULT_CASE))
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--steps", type=int, default=10, help="time steps to run (default 10)")
    ap.add_argument("--label", help="name of the result files (default: the case name)")
    ap.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--log-view", action="store_true", help="write PETSc's -log_view of the run")
    ap.add_argument("--profile", action="store_true", help="write a cProfile of rank 0's run")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug log (step cuts, solver retries)")
    ap.add_argument("--bare-only", action="store_true",
                    help="keep the earlier run of this label (its JSON and checkpoint); time only the bare solves")
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    log.configure(comm.rank, logging.DEBUG if args.verbose else logging.INFO)
    case = load_case(args.case, [*args.overrides, f"time.max_steps={args.steps}"])
    label = f"{args.label or case.case.name}_np{comm.size}"
    out = Path(args.output)
    rundir = out / "runs" / label
    if args.bare_only:
        record = json.loads((out / f"{label}.json").read_text())
        stopped = record["status"] == "stopped"
    else:
        record, stopped = run_case(case, comm, rundir, label, args)
    if stopped:  # a complete run removes its checkpoint: no loaded state to time the bare solves at
        bare_solves(case, comm, rundir, record)
    if comm.rank == 0:
        (out / f"{label}.json").write_text(json.dumps(record, indent=2))
        print(json.dumps({k: v for k, v in record.items() if k != "solver_stats"}, indent=2))


def run_case(case: Case, comm: MPI.Comm, rundir: Path, label: str, args: argparse.Namespace) -> tuple[dict, bool]:
    """Run the case into `rundir`; returns the record of its costs and whether it stopped early."""
    out = rundir.parents[1]
    if comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(rundir, ignore_errors=True)
    comm.barrier()

    if args.log_view:
        PETSc.Log.begin()
    profiler = cProfile.Profile() if args.profile and comm.rank == 0 else None
    if profiler:
        profiler.enable()
    result = run(case, comm, rundir)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(out / f"{label}.prof"))
    if args.log_view:
        PETSc.Log.view(PETSc.Viewer().createASCII(str(out / f"{label}.log"), comm=comm))

    s = result.summary
    stats = s["solver_stats"]
    steps = s["steps"]
    staggered = stats["equilibrium"]["staggered_iterations"]
    record = {
        "case": case.case.name, "label": label, "ranks": comm.size, "dofs": s["dofs"],
        "cells": s["cells"], "steps": steps, "status": s["status"], "max_damage": s["final"].get("max_damage"),
        "timings": s["timings"], "seconds_per_step": s["timings"]["time_loop"] / max(steps, 1),
        "staggered_iterations": staggered,
        "seconds_per_staggered_iteration": stats["equilibrium"]["seconds"] / max(staggered, 1),
        "solver_stats": stats, "peak_memory_mb": s["peak_memory_mb"],
        "solvers": {k: getattr(case.solver, k) for k in ("mechanics", "diffusion", "damage", "linear_rtol")},
    }
    return record, result.status == "stopped"


def bare_solves(case: Case, comm: MPI.Comm, rundir: Path, record: dict) -> None:
    """Time one linear solve per solver at the state of the checkpoint in `rundir` and add them,
    and the ratio, to `record`."""
    bundle = meshes.build(case.geometry, comm, with_electrolyte=case.electrolyte.material != "liquid")
    problem = ChemoMechanicalModel(bundle, case)
    checkpoint.load(rundir, problem)
    roles = ["mechanics", "damage"] if problem.fracture else ["mechanics"]
    if problem.fracture:
        problem.update_crack_driving_energy()
    for role in roles:
        jacobian_at_state(problem.solvers[role])
    for role in roles:
        seconds, its = linear_solve(problem.solvers[role], comm)
        record.update({f"seconds_linear_{role}": seconds, f"krylov_linear_{role}": its})
    if problem.fracture:
        record["ratio"] = record["seconds_per_staggered_iteration"] / (
            record["seconds_linear_mechanics"] + record["seconds_linear_damage"])


if __name__ == "__main__":
    main()
