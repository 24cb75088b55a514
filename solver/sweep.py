"""Threshold studies (`sifrac sweep STUDY.toml`): one base case run over a parameter or variants.

A study file has a `[sweep]` section (STUDY below) and a base case: `base = "case.toml"`, the
study file's other sections, or both (the study's sections override the base file's keys). Every
run's case is the raw base case with the CLI's `--set` and then the run's own override applied,
resolved afresh, so derived values follow the parameter (the auto mesh size scales with a swept
diameter). Every case is validated before the first run, so a bad value costs one message and
writes nothing.

Runs execute concurrently on sub-communicators of the communicator passed in: groups of
`ranks_per_run` ranks, one run per group at a time. Rank 0 decides what runs next (bisection
rounds) and writes every study file; the run directories are ordinary `sifrac run` outputs.

Bisection assumes the criterion (e.g. `fractured`) is monotone in the parameter: it changes
once inside the bracket, in either direction. With G groups each round evaluates G interior
points (G + 1 equal sub-intervals) and keeps the sub-interval where the criterion changes, until
the bracket is no wider than the tolerance; `critical_value` is its midpoint. An observation
that contradicts monotonicity (the criterion changing more than once along the parameter) stops
the study with status `non_monotone`.

Restart: a run whose directory holds a summary.json of a complete run with the same
`case_sha256` is reused, not run again, so a re-run of a study into the same directory replays
finished work (bisection replays its decisions from those results). The hash covers the
resolved case, not the code version. A run stopped early with a checkpoint (by `[time]
max_wall_time`, a signal or a kill) continues from it; a failed run starts again.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from postprocess.growth import changes as outcome_changes
from postprocess.keys import lookup
from solver import checkpoint, log, materials
from solver.case import (SCHEMA, Auto, CaseError, KeySpec, Section, add_type, apply_overrides,
                         case_sha256, format_value, parse_overrides, read_toml, resolve_case,
                         resolve_section, section_markdown)
from solver.materials import POSITIVE, Range
from solver.outputs import csv_text, write_atomic
# Imported here, on every rank: the first DOLFINx/PETSc import is collective over COMM_WORLD, so
# it must not happen inside one sub-communicator's run.
from solver.run import git_commit, output_problem, run, versions

_log = log.get("sweep")

MODES = ("bisection", "grid", "variants")
OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
       ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
# Exit status of `sifrac sweep` by study status; anything else that is not complete: 3.
EXIT_BY_STATUS = {"complete": 0, "input_error": 2}
EXIT_NO_RESULT = 3
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


# --------------------------------------------------------------------------- the [sweep] section

def _err(where: str, value: Any, message: str) -> CaseError:
    return CaseError(f"{where} = {format_value(value)}: {message}")


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _as_bracket(where: str, value: Any, spec: KeySpec) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2 and all(_is_finite(v) for v in value)):
        raise _err(where, value, "expected [lo, hi], two finite numbers")
    if not value[0] < value[1]:
        raise _err(where, value, "expected lo < hi")
    return [float(v) for v in value]


def _as_values(where: str, value: Any, spec: KeySpec) -> list:
    if not (isinstance(value, list) and value):
        raise _err(where, value, "expected a non-empty list of values")
    for i, v in enumerate(value):
        if isinstance(v, dict) or (isinstance(v, float) and not math.isfinite(v)):
            raise _err(f"{where}[{i}]", v, "expected a finite number, string, boolean or list")
    return list(value)


def _flatten(table: dict, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Nested or dotted-string keys alike as key paths: `a.b = 1` and `"a.b" = 1` mean the same."""
    out = []
    for key, value in table.items():
        path = prefix + tuple(part.strip() for part in key.split("."))
        out += _flatten(value, path) if isinstance(value, dict) else [(path, value)]
    return out


