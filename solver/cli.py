"""Command line: `sifrac run|sweep|mesh|materials|report`.

Exit status: 0 success, 2 bad input (one message, nothing written), 3 the solver stopped (last
good state kept; for a sweep: the study ended without a result, see solver/studies/), 4 stopped
by SIGTERM/SIGINT at the end of a step (a checkpoint was written; `sifrac run CASE --resume DIR`
continues). Case files are validated on every rank before any collective call, so bad input
ends every rank the same way without a traceback.
"""

from __future__ import annotations

from sifrac.solver import bootstrap  # noqa: F401  (must precede dolfinx/petsc4py)

import argparse
import logging
import sys
from pathlib import Path

from sifrac.solver import log
from sifrac.solver.case import CaseError, load_case

EXIT_INPUT, EXIT_SOLVER, EXIT_STOPPED = 2, 3, 4


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sifrac", description="Chemo-mechanical fracture of Si anodes (DOLFINx/MPI).")
    verbosity = p.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug output (step cuts, solver details)")
    sub = p.add_subparsers(dest="command", required=True)

    def case_command(name: str, help: str, study: bool = False) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help)
        if study:
            c.add_argument("case", metavar="study", help="TOML study file: a [sweep] table naming its base case "
                           "(docs/sweep-reference.md), e.g. cases/studies/film_notch_soc_end.toml")
            c.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                           help="override a study key (sweep.KEY) or a key of its base case (repeatable), "
                           "e.g. --set sweep.tolerance=5 --set geometry.mesh_size=10")
            c.add_argument("--output", "-o", help="output directory (default: results/<[sweep] name>, the study file's stem unless set)")
            return c
        c.add_argument("case", help="TOML case file")
        c.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a case key (repeatable), e.g. --set geometry.diameter=200")
        c.add_argument("--output", "-o", help="output directory (default: [output] dir of the case)")
        return c

    run = case_command("run", "run a case")
    run.add_argument("--resume", metavar="DIR", help="continue the stopped run in DIR from its latest checkpoint "
                     "(same case; any number of ranks)")
    case_command("mesh", "build the case's mesh, write it (.msh) and a PNG picture of it")
    sweep = case_command("sweep", "threshold study: a case over a parameter (bisection, grid) or variants",
                         study=True)
    sweep.add_argument("--ranks-per-run", type=int, default=1, metavar="N",
                       help="MPI ranks per run; the other ranks run further cases concurrently (default 1)")
    sub.add_parser("materials", help="print the materials library with sources")
    rep = sub.add_parser("report", help="pictures and plots of a finished run directory")
    rep.add_argument("dir", help="a run's output directory")
    rep.add_argument("--steps", type=_steps, default=[], metavar="N,M,...",
                     help="also draw these steps (snapshots written every [output] snapshot_every steps)")
    return p


def _steps(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected step numbers separated by commas, e.g. 10,20; got {text!r}") \
            from None


def _fail(comm_rank: int, message: str, code: int) -> int:
    if comm_rank == 0:
        print(f"sifrac: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    try:
        return _dispatch(args, comm)
    except Exception:
        if comm.size == 1:
            raise
        # An unexpected error on one rank would leave the others waiting in a collective call.
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        comm.Abort(1)
        return 1


def _dispatch(args: argparse.Namespace, comm) -> int:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    log.configure(comm.rank, level)

    if args.command == "materials":
        from sifrac.solver import materials

        if comm.rank == 0:
            print(materials.table())
        return 0
    if args.command == "report":
        from sifrac.postprocess.report import write_report

        if comm.rank == 0:
            try:
                index = write_report(Path(args.dir), args.steps)
                print(f"report written to {index} and {index.with_suffix('.html')}")
            except FileNotFoundError as err:
                return _fail(0, str(err), EXIT_INPUT)
        return 0

    if args.command == "sweep":
        from sifrac.solver.studies.cli import sweep_command

        try:
            return sweep_command(args.case, args.overrides, args.output, args.ranks_per_run, comm)
        except CaseError as err:
            return _fail(comm.rank, str(err), EXIT_INPUT)

    try:
        case = load_case(args.case, args.overrides)
    except CaseError as err:
        return _fail(comm.rank, str(err), EXIT_INPUT)
    if getattr(args, "resume", None):
        from sifrac.solver.case import case_sha256
        from sifrac.solver.checkpoint import inspect

        if args.output and Path(args.output).resolve() != Path(args.resume).resolve():
            return _fail(comm.rank, f"--output {args.output} and --resume {args.resume}: a resumed run writes "
                         "into its own directory; give only --resume", EXIT_INPUT)
        case.output.dir = args.resume
        try:
            inspect(Path(args.resume), case_sha256(case))
        except CaseError as err:
            return _fail(comm.rank, str(err), EXIT_INPUT)
    elif args.output:
        case.output.dir = args.output

    from sifrac.solver.run import check_paths, run

    try:
        check_paths(case, Path(case.output.dir))  # a missing mesh file, an unwritable output
    except CaseError as err:
        return _fail(comm.rank, str(err), EXIT_INPUT)
    if args.command == "mesh":
        from sifrac.postprocess.pictures import mesh_picture

        mesh_picture(case, comm, Path(case.output.dir))
        return 0

    try:
        result = run(case, comm, resume=bool(getattr(args, "resume", None)))
    except CaseError as err:  # input only checkable against the mesh or the files (e.g. a checkpoint)
        from sifrac.solver.solvers import clear_solver_options

        clear_solver_options()
        return _fail(comm.rank, str(err), EXIT_INPUT)
    if result.status == "failed":
        return _fail(comm.rank, f"solver stopped: {result.reason}; last good state kept in {result.outdir}",
                     EXIT_SOLVER)
    if result.stopped_by:
        if comm.rank == 0:
            print(f"sifrac: stopped: {result.reason}", file=sys.stderr)
        return EXIT_STOPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
