"""Loading a study file and planning its runs: the validated `Study`, one `RunSpec` per run, and
each run's resolved case.

Every run's case is the raw base case with the CLI's `--set` and then the run's own override
applied, resolved afresh, so derived values follow the parameter (the auto mesh size scales with
a swept diameter). `validate` resolves every case known in advance before the first run, so a bad
value costs one message and writes nothing. Pure Python: no MPI, no DOLFINx.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sifrac.solver import log, materials
from sifrac.solver.case import (Case, CaseError, apply_overrides, energy_release_applies, format_value,
                                parse_overrides, read_toml, resolve_case, value_error)
from sifrac.solver.studies.schema import MODES, Sweep, other_mode_keys, resolve_sweep

_log = log.get("sweep")


@dataclass
class Study:
    """A validated study: its resolved [sweep] section and the raw base case (--set applied), with
    the base case's material parameters and their sources (`materials.provenance`)."""

    sweep: Sweep
    base_raw: dict
    base_name: str
    source: Path
    parameters: list[dict]

    @property
    def name(self) -> str:
        return self.sweep.name


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: its directory name, its parameter value (or variant name), its overrides."""

    id: str
    value: Any
    overrides: tuple[tuple[tuple[str, ...], Any], ...]


def _drop_other_modes(table: dict, mode: Any) -> dict:
    """`--set sweep.mode=M` replaces the file's mode together with the file's keys of other modes
    (a bisection study's bracket when run as a grid), so a study file can be run in another mode
    without editing it; such keys given with --set are still refused by the schema's check."""
    if mode not in MODES:
        return table  # the mode's own check names the allowed values
    dropped = other_mode_keys(table, mode)
    if dropped:
        _log.info("--set sweep.mode=%s: the study file's %s (other modes) left out", mode, ", ".join(dropped))
    return {key: value for key, value in table.items() if key not in dropped}


def load_study(path: str | Path, overrides: Iterable[str] = ()) -> Study:
    """Read and validate a study file; `--set sweep.KEY=...` go to the study, others to the base case."""
    path = Path(path)
    doc = read_toml(path, "study file")
    parsed = parse_overrides(overrides)
    sweep_sets = [(p, v) for p, v in parsed if p[0] == "sweep"]
    modes_set = [v for p, v in sweep_sets if p == ("sweep", "mode")]
    if modes_set and isinstance(doc.get("sweep"), dict):
        doc["sweep"] = _drop_other_modes(doc["sweep"], modes_set[-1])
    doc = apply_overrides(doc, sweep_sets)
    if "sweep" not in doc:
        raise CaseError(f"{path}: no [sweep] section; a study file needs one (mode, parameter, "
                        "bracket or values, criterion; see docs/sweep-reference.md)")
    sweep = resolve_sweep(doc.pop("sweep"), path.stem)
    base_raw, base_name = doc, path.stem
    if sweep.base is not None:
        base_path = path.parent / sweep.base
        if not base_path.is_file():
            raise value_error("[sweep] base", sweep.base, f"no such case file ({base_path})")
        base_raw, base_name = read_toml(base_path), base_path.stem
        for section, table in doc.items():
            if isinstance(table, dict) and isinstance(base_raw.get(section), dict):
                base_raw[section] = {**base_raw[section], **table}
            else:
                base_raw[section] = table
    base_raw = apply_overrides(base_raw, [(p, v) for p, v in parsed if p[0] != "sweep"])
    base = resolve_case(base_raw, base_name)
    crit = sweep.criterion
    variants = sweep.variants or {}
    if crit["key"] in ("fractured", "crack_initiation_soc", "crack_initiation_time") \
            and base.fracture.model == "none" \
            and not any(k == "fracture.model" for v in variants.values() for k in v):
        raise value_error("[sweep] criterion", crit["key"], "needs a fracture model, but the base case "
                          "has [fracture] model = \"none\"; allowed: AT1, AT2")
    if crit["key"].startswith("energy_release.") and not energy_release_applies(base):
        raise value_error("[sweep] criterion", crit["key"], "needs the energy-release output: a particle, "
                          "nanowire or hollow sphere with [output] energy_release unset or \"auto\"")
    varied = {sweep.parameter} if sweep.parameter is not None else \
        {key for overrides in variants.values() for key in overrides}
    return Study(sweep, base_raw, base.case.name, path, materials.provenance(base.to_dict(), varied))


def label(value: Any) -> str:
    """A parameter value as it names a run directory (`diameter_172.5`) and labels a curve."""
    if isinstance(value, float):
        return f"{value:.10g}"
    text = value if isinstance(value, str) else format_value(value)
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-") or "value"


def run_spec(study: Study, value: Any) -> RunSpec:
    """The run of a parameter value, or of a variant (by name) in variants mode."""
    if study.sweep.mode == "variants":
        items = study.sweep.variants[value].items()
        return RunSpec(value, value, tuple((tuple(k.split(".")), v) for k, v in items))
    parameter = study.sweep.parameter
    path = tuple(parameter.split("."))
    return RunSpec(f"{path[-1]}_{label(value)}", value, ((path, value),))


def run_case(study: Study, spec: RunSpec, outdir: Path) -> Case:
    """The resolved case of one run: named `<base>-<id>`, writing to outdir/runs/<id>."""
    raw = apply_overrides(study.base_raw, [*spec.overrides, (("case", "name"), f"{study.base_name}-{spec.id}"),
                                           (("output", "dir"), str(outdir / "runs" / spec.id))])
    try:
        return resolve_case(raw, study.base_name)
    except CaseError as err:
        what = f"variant {spec.id!r}" if study.sweep.mode == "variants" else \
            f"{study.sweep.parameter} = {format_value(spec.value)}"
        raise CaseError(f"[sweep] {what}: {err}") from err


def _rounds_needed(width: float, tolerance: float, groups: int) -> int:
    return max(0, math.ceil(math.log(width / tolerance) / math.log(groups + 1) - 1e-9))


def validate(study: Study, outdir: Path, groups: int) -> None:
    """Every run's case that is known in advance resolves, and the run count fits max_runs.

    Bisection points lie inside the bracket; its two ends are checked (the case's ranges are
    intervals, so the points between them pass too).
    """
    sw = study.sweep
    if sw.mode == "bisection":
        lo, hi = sw.bracket
        needed = 2 + groups * _rounds_needed(hi - lo, sw.tolerance, groups)
        if needed > sw.max_runs:
            raise value_error("[sweep] max_runs", sw.max_runs, f"bisection of {sw.bracket} to "
                              f"tolerance {sw.tolerance:g} with {groups} concurrent run(s) needs "
                              f"{needed} runs; raise max_runs or the tolerance")
        values = [lo, hi]
    else:
        values = sw.values if sw.mode == "grid" else list(sw.variants)
        if len(values) > sw.max_runs:
            raise value_error("[sweep] max_runs", sw.max_runs, f"the study has {len(values)} runs")
    specs = [run_spec(study, v) for v in values]
    ids = [s.id for s in specs]
    duplicate = next((s for s in specs if ids.count(s.id) > 1), None)
    if duplicate is not None:
        raise value_error("[sweep] values", sw.values, f"two values give the run id {duplicate.id!r}")
    for spec in specs:
        run_case(study, spec, outdir)