def _as_variants(where: str, value: Any, spec: KeySpec) -> dict[str, dict[str, Any]]:
    """NAME -> {"section.key" = value}; names become run directories, so they stay plain."""
    if not (isinstance(value, dict) and value):
        raise _err(where, value, "expected tables [sweep.variants.NAME] of \"section.key\" = value")
    out = {}
    for name, table in value.items():
        if not _NAME.match(name):
            raise CaseError(f"{where}.{name}: a variant name may contain letters, digits and _ . + - only")
        if not (isinstance(table, dict) and table):
            raise _err(f"{where}.{name}", table, "expected a table of \"section.key\" = value overrides")
        items = _flatten(table)
        for path, _ in items:
            if len(path) < 2 or not all(path):
                raise CaseError(f"{where}.{name}: key {'.'.join(path)!r} is not section.key")
        out[name] = {".".join(path): v for path, v in items}
    return out


def _as_criterion(where: str, value: Any, spec: KeySpec) -> dict[str, Any]:
    """A boolean summary key, or {key, op, value}; stored as the table (`fractured == true`)."""
    if isinstance(value, str):
        return {"key": value, "op": "==", "value": True}
    if not isinstance(value, dict):
        raise _err(where, value, "expected a summary key (e.g. \"fractured\") or a table "
                   "{key = \"...\", op = \">=\", value = ...}")
    unknown = sorted(set(value) - {"key", "op", "value"})
    if unknown:
        raise CaseError(f"{where}.{unknown[0]}: unknown key; allowed keys: key, op, value")
    if not isinstance(value.get("key"), str):
        raise _err(f"{where}.key", value.get("key"), "expected a summary key (string), e.g. "
                   "\"crack_initiation_soc\" or \"final.max_damage\"")
    if value.get("op") not in OPS:
        raise _err(f"{where}.op", value.get("op"), "expected one of " + ", ".join(map(json.dumps, OPS)))
    if "value" not in value or isinstance(value["value"], dict | list):
        raise _err(f"{where}.value", value.get("value"), "expected a number, string or boolean")
    return {"key": value["key"], "op": value["op"], "value": value["value"]}


add_type("bracket", "[lo, hi]", _as_bracket)
add_type("values", "list of values", _as_values)
add_type("variants", "tables NAME -> {\"section.key\" = value}", _as_variants)
add_type("criterion", "summary key or {key, op, value}", _as_criterion)

_BISECTION, _GRID, _VARIANTS = ((("mode", (m,)),) for m in MODES)


def _other_mode_keys(table: dict, mode: Any) -> list[str]:
    """The keys of `table` that only another mode uses (their `when` names the modes)."""
    return [key for key, spec in STUDY.keys.items() if key in table and spec.when and mode not in spec.when[0][1]]


def _check_study(sweep: dict) -> None:
    """Keys of another mode are mistakes here (unlike a case's keys of another geometry kind)."""
    for key in _other_mode_keys(sweep, sweep["mode"]):
        modes = " or ".join(json.dumps(m) for m in STUDY.keys[key].when[0][1])
        raise _err(f"[sweep] {key}", sweep[key], f"is used by mode = {modes} only; this study "
                   f"has mode = {json.dumps(sweep['mode'])}")
    if "parameter" in sweep:
        spec = _parameter_spec(sweep["parameter"])
        if sweep["mode"] == "bisection" and spec.type != "float":
            raise _err("[sweep] parameter", sweep["parameter"], "bisection needs a real-valued "
                       "(float) case key; use mode = \"grid\" for other keys")
    if "trend_x" in sweep:
        _parameter_spec(sweep["trend_x"], "[sweep] trend_x")


