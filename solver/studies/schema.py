"""The `[sweep]` section of a study file: one model per study mode (a discriminated union on
`mode`, on the case's machinery, solver/case/keys.py), its value types and checks, and the
generated reference (docs/sweep-reference.md). A study file's mistakes read like a case file's:
one `[sweep] key = value: what is allowed` line."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, PlainValidator, Tag

from sifrac.solver.case import Case
from sifrac.solver.case.errors import NO_VALUE, OPS, KeyProblem, is_finite, value_error
from sifrac.solver.case.introspect import SectionSchema, schemas, section_schema
from sifrac.solver.case.keys import AUTO, Earlier, Label, Section, key, owned, type_of
from sifrac.solver.case.model import resolve_section
from sifrac.solver.case.reference import section_markdown
from sifrac.solver.case.types import StrList
from sifrac.solver.materials import POSITIVE, Range

MODES = ("bisection", "grid", "variants")
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


def _bracket(value: Any) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2 and all(is_finite(v) for v in value)):
        raise KeyProblem(value, "expected [lo, hi], two finite numbers")
    if not value[0] < value[1]:
        raise KeyProblem(value, "expected lo < hi")
    return [float(v) for v in value]


def _values(value: Any) -> list:
    if not (isinstance(value, list) and value):
        raise KeyProblem(value, "expected a non-empty list of values")
    for i, v in enumerate(value):
        if isinstance(v, dict) or (isinstance(v, float) and not math.isfinite(v)):
            raise KeyProblem(v, "expected a finite number, string, boolean or list", suffix=f"[{i}]")
    return list(value)


def _flatten(table: dict, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Nested or dotted-string keys alike as key paths: `a.b = 1` and `"a.b" = 1` mean the same."""
    out = []
    for name, value in table.items():
        path = prefix + tuple(part.strip() for part in name.split("."))
        out += _flatten(value, path) if isinstance(value, dict) else [(path, value)]
    return out


def _variants(value: Any) -> dict[str, dict[str, Any]]:
    """NAME -> {"section.key" = value}; names become run directories, so they stay plain."""
    if not (isinstance(value, dict) and value):
        raise KeyProblem(value, "expected tables [sweep.variants.NAME] of \"section.key\" = value")
    out = {}
    for name, table in value.items():
        if not _NAME.match(name):
            raise KeyProblem(NO_VALUE, "a variant name may contain letters, digits and _ . + - only", suffix=f".{name}")
        if not (isinstance(table, dict) and table):
            raise KeyProblem(table, "expected a table of \"section.key\" = value overrides", suffix=f".{name}")
        items = _flatten(table)
        for path, _ in items:
            if len(path) < 2 or not all(path):
                raise KeyProblem(NO_VALUE, f"key {'.'.join(path)!r} is not section.key", suffix=f".{name}")
        out[name] = {".".join(path): v for path, v in items}
    return out


#: Named criteria that are not boolean summary keys: the energy-release criterion G_max >= Gc
#: (max over crack depth and lithiation of G / Gc at the tip, solver/criteria.py).
NAMED_CRITERIA = {"energy_release": {"key": "energy_release.G_max_over_Gc", "op": ">=", "value": 1.0}}


def _criterion(value: Any) -> dict[str, Any]:
    """A boolean summary key, a named criterion, or {key, op, value}; stored as the table
    (`fractured == true`)."""
    if isinstance(value, str):
        return dict(NAMED_CRITERIA.get(value, {"key": value, "op": "==", "value": True}))
    if not isinstance(value, dict):
        raise KeyProblem(value, "expected a summary key (e.g. \"fractured\") or a table "
                         "{key = \"...\", op = \">=\", value = ...}")
    unknown = sorted(set(value) - {"key", "op", "value"})
    if unknown:
        raise KeyProblem(NO_VALUE, "unknown key; allowed keys: key, op, value", suffix=f".{unknown[0]}")
    if not isinstance(value.get("key"), str):
        raise KeyProblem(value.get("key"), "expected a summary key (string), e.g. \"crack_initiation_soc\" or "
                         "\"final.max_damage\"", suffix=".key")
    if value.get("op") not in OPS:
        raise KeyProblem(value.get("op"), "expected one of " + ", ".join(map(json.dumps, OPS)), suffix=".op")
    if "value" not in value or isinstance(value["value"], dict | list):
        raise KeyProblem(value.get("value"), "expected a number, string or boolean", suffix=".value")
    return {"key": value["key"], "op": value["op"], "value": value["value"]}


