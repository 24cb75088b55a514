"""The `[sweep]` section of a study file: its keys, their types and checks, and the generated
reference (docs/sweep-reference.md). Built on the case schema engine (solver/case.py) so that a
study file's mistakes read like a case file's: one `[sweep] key = value: what is allowed` line."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from solver.case import SCHEMA, Auto, KeySpec, KeyType, Section, section_markdown
from solver.materials import POSITIVE, Range
from solver.schema_util import OPS, CaseError, is_finite, value_error

MODES = ("bisection", "grid", "variants")
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


def _as_bracket(where: str, value: Any, spec: KeySpec) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2 and all(is_finite(v) for v in value)):
        raise value_error(where, value, "expected [lo, hi], two finite numbers")
    if not value[0] < value[1]:
        raise value_error(where, value, "expected lo < hi")
    return [float(v) for v in value]


def _as_values(where: str, value: Any, spec: KeySpec) -> list:
    if not (isinstance(value, list) and value):
        raise value_error(where, value, "expected a non-empty list of values")
    for i, v in enumerate(value):
        if isinstance(v, dict) or (isinstance(v, float) and not math.isfinite(v)):
            raise value_error(f"{where}[{i}]", v, "expected a finite number, string, boolean or list")
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
        raise value_error(where, value, "expected tables [sweep.variants.NAME] of \"section.key\" = value")
    out = {}
    for name, table in value.items():
        if not _NAME.match(name):
            raise CaseError(f"{where}.{name}: a variant name may contain letters, digits and _ . + - only")
        if not (isinstance(table, dict) and table):
            raise value_error(f"{where}.{name}", table, "expected a table of \"section.key\" = value overrides")
        items = _flatten(table)
        for path, _ in items:
            if len(path) < 2 or not all(path):
                raise CaseError(f"{where}.{name}: key {'.'.join(path)!r} is not section.key")
        out[name] = {".".join(path): v for path, v in items}
    return out


#: Named criteria that are not boolean summary keys: the energy-release criterion G_max >= Gc
#: (max over crack depth and lithiation of G / Gc at the tip, solver/criteria.py).
NAMED_CRITERIA = {"energy_release": {"key": "energy_release.G_max_over_Gc", "op": ">=", "value": 1.0}}


def _as_criterion(where: str, value: Any, spec: KeySpec) -> dict[str, Any]:
    """A boolean summary key, a named criterion, or {key, op, value}; stored as the table
    (`fractured == true`)."""
    if isinstance(value, str):
        return dict(NAMED_CRITERIA.get(value, {"key": value, "op": "==", "value": True}))
    if not isinstance(value, dict):
        raise value_error(where, value, "expected a summary key (e.g. \"fractured\") or a table "
                          "{key = \"...\", op = \">=\", value = ...}")
    unknown = sorted(set(value) - {"key", "op", "value"})
    if unknown:
        raise CaseError(f"{where}.{unknown[0]}: unknown key; allowed keys: key, op, value")
    if not isinstance(value.get("key"), str):
        raise value_error(f"{where}.key", value.get("key"), "expected a summary key (string), e.g. "
                          "\"crack_initiation_soc\" or \"final.max_damage\"")
    if value.get("op") not in OPS:
        raise value_error(f"{where}.op", value.get("op"), "expected one of " + ", ".join(map(json.dumps, OPS)))
    if "value" not in value or isinstance(value["value"], dict | list):
        raise value_error(f"{where}.value", value.get("value"), "expected a number, string or boolean")
    return {"key": value["key"], "op": value["op"], "value": value["value"]}


_TYPES = {
    "bracket": KeyType("[lo, hi]", _as_bracket),
    "values": KeyType("list of values", _as_values),
    "variants": KeyType("tables NAME -> {\"section.key\" = value}", _as_variants),
    "criterion": KeyType("summary key or {key, op, value}", _as_criterion),
}
_BISECTION, _GRID, _VARIANTS = ((("mode", (m,)),) for m in MODES)


def other_mode_keys(table: dict, mode: Any) -> list[str]:
    """The keys of `table` that only another mode uses (their `when` names the modes)."""
    return [key for key, spec in STUDY.keys.items()
            if key in table and spec.when and mode not in spec.when[0][1]]


def _check_study(sweep: dict) -> None:
    """Keys of another mode are mistakes here (unlike a case's keys of another geometry kind)."""
    for key in other_mode_keys(sweep, sweep["mode"]):
        modes = " or ".join(json.dumps(m) for m in STUDY.keys[key].when[0][1])
        raise value_error(f"[sweep] {key}", sweep[key], f"is used by mode = {modes} only; this study "
                          f"has mode = {json.dumps(sweep['mode'])}")
    if "parameter" in sweep:
        spec = _parameter_spec(sweep["parameter"])
        if sweep["mode"] == "bisection" and spec.type != "float":
            raise value_error("[sweep] parameter", sweep["parameter"], "bisection needs a real-valued "
                              "(float) case key; use mode = \"grid\" for other keys")
    if "trend_x" in sweep:
        _parameter_spec(sweep["trend_x"], "[sweep] trend_x")


def _parameter_spec(parameter: str, where: str = "[sweep] parameter") -> KeySpec:
    """The SCHEMA entry of a dotted case key, or a CaseError naming the study key (`where`)."""
    path = parameter.split(".")
    section = SCHEMA.get(path[0])
    if len(path) < 2 or section is None:
        raise value_error(where, parameter, "expected section.key with section one of "
                          + ", ".join(SCHEMA))
    if path[1] not in section.keys:
        raise value_error(where, parameter, f"[{path[0]}] has no key {path[1]!r}; allowed "
                          "keys: " + ", ".join(section.keys))
    return section.keys[path[1]]


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
                         "summary.json (\"fractured\"); \"energy_release\": the run's maximum over "
                         "crack depth and lithiation of G / Gc reaches 1 (energy_release.G_max_over_Gc "
                         ">= 1, [output] energy_release); or {key, op, value} with op one of "
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
}, checks=(_check_study,), types=_TYPES)


def reference_markdown() -> str:
    """The `[sweep]` reference, generated from STUDY (docs/sweep-reference.md)."""
    return "\n".join(["# Study-file reference (`sifrac sweep`)", "",
                      "A study file is a case file (docs/case-reference.md) plus this section; see "
                      "the user guide (docs/user-guide.md), Studies.", "", *section_markdown("sweep", STUDY)])
