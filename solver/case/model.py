"""The case: `Case`, the typed model of a whole case file, and how files become one: reading TOML,
`--set` overrides, resolution (validation, defaults, derived values, materials), the resolved
file written next to the results and its hash.

Sections resolve in the order of `Case`'s fields, each seeing the ones before it (its auto
values and cross-section checks may read them); the first mistake found ends resolution with one
`[section] key = value: what is allowed` line (a CaseError).
"""

from __future__ import annotations

import copy
import hashlib
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sifrac.solver.case.adapter import case_error
from sifrac.solver.case.errors import CaseError, format_value, value_error
from sifrac.solver.case.fracture import Fracture
from sifrac.solver.case.geometry import ROUND_KINDS, AnyGeometry
from sifrac.solver.case.keys import AUTO, Earlier, Section, key, tidy
from sifrac.solver.case.loading import AnyLoading, Mechanics
from sifrac.solver.case.material_sections import Active, Collector, Electrolyte
from sifrac.solver.case.numerics import Solver, Time
from sifrac.solver.case.types import ProbePoints, Vector
from sifrac.solver.materials import Range


class CaseInfo(Section):
    """Identification of the case."""

    name: str = key(AUTO, "case name, used in the output directory and logs")
    description: str = key("", "free text")

    def auto_name(self, earlier: Earlier) -> str:
        """the case file's stem"""
        return earlier.file_stem


#: Points along the sampled radius when `[output] energy_release_points` is unset.
ENERGY_RELEASE_POINTS = 201


class Output(Section):
    """What is written and where."""

    dir: str = key(AUTO, "output directory")
    every: int = key(1, "write fields every N steps", range=Range(1))
    fields: bool = key(True, "write field files")
    probes: ProbePoints = key([], "points where fields are sampled each step ([x, y] in 2D, [x, y, z] in 3D); "
                              "stored as [x, y, z]", unit="nm")
    checkpoint_every: int = key(0, "write a restart checkpoint every N steps (0: only when the run is stopped "
                                "early, e.g. by SIGTERM); see `--resume`", range=Range(0))
    snapshot_every: int = key(0, "write a gathered VTU snapshot (state_step_N.vtu) every N steps for `sifrac "
                              "report --steps` (0: only the initiation, peak and final states)", range=Range(0))
    energy_release: Literal["auto", "off"] | None = key(
        None, "energy-release-rate criterion at every recorded step (docs/notes/criteria.md): the crack-plane normal "
        "stress along a radius from the outer surface, the weight-function G(a) of a surface crack of every depth a "
        "(disc: 2D plane-strain and generalized sections and nanowires; ring, the half-plane limit: axisymmetric "
        "and 3D particles; strip across the wall: hollow spheres) with E, nu and Gc(c) at the crack tip; "
        "history.csv gains max_energy_release_rate, energy_release_depth, max_energy_release_ratio (G / Gc) and, "
        "with a surface_flaw, flaw_energy_release_rate and _ratio (at the flaw's depth), summary.json the block "
        "energy_release. Unset or auto: on for particles, nanowires and hollow spheres; off: none (films, plates "
        "and file meshes never have it)")
    energy_release_direction: Vector | None = key(
        None, "the radius sampled for energy_release, from the body's centre, the crack plane containing it and z. "
        "Unset: the surface flaw's line [0, 1] (+y, the flaw plane x = 0), or, when the case has a damage field "
        "and a surface_flaw, the radius [1, 0] away from the flaw: on the flaw's own line the stress is the "
        "cracked body's (zero across the flaw), so G there is the release rate of extending the present crack "
        "(exact beyond its band, by superposition), not the uncracked body's", unit="-")
    energy_release_points: int | None = key(
        None, "points sampled along the radius (energy_release and criterion = geometry); unset: "
        f"{ENERGY_RELEASE_POINTS} (401 moves the c-Si particle's G_max by 0.14% and costs 3.5 times as much)",
        range=Range(11))

    def auto_dir(self, earlier: Earlier) -> str:
        """results/<case name>"""
        return f"results/{earlier.case.name}"

    def check(self, earlier: Earlier) -> None:
        """Probe points fit the dimension, and are stored as [x, y, z]: a 3D case needs all three
        coordinates (a point [x, y] there is refused, not taken as z = 0). The energy-release radius
        is a nonzero direction of the case's dimension, on a round body."""
        dim = earlier.geometry.dim
        for i, p in enumerate(self.probes):
            if dim == 3 and len(p) != 3:
                raise value_error(f"[output] probes[{i}]", p, "a 3D case (dim = 3) needs points [x, y, z]")
            if dim == 2 and len(p) == 3 and p[2] != 0.0:
                raise value_error(f"[output] probes[{i}]", p,
                                  "the third coordinate must be 0 or absent in a 2D case (dim = 2)")
        self.probes = [[*p, 0.0][:3] for p in self.probes]
        direction = self.energy_release_direction
        if direction is not None:
            where = "[output] energy_release_direction"
            if earlier.geometry.kind not in ROUND_KINDS:
                raise value_error(where, direction, "samples a radius of a round body; allowed with geometry.kind "
                                  "= particle, nanowire, hollow_sphere")
            if not any(direction):
                raise value_error(where, direction, "must not be zero")
            if dim == 2 and direction[2] != 0.0:
                raise value_error(where, direction, "a 2D case needs [x, y] (or z = 0)")