Bracket = Annotated[list[float], Label("bracket", "[lo, hi]"), PlainValidator(_bracket)]
Values = Annotated[list, Label("values", "list of values"), PlainValidator(_values)]
Variants = Annotated[dict[str, dict[str, Any]], Label("variants", "tables NAME -> {\"section.key\" = value}"),
                     PlainValidator(_variants)]
Criterion = Annotated[dict[str, Any], Label("criterion", "summary key or {key, op, value}"), PlainValidator(_criterion)]


class Sweep(Section):
    """A threshold study (`sifrac sweep`): the varied parameter, how values are chosen and the criterion that
    decides each run. The base case is `base` and/or the study file's other sections; `--set sweep.KEY=VALUE`
    overrides these keys."""

    name: str = key(AUTO, "study name: default output directory results/<name>")
    description: str = key("", "free text")
    base: str | None = key(None, "base case file, relative to the study file; the study file's other sections "
                           "override its keys. Unset: the study file's sections are the case")
    mode: Literal["bisection", "grid", "variants"] = key(
        "bisection", "bisection: find where the criterion changes inside `bracket`; grid: run every one of "
        "`values`; variants: run each named set of overrides")
    parameter: str | None = key(None, "the varied case key, section.key (e.g. \"geometry.diameter\")")
    bracket: Bracket | None = key(None, "[lo, hi] of the parameter; the criterion must differ at the two ends")
    tolerance: float | None = key(None, "stop when the bracket is this narrow (absolute, in the parameter's unit)",
                                  range=POSITIVE)
    target: Bracket | None = key(None, "published [lo, hi] of the critical value (validation): the summary says "
                                 "whether the critical value lies in it (`target_met`; for a study stopped early, "
                                 "whether its whole bracket does) and the log warns when it does not; unset: no "
                                 "target. A study variant with another geometry or material needs its own target")
    target_source: str | None = key(None, "where the target comes from (paper, figure)")
    values: Values | None = key(None, "the parameter values to run")
    variants: Variants | None = key(None, "[sweep.variants.NAME] tables of \"section.key\" = value overrides, one "
                                    "run each (run directory NAME)")
    criterion: Criterion = key({"key": "fractured", "op": "==", "value": True},
                               "what counts as the effect: a boolean key of the run's summary.json "
                               "(\"fractured\"); \"energy_release\": the run's maximum over crack depth and "
                               "lithiation of G / Gc reaches 1 (energy_release.G_max_over_Gc >= 1, [output] "
                               "energy_release); or {key, op, value} with op one of " + " ".join(OPS) + "; key: a "
                               "summary key or one of its final/extremes entries (\"final.max_damage\"); a "
                               "missing value (null) counts as false")
    compare: StrList | None = key(None, "history.csv columns overlaid for all runs, one figure each "
                                  "(compare_<column>.png); unset: none")
    compare_x: str = key("soc", "history.csv column on the x axis of the compare figures")
    pictures: StrList | None = key(None, "fields drawn from every run's final_state.vtu (e.g. \"damage\"), one "
                                   "picture each (pictures/<run>_<field>.png); needs [output] fields = true")
    trend_x: str | None = key(None, "resolved case key (section.key, e.g. \"electrolyte.E\") on the x axis of "
                              "trend.png; a run without it (a liquid electrolyte has no E) is drawn as a "
                              "horizontal reference line")
    trend_y: StrList | None = key(None, "run summary values plotted against trend_x in trend.png, one panel each "
                                  "(keys as for criterion: \"crack_initiation_soc\", \"final.cod_normalized\")")
    max_runs: int = key(50, "most runs a study may take (bisection: checked against the rounds the tolerance needs "
                        "before the first run)", range=Range(1))

    def auto_name(self, earlier: Earlier) -> str:
        """the study file's stem"""
        return earlier.file_stem

    def check(self, earlier: Earlier) -> None:
        """Keys of another mode are mistakes here (unlike a case's keys of another geometry kind)."""
        for name in other_mode_keys(self.to_dict(), self.mode):
            modes = " or ".join(json.dumps(m) for m in _owning_modes(name))
            raise value_error(f"[sweep] {name}", getattr(self, name), f"is used by mode = {modes} only; this "
                              f"study has mode = {json.dumps(self.mode)}")
        if self.parameter is not None:
            field = _case_key(self.parameter)
            if self.mode == "bisection" and type_of(field) != "float":
                raise value_error("[sweep] parameter", self.parameter, "bisection needs a real-valued (float) case "
                                  "key; use mode = \"grid\" for other keys")
        if self.trend_x is not None:
            _case_key(self.trend_x, "[sweep] trend_x")