STUDY = Section("A threshold study (`sifrac sweep`): the varied parameter, how values are chosen "
                "and the criterion that decides each run. The base case is `base` and/or the study "
                "file's other sections; `--set sweep.KEY=VALUE` overrides these keys.", {
    "name": KeySpec("str", "study name: default output directory results/<name>",
                    Auto("the study file's stem", lambda _case, stem: stem)),
    "description": KeySpec("str", "free text", ""),
    "base": KeySpec("str", "base case file, relative to the study file; the study file's other "
                    "sections override its keys. Unset: the study file's sections are the case"),
    "mode": KeySpec("str", "bisection: find where the criterion changes inside `bracket`; grid: "
                    "run every one of `values`; variants: run each named set of overrides",
                    "bisection", choices=MODES),
    "parameter": KeySpec("str", "the varied case key, section.key (e.g. \"geometry.diameter\")",
                         when=(("mode", ("bisection", "grid")),), required=True),
    "bracket": KeySpec("bracket", "[lo, hi] of the parameter; the criterion must differ at the "
                       "two ends", when=_BISECTION, required=True),
    "tolerance": KeySpec("float", "stop when the bracket is this narrow (absolute, in the "
                         "parameter's unit)", when=_BISECTION, required=True, range=POSITIVE),
    "target": KeySpec("bracket", "published [lo, hi] of the critical value (validation): the "
                      "summary says whether the critical value lies in it (`target_met`; for a study "
                      "stopped early, whether its whole bracket does) and the "
                      "log warns when it does not; unset: no target. A study variant with "
                      "another geometry or material needs its own target", when=_BISECTION),
    "target_source": KeySpec("str", "where the target comes from (paper, figure)", "",
                             when=_BISECTION),
    "values": KeySpec("values", "the parameter values to run", when=_GRID, required=True),
    "variants": KeySpec("variants", "[sweep.variants.NAME] tables of \"section.key\" = value "
                        "overrides, one run each (run directory NAME)", when=_VARIANTS,
                        required=True),
    "criterion": KeySpec("criterion", "what counts as the effect: a boolean key of the run's "
                         "summary.json, or {key, op, value} with op one of "
                         + " ".join(OPS) + "; key: a summary key or one of its final/extremes "
                         "entries (\"final.max_damage\"); a missing value (null) counts as false",
                         {"key": "fractured", "op": "==", "value": True}),
    "compare": KeySpec("str_list", "history.csv columns overlaid for all runs, one figure each "
                       "(compare_<column>.png); unset: none"),
    "compare_x": KeySpec("str", "history.csv column on the x axis of the compare figures", "soc"),
    "pictures": KeySpec("str_list", "fields drawn from every run's final_state.vtu (e.g. "
                        "\"damage\"), one picture each (pictures/<run>_<field>.png); needs "
                        "[output] fields = true"),
    "trend_x": KeySpec("str", "resolved case key (section.key, e.g. \"electrolyte.E\") on the x "
                       "axis of trend.png; a run without it (a liquid electrolyte has no E) is "
                       "drawn as a horizontal reference line"),
    "trend_y": KeySpec("str_list", "run summary values plotted against trend_x in trend.png, "
                       "one panel each (keys as for criterion: \"crack_initiation_soc\", "
                       "\"final.cod_normalized\")"),
    "max_runs": KeySpec("int", "most runs a study may take (bisection: checked against the "
                        "rounds the tolerance needs before the first run)", 50, range=Range(1)),
}, checks=(_check_study,))


def _parameter_spec(parameter: str, where: str = "[sweep] parameter") -> KeySpec:
    """The SCHEMA entry of a dotted case key, or a CaseError naming the study key (`where`)."""
    path = parameter.split(".")
    section = SCHEMA.get(path[0])
    if len(path) < 2 or section is None:
        raise _err(where, parameter, "expected section.key with section one of "
                   + ", ".join(SCHEMA))
    if path[1] not in section.keys:
        raise _err(where, parameter, f"[{path[0]}] has no key {path[1]!r}; allowed "
                   "keys: " + ", ".join(section.keys))
    return section.keys[path[1]]


def reference_markdown() -> str:
    """The `[sweep]` reference, generated from STUDY (docs/sweep-reference.md)."""
    return "\n".join(["# Study-file reference (`sifrac sweep`)", "",
                      "A study file is a case file (docs/case-reference.md) plus this section; see "
                      "the README, Threshold studies.", "", *section_markdown("sweep", STUDY)])


# --------------------------------------------------------------------------- loading a study

