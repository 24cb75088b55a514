"""The `sifrac sweep STUDY.toml` verb: load the study, run it, log the verdict, and map the
study's status to the exit status (0 with a result, 2 bad input, 3 without a result)."""

from __future__ import annotations

from pathlib import Path

from sifrac.solver import log, materials
from sifrac.solver.run import output_problem
from sifrac.solver.case import CaseError
from sifrac.solver.studies.plan import load_study
from sifrac.solver.studies.sweep import sweep

_log = log.get("sweep")

# Exit status of `sifrac sweep` by study status; anything else that is not complete: 3.
EXIT_BY_STATUS = {"complete": 0, "input_error": 2}
EXIT_NO_RESULT = 3


def sweep_command(path: str, overrides: list[str], output: str | None, ranks_per_run: int, comm) -> int:
    """`sifrac sweep`: exit 0 with a result, 2 for bad input (CaseError), 3 without a result."""
    study = load_study(path, overrides)
    outdir = Path(output or f"results/{study.name}")
    why = output_problem(outdir)
    if why:
        raise CaseError(f"output directory {outdir}: {why}")
    for text in materials.outside_published(study.parameters):
        _log.warning("sweep %s: the base case's %s lies outside its published range", study.name, text)
    result = sweep(study, comm, outdir, ranks_per_run)
    if result.status == "complete":
        _log.info("sweep %s: %s; results in %s", study.name, result.message, outdir)
        if result.summary.get("target_met") is False:
            lo, hi = study.sweep.target
            _log.warning("sweep %s: the critical value %.6g lies outside the target [%g, %g] (%s): the "
                         "model misses it", study.name, result.summary["critical_value"], lo, hi,
                         study.sweep.target_source or "no source given")
    else:
        _log.error("sweep %s: %s: %s; results in %s", study.name, result.status, result.message, outdir)
    return EXIT_BY_STATUS.get(result.status, EXIT_NO_RESULT)