class Bisection(Sweep):
    mode: Literal["bisection"] = owned(Sweep, "mode", "bisection")
    parameter: str = owned(Sweep, "parameter", ...)
    bracket: Bracket = owned(Sweep, "bracket", ...)
    tolerance: float = owned(Sweep, "tolerance", ...)
    target: Bracket | None = owned(Sweep, "target", None)
    target_source: str = owned(Sweep, "target_source", "")


class Grid(Sweep):
    mode: Literal["grid"] = owned(Sweep, "mode", "grid")
    parameter: str = owned(Sweep, "parameter", ...)
    values: Values = owned(Sweep, "values", ...)


class VariantsStudy(Sweep):
    mode: Literal["variants"] = owned(Sweep, "mode", "variants")
    variants: Variants = owned(Sweep, "variants", ...)


def _mode(given: Any) -> str | None:
    mode = given.get("mode", "bisection") if isinstance(given, dict) else getattr(given, "mode", None)
    return mode if mode in MODES else None


AnySweep = Annotated[Annotated[Bisection, Tag("bisection")] | Annotated[Grid, Tag("grid")]
                     | Annotated[VariantsStudy, Tag("variants")], Discriminator(_mode)]
STUDY: SectionSchema = section_schema("sweep", AnySweep)


def _owning_modes(name: str) -> list[str]:
    return [mode for mode, member in STUDY.members.items() if member in STUDY.owners(name)]


def other_mode_keys(table: dict, mode: Any) -> list[str]:
    """The keys of `table` that only another mode uses."""
    return [name for name in table if name in STUDY.keys() and STUDY.owners(name) and mode not in _owning_modes(name)]


def _case_key(parameter: str, where: str = "[sweep] parameter") -> Any:
    """The field of a dotted case key, or a CaseError naming the study key (`where`)."""
    path = parameter.split(".")
    sections = schemas(Case)
    if len(path) < 2 or path[0] not in sections:
        raise value_error(where, parameter, "expected section.key with section one of " + ", ".join(sections))
    keys = sections[path[0]].keys()
    if path[1] not in keys:
        raise value_error(where, parameter, f"[{path[0]}] has no key {path[1]!r}; allowed keys: " + ", ".join(keys))
    return keys[path[1]]


def resolve_sweep(given: Any, file_stem: str) -> Sweep:
    """The validated `[sweep]` section of a study file (its name defaults to the file's stem)."""
    return resolve_section("sweep", AnySweep, given, file_stem)


def reference_markdown() -> str:
    """The `[sweep]` reference, generated from the study models (docs/sweep-reference.md)."""
    return "\n".join(["# Study-file reference (`sifrac sweep`)", "",
                      "A study file is a case file (docs/case-reference.md) plus this section; see "
                      "the user guide (docs/user-guide.md), Studies.", "", *section_markdown(STUDY)])