class Case(BaseModel):
    """A resolved case: every section, every default and derived value, materials expanded."""

    model_config = ConfigDict(strict=True, extra="forbid")

    case: CaseInfo
    geometry: AnyGeometry
    active: Active
    electrolyte: Electrolyte
    collector: Collector
    loading: AnyLoading
    mechanics: Mechanics
    time: Time
    solver: Solver
    fracture: Fracture
    output: Output

    @model_validator(mode="before")
    @classmethod
    def _known_sections(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise CaseError(f"case = {format_value(raw)}: expected a table of sections")
        for section in raw:
            if section == "sweep":  # a study file given to `sifrac run`
                raise CaseError("[sweep]: this is a study file (a case plus a [sweep] section); run it with "
                                "`sifrac sweep FILE`, or its base case with `sifrac run`")
            if section not in cls.model_fields:
                raise CaseError(f"[{section}]: unknown section; allowed sections: "
                                f"{', '.join(sorted(cls.model_fields))}")
        return {name: raw.get(name, {}) for name in cls.model_fields}

    @field_validator("*", mode="wrap")
    @classmethod
    def _in_order(cls, given: Any, handler: Any, info: ValidationInfo) -> Any:
        """Each section sees the ones before it; after a mistake the later ones are skipped."""
        names = list(cls.model_fields)
        if any(name not in info.data for name in names[:names.index(info.field_name)]):
            raise PydanticCustomError("skipped", "an earlier section is invalid")
        info.context["earlier"] = Earlier(**info.data, file_stem=info.context["file_stem"])
        return handler(given)

    def to_dict(self) -> dict[str, dict]:
        """The resolved case as nested dicts (TOML- and JSON-serialisable, no None values)."""
        return {name: getattr(self, name).to_dict() for name in type(self).model_fields}

    def section(self, name: str) -> Section:
        return getattr(self, name)


def energy_release_applies(case: Case) -> bool:
    """Whether the run measures the energy-release rate (`[output] energy_release`): round bodies."""
    return case.output.energy_release in (None, "auto") and case.geometry.kind in ROUND_KINDS


def resolution_warnings(case: Case) -> list[str]:
    """Element sizes that do not resolve the phase-field length ell where cracks start (the
    surfaces, and the flaw's ball): h > ell / 2 makes the crack band and the strength depend on
    the mesh; and a mesh coarser than a fifth of the reaction front's width. Warnings, not errors:
    a coarse exploratory run is legitimate."""
    geo, frac, act = case.geometry, case.fracture, case.active
    out = []
    if act.reaction_front and geo.mesh_size > act.front_width / 5:
        out.append(f"[geometry] mesh_size = {format_value(geo.mesh_size)} nm > front_width / 5 = "
                   f"{format_value(tidy(act.front_width / 5))} nm: the reaction front crosses the body, and it lags "
                   "its rate law by more than 1% on coarser meshes")
    if frac.model == "none" or geo.kind == "file":
        return out
    sizes = {"mesh_size_surface": geo.mesh_size_surface}
    if geo.top_refine_radius is not None:
        sizes["mesh_size_top"] = geo.mesh_size_surface if geo.mesh_size_top is None else geo.mesh_size_top
    ell = frac.length_scale
    return out + [f"[geometry] {key} = {format_value(h)} nm > ell / 2 = {format_value(tidy(ell / 2))} nm ([fracture] "
            f"length_scale = {format_value(ell)} nm): the crack band is not resolved there, so damage and strength "
            "depend on the mesh" for key, h in sizes.items() if h > ell / 2]


def resolve_case(raw: dict, name: str) -> Case:
    """Validate a raw case (nested dicts, as read from TOML), fill defaults and derived values,
    expand materials. `name` is the default case name (the file stem). Resolving
    `case.to_dict()` again gives the same case."""
    try:
        return Case.model_validate(raw, context={"file_stem": name})
    except ValidationError as exc:
        raise case_error(exc, Case) from None


def resolve_section(name: str, model: Any, given: Any, file_stem: str = "") -> Section:
    """Validate and fill one stand-alone section (not part of a case), e.g. a study's `[sweep]`;
    `model` is its model or discriminated union."""
    try:
        return TypeAdapter(model).validate_python(given, context={"earlier": Earlier(file_stem=file_stem)})
    except ValidationError as exc:
        raise case_error(exc, model, section=name) from None


# --------------------------------------------------------------------------- files and --set

def _parse_value(text: str) -> Any:
    """A TOML value, or the raw text when it is not one (so `material=a-Si` needs no quotes)."""
    try:
        parsed = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if parsed.keys() == {"v"} else text


def parse_overrides(items: Iterable[str]) -> list[tuple[tuple[str, ...], Any]]:
    """`section.key=value` items (the CLI's --set) as (key path, parsed value) pairs."""
    overrides = []
    for item in items:
        name, sep, text = item.partition("=")
        path = tuple(part.strip() for part in name.split("."))
        if not sep or len(path) < 2 or not all(path):
            raise CaseError(f"--set {item}: expected section.key=value, e.g. "
                            "geometry.diameter=200 or solver.petsc_options.ksp_type=cg")
        overrides.append((path, _parse_value(text.strip())))
    return overrides


def apply_overrides(raw: dict, overrides: list[tuple[tuple[str, ...], Any]]) -> dict:
    """A copy of a raw (unresolved) case with parsed `--set` overrides applied."""
    raw = copy.deepcopy(raw)
    for path, value in overrides:
        node = raw
        for depth, part in enumerate(path[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                prefix = ".".join(path[:depth + 1])
                raise CaseError(f"--set {'.'.join(path)}: {prefix} = {format_value(node)} is not a table")
        node[path[-1]] = value
    return raw


def read_toml(path: str | os.PathLike, what: str = "case file") -> dict:
    """A TOML file as a dict; unreadable or invalid files are a CaseError naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise CaseError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: invalid TOML: {exc}") from exc


def load_case(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Case:
    """Read a TOML case file, apply `--set` overrides and resolve it (name: the file stem)."""
    return resolve_case(apply_overrides(read_toml(path), parse_overrides(overrides)), Path(path).stem)


def _dump(tables: dict) -> str:
    return (f"# sifrac case {tables['case']['name']!r}, resolved: every default and material "
            "parameter written out\n\n" + tomli_w.dumps(tables))


def dump_case(case: Case) -> str:
    """TOML text of a resolved case; load_case on it gives the same case back."""
    return _dump(case.to_dict())


def case_sha256(case: Case) -> str:
    """SHA-256 of the resolved case without its output directory and wall-time limit (summary.json
    `case_sha256`): what the run computes, so a run resumed via `--resume DIR` still matches, with a
    larger `[time] max_wall_time` if need be, and sweeps reuse it."""
    tables = case.to_dict()
    tables["output"].pop("dir")
    tables["time"].pop("max_wall_time", None)
    return hashlib.sha256(_dump(tables).encode()).hexdigest()