@dataclass
class Study:
    """A validated study: its resolved [sweep] section and the raw base case (--set applied), with
    the base case's material parameters and their sources (`materials.provenance`)."""

    sweep: dict
    base_raw: dict
    base_name: str
    source: Path
    parameters: list[dict]

    @property
    def name(self) -> str:
        return self.sweep["name"]


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: its directory name, its parameter value (or variant name), its overrides."""

    id: str
    value: Any
    overrides: tuple[tuple[tuple[str, ...], Any], ...]


def _drop_other_modes(table: dict, mode: Any) -> dict:
    """`--set sweep.mode=M` replaces the file's mode together with the file's keys of other modes
    (a bisection study's bracket when run as a grid), so a study file can be run in another mode
    without editing it; such keys given with --set are still refused by `_check_study`."""
    if mode not in MODES:
        return table  # the mode's own check names the allowed values
    dropped = _other_mode_keys(table, mode)
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
    sweep = resolve_section("sweep", STUDY, doc.pop("sweep"), path.stem)
    base_raw, base_name = doc, path.stem
    if "base" in sweep:
        base_path = path.parent / sweep["base"]
        if not base_path.is_file():
            raise _err("[sweep] base", sweep["base"], f"no such case file ({base_path})")
        base_raw, base_name = read_toml(base_path), base_path.stem
        for section, table in doc.items():
            if isinstance(table, dict) and isinstance(base_raw.get(section), dict):
                base_raw[section] = {**base_raw[section], **table}
            else:
                base_raw[section] = table
    base_raw = apply_overrides(base_raw, [(p, v) for p, v in parsed if p[0] != "sweep"])
    base = resolve_case(base_raw, base_name)
    crit = sweep["criterion"]
    if crit["key"] in ("fractured", "crack_initiation_soc", "crack_initiation_time") \
            and base["fracture"]["model"] == "none" \
            and not any(k == "fracture.model" for v in sweep.get("variants", {}).values() for k in v):
        raise _err("[sweep] criterion", crit["key"], "needs a fracture model, but the base case "
                   "has [fracture] model = \"none\"; allowed: AT1, AT2")
    varied = {sweep["parameter"]} if "parameter" in sweep else \
        {key for overrides in sweep.get("variants", {}).values() for key in overrides}
    return Study(sweep, base_raw, base["case"]["name"], path, materials.provenance(base, varied))


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = value if isinstance(value, str) else format_value(value)
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-") or "value"


def run_spec(study: Study, value: Any) -> RunSpec:
    """The run of a parameter value, or of a variant (by name) in variants mode."""
    if study.sweep["mode"] == "variants":
        items = study.sweep["variants"][value].items()
        return RunSpec(value, value, tuple((tuple(k.split(".")), v) for k, v in items))
    parameter = study.sweep["parameter"]
    path = tuple(parameter.split("."))
    return RunSpec(f"{path[-1]}_{_label(value)}", value, ((path, value),))


def run_case(study: Study, spec: RunSpec, outdir: Path) -> dict:
    """The resolved case of one run: named `<base>-<id>`, writing to outdir/runs/<id>."""
    raw = apply_overrides(study.base_raw, [*spec.overrides, (("case", "name"), f"{study.base_name}-{spec.id}"),
                                           (("output", "dir"), str(outdir / "runs" / spec.id))])
    try:
        return resolve_case(raw, study.base_name)
    except CaseError as err:
        what = f"variant {spec.id!r}" if study.sweep["mode"] == "variants" else \
            f"{study.sweep['parameter']} = {format_value(spec.value)}"
        raise CaseError(f"[sweep] {what}: {err}") from err


def _rounds_needed(width: float, tolerance: float, groups: int) -> int:
    return max(0, math.ceil(math.log(width / tolerance) / math.log(groups + 1) - 1e-9))


def validate(study: Study, outdir: Path, groups: int) -> None:
    """Every run's case that is known in advance resolves, and the run count fits max_runs.

    Bisection points lie inside the bracket; its two ends are checked (the case's ranges are
    intervals, so the points between them pass too).
    """
    sw = study.sweep
    if sw["mode"] == "bisection":
        lo, hi = sw["bracket"]
        needed = 2 + groups * _rounds_needed(hi - lo, sw["tolerance"], groups)
        if needed > sw["max_runs"]:
            raise _err("[sweep] max_runs", sw["max_runs"], f"bisection of {sw['bracket']} to "
                       f"tolerance {sw['tolerance']:g} with {groups} concurrent run(s) needs "
                       f"{needed} runs; raise max_runs or the tolerance")
        values = [lo, hi]
    else:
        values = sw["values"] if sw["mode"] == "grid" else list(sw["variants"])
        if len(values) > sw["max_runs"]:
            raise _err("[sweep] max_runs", sw["max_runs"], f"the study has {len(values)} runs")
    specs = [run_spec(study, v) for v in values]
    ids = [s.id for s in specs]
    duplicate = next((s for s in specs if ids.count(s.id) > 1), None)
    if duplicate is not None:
        raise _err("[sweep] values", sw.get("values"), f"two values give the run id {duplicate.id!r}")
    for spec in specs:
        run_case(study, spec, outdir)


# --------------------------------------------------------------------------- deciding

@dataclass
class Record:
    """A finished (or reused) run as the study sees it."""

    spec: RunSpec
    summary: dict
    outdir: Path
    reused: bool
    round: int
    criterion_value: Any = None
    met: bool | None = None  # None: undecided (the run did not complete)

    @property
    def status(self) -> str:
        return self.summary.get("status", "failed")


def evaluate(criterion: dict, summary: dict) -> tuple[Any, bool]:
    """(the criterion key's value, whether the criterion holds); null never holds."""
    value = lookup(summary, criterion["key"])
    if value is None:
        return None, False
    try:
        return value, bool(OPS[criterion["op"]](value, criterion["value"]))
    except TypeError as err:
        raise KeyError(f"{criterion['key']} = {value!r} cannot be compared with "
                       f"{criterion['value']!r}") from err


class Strategy:
    """Chooses the runs: `first()` then `next(records)` until it returns nothing."""

    def __init__(self, study: Study, groups: int) -> None:
        self.study, self.groups = study, groups
        self.status, self.message = "running", ""
        self.bracket: list | None = None
        self.critical_value: float | None = None

    def first(self) -> list[Any]:
        raise NotImplementedError

    def next(self, records: list[Record]) -> list[Any]:
        raise NotImplementedError

    def stop(self, status: str, message: str) -> list[Any]:
        self.status, self.message = status, message
        return []


class Listed(Strategy):
    """Grid and variants: every run at once; for numeric grids, the bracket of the first change."""

    def first(self) -> list[Any]:
        sw = self.study.sweep
        return list(sw["values"]) if sw["mode"] == "grid" else list(sw["variants"])

    def next(self, records: list[Record]) -> list[Any]:
        undecided = [r for r in records if r.met is None]
        changes = outcome_changes([(r.spec.value, r.met) for r in records if _is_finite(r.spec.value)])
        self.bracket = list(changes[0]) if len(changes) == 1 else None
        if undecided:
            return self.stop("incomplete", f"run(s) {', '.join(r.spec.id for r in undecided)} did not "
                             f"complete{_continue_hint(undecided)}")
        if len(changes) > 1:
            return self.stop("complete", f"the criterion changes {len(changes)} times along "
                             f"{self.study.sweep['parameter']}: not monotone")
        return self.stop("complete", f"{len(records)} runs complete")


class Bisection(Strategy):
    """G interior points per round; keeps the sub-interval where the criterion changes."""

    def first(self) -> list[Any]:
        self.bracket = list(self.study.sweep["bracket"])
        return list(self.bracket)

    def next(self, records: list[Record]) -> list[Any]:
        sw = self.study.sweep
        seen = sorted((r for r in records if r.met is not None), key=lambda r: r.spec.value)
        changes = [(a, b) for a, b in zip(seen, seen[1:]) if a.met != b.met]
        failed = [r for r in records if r.met is None]
        if failed:  # keep what the decided runs say: a failed run in the last round must not cost the bracket
            r = failed[0]
            kept = ""
            if len(changes) == 1:
                a, b = self._keep(*changes[0])
                kept = f"; the decided runs bracket the critical value in [{a:.6g}, {b:.6g}]"
            return self.stop("failed", f"run {r.spec.id} ended {r.status}: "
                             f"{r.summary.get('reason', '')}; its criterion is undecided{kept}"
                             f"{_continue_hint(failed)}")
        lo, hi = sw["bracket"]
        if not changes:
            state = "true" if seen[0].met else "false"
            return self.stop("no_sign_change", f"the criterion {_criterion_text(sw['criterion'])} is "
                             f"{state} at both ends of the bracket [{lo:g}, {hi:g}] of "
                             f"{sw['parameter']}: nothing to bisect; widen or move the bracket")
        a, b = changes[0]
        self._keep(a, b)
        if len(changes) > 1:
            flips = ", ".join(f"{_label(x.spec.value)}: {'true' if x.met else 'false'}" for x in seen)
            return self.stop("non_monotone", f"the criterion is not monotone in {sw['parameter']} "
                             f"({flips}); bisection assumes one change inside the bracket")
        width = b.spec.value - a.spec.value
        if width <= sw["tolerance"] * (1 + 1e-9):
            return self.stop("complete", f"{sw['parameter']} critical value "
                             f"{self.critical_value:.6g} in [{a.spec.value:.6g}, {b.spec.value:.6g}]")
        if len(records) + self.groups > sw["max_runs"]:
            return self.stop("max_runs", f"max_runs = {sw['max_runs']} reached with the bracket "
                             f"[{a.spec.value:.6g}, {b.spec.value:.6g}] wider than the tolerance")
        step = width / (self.groups + 1)
        return [a.spec.value + k * step for k in range(1, self.groups + 1)]

    def _keep(self, a: Record, b: Record) -> tuple[float, float]:
        """Make the change between runs a and b the bracket, its midpoint the critical value."""
        self.bracket = [a.spec.value, b.spec.value]
        self.critical_value = 0.5 * (a.spec.value + b.spec.value)
        return a.spec.value, b.spec.value


def _continue_hint(undecided: list[Record]) -> str:
    """How to finish runs that stopped early with a checkpoint (a failed run would only fail again)."""
    if not any(r.status == "stopped" for r in undecided):
        return ""
    return ("; run the same sweep into the same directory again to continue stopped runs from their "
            "checkpoints (each continuation gets its own [time] max_wall_time, which --set may raise)")


def _criterion_text(criterion: dict) -> str:
    if criterion["op"] == "==" and criterion["value"] is True:
        return criterion["key"]
    return f"{criterion['key']} {criterion['op']} {format_value(criterion['value'])}"


# --------------------------------------------------------------------------- running

Runner = Callable[[dict, Any, Path], dict]  # (case, comm, outdir) -> summary (on the comm's rank 0)


def _run_case(case: dict, comm, outdir: Path) -> dict:
    """Run the case in outdir; a run of it stopped there early goes on from its checkpoint."""
    return run(case, comm, outdir, resume=resumable(case, outdir)).summary


def resumable(case: dict, outdir: Path) -> bool:
    """Whether outdir holds a checkpoint of this case (written on any number of ranks): a run
    stopped by `[time] max_wall_time`, a signal or a kill. File reads only, the same verdict on
    every rank."""
    try:
        checkpoint.inspect(outdir, case_sha256(case))
    except CaseError:
        return False
    return True


def reusable(case: dict, outdir: Path) -> dict | None:
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

    def __init__(self, comm, ranks_per_run: int, runner: Runner) -> None:
        self.comm, self.runner = comm, runner
        self.groups = comm.size // ranks_per_run
        self.group = comm.rank // ranks_per_run
        self.sub = comm.Split(self.group, comm.rank)

    def execute(self, jobs: list[tuple[dict, Path]]) -> list[dict]:
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


@dataclass
class SweepResult:
    status: str
    message: str
    summary: dict = field(default_factory=dict)  # on rank 0
    records: list[Record] = field(default_factory=list)  # on rank 0


def sweep(study: Study, comm, outdir: Path | str, ranks_per_run: int = 1,
          runner: Runner | None = None) -> SweepResult:
    """Run a validated study on `comm`; rank 0 writes the study files into outdir after each round."""
    wall0 = time.perf_counter()
    outdir = Path(outdir)
    if ranks_per_run < 1 or comm.size % ranks_per_run:
        raise CaseError(f"--ranks-per-run {ranks_per_run}: must be a divisor of the number of MPI "
                        f"ranks ({comm.size})")
    groups = comm.size // ranks_per_run
    validate(study, outdir, groups)
    executor = Executor(comm, ranks_per_run, runner or _run_case)
    strategy = (Bisection if study.sweep["mode"] == "bisection" else Listed)(study, groups)
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
            record.criterion_value, record.met = evaluate(study.sweep["criterion"], summary)
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


# --------------------------------------------------------------------------- outputs

SWEEP_COLUMNS = ["run", "value", "status", "criterion_value", "criterion", "fractured",
                 "crack_initiation_soc", "max_damage", "max_principal_stress", "steps", "cells",
                 "wall_time", "ranks", "reused", "round", "outdir"]


def _row(r: Record) -> dict:
    s = r.summary
    final, extremes = s.get("final", {}), s.get("extremes", {})
    return {"run": r.spec.id, "value": r.spec.value if not isinstance(r.spec.value, list)
            else format_value(r.spec.value), "status": r.status,
            "criterion_value": r.criterion_value, "criterion": r.met, "fractured": s.get("fractured"),
            "crack_initiation_soc": s.get("crack_initiation_soc"), "max_damage": final.get("max_damage"),
            "max_principal_stress": extremes.get("max_principal_stress"), "steps": s.get("steps"),
            "cells": s.get("cells"), "wall_time": s.get("wall_time"), "ranks": s.get("ranks"),
            "reused": r.reused, "round": r.round, "outdir": str(r.outdir)}


def _study_toml(study: Study) -> str:
    """The resolved study: [sweep] with every default, then the base case as given (--set applied).

    The base stays raw so that derived values keep following the parameter when it is re-run.
    """
    sweep = {k: v for k, v in study.sweep.items() if k != "base"}
    base = {k: v for k, v in study.base_raw.items()}
    base["case"] = {**base.get("case", {}), "name": study.base_name}
    return (f"# sifrac study {study.name!r}, resolved: `sifrac sweep` on this file repeats it\n\n"
            + tomli_w.dumps({"sweep": sweep, **base}))


def target_met(sweep: dict, critical: float | None, bracket: list | None = None) -> bool | None:
    """Whether the critical value lies in the study's published target (None: no target or no
    critical value). A study that stopped before its tolerance (failed, max_runs) passes its
    bracket, which is all it knows: True only if the bracket lies inside the target, False if it
    lies outside, None if it straddles an edge (a wide bracket's midpoint proves nothing)."""
    target = sweep.get("target")
    if target is None or critical is None:
        return None
    if bracket is not None:
        lo, hi = sorted(bracket)
        if target[0] <= lo and hi <= target[1]:
            return True
        return False if hi < target[0] or lo > target[1] else None
    return bool(target[0] <= critical <= target[1])


def write_outputs(study: Study, outdir: Path, records: list[Record], strategy: Strategy,
                  groups: int, ranks_per_run: int, wall: float, final: bool) -> None:
    """sweep.csv, summary.json and study.toml (each atomically); the figures at the end."""
    outdir.mkdir(parents=True, exist_ok=True)
    sw = study.sweep
    write_atomic(outdir / "study.toml", _study_toml(study))
    write_atomic(outdir / "parameters.csv", csv_text(materials.PROVENANCE_COLUMNS, study.parameters))
    write_atomic(outdir / "sweep.csv", csv_text(SWEEP_COLUMNS, [_row(r) for r in records]))
    summary = {
        "study": study.name, "status": strategy.status if final else "running",
        "message": strategy.message, "mode": sw["mode"], "parameter": sw.get("parameter"),
        "criterion": sw["criterion"], "critical_value": strategy.critical_value,
        "bracket": strategy.bracket, "initial_bracket": sw.get("bracket"),
        "tolerance": sw.get("tolerance"),
        "assumption": "the criterion is monotone in the parameter" if sw["mode"] == "bisection" else None,
        "target": sw.get("target"), "target_source": sw.get("target_source"),
        "target_met": target_met(sw, strategy.critical_value,
                                 None if strategy.status == "complete" else strategy.bracket),
        "runs": len(records), "runs_reused": sum(r.reused for r in records),
        "rounds": 1 + max((r.round for r in records), default=0),
        "groups": groups, "ranks_per_run": ranks_per_run, "wall_time": wall,
        "base_case": study.base_name, "study_file": str(study.source),
        "parameters": {"file": "parameters.csv",
                       "changed_from_library": [f"{r['section']}.{r['key']}" for r in study.parameters
                                                if r["origin"] == "case"],
                       "outside_published_range": materials.outside_published(study.parameters)},
        "runs_table": [{"run": r.spec.id, "value": r.spec.value, "status": r.status,
                        "criterion": r.met} for r in records],
        "versions": versions(), "git_commit": git_commit(),
    }
    write_atomic(outdir / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    if final and records:
        _figures(study, outdir, records, strategy)


def _figures(study: Study, outdir: Path, records: list[Record], strategy: Strategy) -> None:
    from postprocess.plots import overlay_plot, read_history, sweep_plot, trend_plot

    sw = study.sweep
    label = sw.get("parameter") or "variant"
    sweep_plot([_row(r) for r in records], label, _criterion_text(sw["criterion"]),
               outdir / "criterion.png", strategy.bracket, strategy.critical_value,
               title=f"{study.name}: {strategy.status}", target=sw.get("target"))
    histories = {}
    for r in sorted(records, key=lambda r: (not _is_finite(r.spec.value), r.spec.value
                                             if _is_finite(r.spec.value) else str(r.spec.value))):
        path = r.outdir / "history.csv"
        if path.is_file():
            histories[_label(r.spec.value) if sw["mode"] != "variants" else r.spec.id] = read_history(path)
    for column in sw.get("compare", []):
        curves = {name: (h[sw["compare_x"]], h[column]) for name, h in histories.items()
                  if column in h and sw["compare_x"] in h}
        if not curves:
            _log.warning("compare: no run has history columns %s and %s", sw["compare_x"], column)
            continue
        overlay_plot(curves, sw["compare_x"], column, outdir / f"compare_{column}.png",
                     title=f"{study.name}: {column} ({label})")
    if sw.get("trend_x") and sw.get("trend_y"):
        trend_plot(_trend_points(study, outdir, records), sw["trend_x"], sw["trend_y"],
                   outdir / "trend.png", title=f"{study.name}: against {sw['trend_x']}")
    if sw.get("pictures"):
        _pictures(sw["pictures"], outdir, records)


def _trend_points(study: Study, outdir: Path, records: list[Record]) -> dict[str, tuple[Any, dict]]:
    """run -> (its resolved case's trend_x value or None, {trend_y key: summary value or None})."""
    section, key = study.sweep["trend_x"].split(".", 1)
    points = {}
    for r in records:
        x = run_case(study, r.spec, outdir).get(section, {}).get(key)
        ys = {}
        for k in study.sweep["trend_y"]:
            try:
                ys[k] = lookup(r.summary, k)
            except KeyError:
                ys[k] = None
        points[r.spec.id] = (x if _is_finite(x) else None, ys)
    return points


def _pictures(fields: list[str], outdir: Path, records: list[Record]) -> None:
    """pictures/<run>_<field>.png from each run's final state (the damaged region at the end)."""
    import pyvista

    from postprocess.pictures import field_picture

    (outdir / "pictures").mkdir(exist_ok=True)
    for r in records:
        vtu = r.outdir / "final_state.vtu"
        if not vtu.is_file():
            _log.warning("pictures: run %s has no final_state.vtu (is [output] fields = false?)", r.spec.id)
            continue
        grid = pyvista.read(vtu)
        for name in fields:
            if name not in grid.point_data:
                _log.warning("pictures: run %s has no field %r; it has %s", r.spec.id, name,
                             ", ".join(grid.point_data.keys()))
                continue
            soc = r.summary.get("soc")
            field_picture(grid, name, outdir / "pictures" / f"{r.spec.id}_{name}.png",
                          title=f"{r.spec.id}: {name} at the end" + (f" (SOC {soc:.2f})" if soc is not None else ""))


# --------------------------------------------------------------------------- the CLI verb

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
            lo, hi = study.sweep["target"]
            _log.warning("sweep %s: the critical value %.6g lies outside the target [%g, %g] (%s): the "
                         "model misses it", study.name, result.summary["critical_value"], lo, hi,
                         study.sweep["target_source"] or "no source given")
    else:
        _log.error("sweep %s: %s: %s; results in %s", study.name, result.status, result.message, outdir)
    return EXIT_BY_STATUS.get(result.status, EXIT_NO_RESULT)
