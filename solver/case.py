"""Case files: the TOML schema, `--set` overrides, validation and resolution to a full case.

A case is validated completely before any collective (MPI, PETSc, DOLFINx) call, so every rank
reaches the same verdict and a user mistake costs one clear message instead of a hung job; for
that reason this module is pure Python. Resolution fills every default and derived ("auto")
value and expands material names to their parameters, so the resolved case written next to the
results records everything the run used. SCHEMA is data: a new section or key (e.g. a
`[fracture]` section) is a new entry, and the docs' reference is generated from it.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from solver import front, materials, phasefield
from solver.materials import FRACTION, NON_NEGATIVE, POSITIVE, Range
from solver.schema_util import OPS, CaseError, format_value, is_finite, is_number, value_error


@dataclass(frozen=True)
class Auto:
    """A default derived from other values; `doc` is the formula shown in the reference."""

    doc: str
    compute: Callable[[dict, str], Any]  # (case resolved so far, case name) -> value


@dataclass(frozen=True)
class KeySpec:
    """One case-file key: its type, default and allowed values, and the docs for it."""

    type: str  # a key of _TYPES or of its Section's own `types`
    doc: str
    default: Any = None  # a literal, an Auto, or None: optional (left out when unset)
    unit: str = ""  # "-" for dimensionless numbers, "" for non-numbers
    range: Range | None = None
    choices: tuple = ()
    # Filled only when every named earlier sibling key has one of the listed values.
    when: tuple[tuple[str, tuple], ...] = ()
    required: bool = False  # must be given whenever `when` holds
    relations: tuple[tuple[str, str], ...] = ()  # (operator, sibling key), checked when both set


@dataclass(frozen=True)
class MaterialKey(KeySpec):
    """The `material` key of a material section: a library name among `choices`."""

    noun: str = ""  # "an electrolyte": what a wrong-role material is not


@dataclass(frozen=True)
class KeyType:
    """What a KeySpec's `type` names: its label in the reference and its value check."""

    label: str
    normalise: Callable[[str, Any, Any], Any]  # (where, value, spec) -> value, or CaseError


@dataclass(frozen=True)
class Section:
    doc: str
    keys: dict[str, KeySpec]
    # Cross-section checks run once the section is resolved; each raises CaseError.
    checks: tuple[Callable[[dict], None], ...] = ()
    # Key types of this section beyond the case's own (_TYPES), e.g. a study's `bracket`: another
    # file format built on KeySpec declares its types here instead of registering them globally.
    types: dict[str, KeyType] = field(default_factory=dict)

    def key_type(self, spec: KeySpec) -> KeyType:
        return self.types.get(spec.type) or _TYPES[spec.type]


# --------------------------------------------------------------------------- value checking

def _unit(spec: KeySpec) -> str:
    return f" ({spec.unit})" if spec.unit not in ("", "-") else ""


def _allowed(spec: KeySpec) -> str:
    """The allowed values of a key, e.g. 'in (0, 1000]' or 'one of "lu", "cg"'."""
    if spec.choices:
        return "one of " + ", ".join(format_value(c) for c in spec.choices)
    return str(spec.range) if spec.range else ""


def _expected(what: str, spec: KeySpec) -> str:
    allowed = _allowed(spec)
    return f"expected {what}" + (f" {allowed}" if allowed else "") + _unit(spec)


def _as_float(where: str, value: Any, spec: KeySpec) -> float:
    if not is_number(value):
        raise value_error(where, value, _expected("a number", spec))
    if not is_finite(value):
        raise value_error(where, value, _expected("a finite number", spec))
    return float(value)


def _as_int(where: str, value: Any, spec: KeySpec) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise value_error(where, value, _expected("an integer", spec))
    return value


def _as_bool(where: str, value: Any, spec: KeySpec) -> bool:
    if not isinstance(value, bool):
        raise value_error(where, value, "expected true or false")
    return value


def _as_str(where: str, value: Any, spec: KeySpec) -> str:
    if not isinstance(value, str):
        raise value_error(where, value, _expected("a string", spec))
    return value


def _as_material(where: str, value: Any, spec: MaterialKey) -> str:
    allowed = "allowed: " + ", ".join(spec.choices)
    if not isinstance(value, str):
        raise value_error(where, value, f"expected a material name; {allowed}")
    if value not in materials.LIBRARY:
        raise value_error(where, value, f"unknown material; {allowed}")
    if value not in spec.choices:
        raise value_error(where, value, f"not {spec.noun}; {allowed}")
    return value


def _as_str_list(where: str, value: Any, spec: KeySpec) -> list[str]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise value_error(where, value, "expected a non-empty list of strings")
    return list(value)


def _as_table(where: str, value: Any, item: Callable[[Any], bool], what: str) -> dict:
    if not isinstance(value, dict):
        raise value_error(where, value, "expected a table")
    for key, v in value.items():
        if not item(v):
            raise value_error(f"{where}.{key}", v, f"expected {what}")
    return dict(value)


def _as_name_map(where: str, value: Any, spec: KeySpec) -> dict:
    return _as_table(where, value, lambda v: isinstance(v, str) or
                     (isinstance(v, int) and not isinstance(v, bool)), "a string or an integer")


def _as_scalar_map(where: str, value: Any, spec: KeySpec) -> dict:
    return _as_table(where, value, lambda v: isinstance(v, str | bool) or
                     is_finite(v), "a string, a finite number or a boolean")


def _as_points(where: str, value: Any, spec: KeySpec) -> list[list[float]]:
    """Points of 2 or 3 coordinates, padded to 3 so that every consumer sees (x, y, z)."""
    if not isinstance(value, list):
        raise value_error(where, value, "expected a list of points [x, y] or [x, y, z]" + _unit(spec))
    points = []
    for i, p in enumerate(value):
        if not (isinstance(p, list) and len(p) in (2, 3)
                and all(is_finite(x) for x in p)):
            raise value_error(f"{where}[{i}]", p,
                              "expected a point [x, y] or [x, y, z] of finite numbers" + _unit(spec))
        points.append([float(x) for x in p] + [0.0] * (3 - len(p)))
    return points


def _as_probe_points(where: str, value: Any, spec: KeySpec) -> list[list[float]]:
    """Points of 2 or 3 coordinates, kept as given: `_check_probes` pads them to (x, y, z) once
    the case's dimension is known, so that a 3D case can refuse a point without z."""
    return [p[:len(raw)] for p, raw in zip(_as_points(where, value, spec), value)]


def _as_vector(where: str, value: Any, spec: KeySpec) -> list[float]:
    """A vector of 2 or 3 finite numbers, padded to 3 components (x, y, z)."""
    if not (isinstance(value, list) and len(value) in (2, 3)
            and all(is_finite(x) and not isinstance(x, bool) for x in value)):
        raise value_error(where, value, "expected a vector [x, y] or [x, y, z] of finite numbers" + _unit(spec))
    return [float(x) for x in value] + [0.0] * (3 - len(value))


def _as_miller(where: str, value: Any, spec: KeySpec) -> list[int]:
    """A crystal direction: three integer Miller indices, not all zero."""
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(x, int) and not isinstance(x, bool)
                                                                 for x in value) and any(value)):
        raise value_error(where, value, "expected a crystal direction [h, k, l]: three integers, not all zero")
    return list(value)


def _as_weights(where: str, value: Any, spec: KeySpec) -> list[float]:
    """Three positive finite numbers (relative swelling along x, y, z)."""
    if not (isinstance(value, list) and len(value) == 3
            and all(is_finite(x) and not isinstance(x, bool) and x > 0 for x in value)):
        raise value_error(where, value, "expected a list of 3 positive numbers [wx, wy, wz]")
    return [float(x) for x in value]


_TYPES: dict[str, KeyType] = {
    "float": KeyType("float", _as_float),
    "int": KeyType("integer", _as_int),
    "bool": KeyType("boolean", _as_bool),
    "str": KeyType("string", _as_str),
    "material": KeyType("string (material name)", _as_material),
    "str_list": KeyType("list of strings", _as_str_list),
    "name_map": KeyType("table: name -> string or integer", _as_name_map),
    "scalar_map": KeyType("table: name -> string, number or boolean", _as_scalar_map),
    "points": KeyType("list of [x, y] or [x, y, z]", _as_points),
    "probe_points": KeyType("list of [x, y] or [x, y, z]", _as_probe_points),
    "weights": KeyType("list of 3 positive numbers", _as_weights),
    "vector": KeyType("[x, y] or [x, y, z]", _as_vector),
    "miller": KeyType("[h, k, l] (integers)", _as_miller),
}


def _check(where: str, value: Any, spec: KeySpec, kind: KeyType) -> Any:
    """Type, choices and range of one value; returns it normalised (ints widened to floats)."""
    normal = kind.normalise(where, value, spec)
    if spec.choices and normal not in spec.choices:
        raise value_error(where, value, f"must be {_allowed(spec)}")
    if spec.range is not None and normal not in spec.range:
        raise value_error(where, value, f"must be {spec.range}{_unit(spec)}")
    return normal


# --------------------------------------------------------------------------- derived values

_ROUND_KINDS = ("particle", "nanowire", "hollow_sphere")
_FILE_FALLBACK_LENGTH = 100.0  # nm, reference length of a file mesh without reference_length


def reference_length(geometry: dict) -> float:
    """The size that sets the auto mesh size and the diffusion time scale (nm)."""
    kind = geometry["kind"]
    if kind in _ROUND_KINDS:
        return geometry["diameter"]
    if kind == "thin_film":
        return geometry["thickness"]
    if kind == "plate":
        return geometry["width"]
    return geometry.get("reference_length", _FILE_FALLBACK_LENGTH)


def body_span(geometry: dict) -> tuple[float, str] | None:
    """The smallest span of the Si body that the mesh must resolve and its name: the radius of a
    particle or wire (surface to centre), the wall of a hollow sphere, a film's thickness, a
    plate's smaller side; None for a file mesh (its own element sizes)."""
    kind = geometry["kind"]
    if kind in ("particle", "nanowire"):
        return geometry["diameter"] / 2, "radius"
    if kind == "hollow_sphere":
        return (geometry["diameter"] - geometry["inner_diameter"]) / 2, "wall thickness"
    if kind == "thin_film":
        return geometry["thickness"], "film thickness"
    if kind == "plate":
        return min(geometry["width"], geometry["height"]), "smaller side"
    return None


#: Fewest elements across the body's smallest span (`body_span`) that still resolve it.
MIN_ELEMENTS_ACROSS = 2


def _check_resolution(case: dict) -> None:
    """Elements too large to resolve the body at all (e.g. mesh_size = 500 on a 50 nm particle,
    which meshed with 7 cells and ran) are refused: fewer than MIN_ELEMENTS_ACROSS elements of
    mesh_size_surface (the size on the body's surfaces, at most mesh_size) across its span."""
    geo = case["geometry"]
    span = body_span(geo)
    if span is None:
        return
    length, name = span
    largest = length / MIN_ELEMENTS_ACROSS
    if geo["mesh_size_surface"] > largest:
        raise value_error("[geometry] mesh_size_surface", geo["mesh_size_surface"],
                     f"elements this size cannot resolve the Si body ({name} {format_value(_tidy(length))} nm: fewer "
                     f"than {MIN_ELEMENTS_ACROSS} elements across; mesh_size = {format_value(geo['mesh_size'])}); "
                     f"allowed: mesh_size_surface <= {format_value(_tidy(largest))} nm")


def resolution_warnings(case: dict) -> list[str]:
    """Element sizes that do not resolve the phase-field length ell where cracks start (the
    surfaces, and the flaw's ball): h > ell / 2 makes the crack band and the strength depend on
    the mesh; and a mesh coarser than a fifth of the reaction front's width. Warnings, not errors:
    a coarse exploratory run is legitimate."""
    geo, frac = case["geometry"], case["fracture"]
    out = []
    if reaction_front(case) and geo["mesh_size"] > case["active"]["front_width"] / 5:
        out.append(f"[geometry] mesh_size = {format_value(geo['mesh_size'])} nm > front_width / 5 = "
                   f"{format_value(_tidy(case['active']['front_width'] / 5))} nm: the reaction front crosses the "
                   "body, and it lags its rate law by more than 1% on coarser meshes")
    if frac["model"] == "none" or geo["kind"] == "file":
        return out
    sizes = {"mesh_size_surface": geo["mesh_size_surface"]}
    if "top_refine_radius" in geo:
        sizes["mesh_size_top"] = geo.get("mesh_size_top", geo["mesh_size_surface"])
    ell = frac["length_scale"]
    return out + [f"[geometry] {key} = {format_value(h)} nm > ell / 2 = {format_value(_tidy(ell / 2))} nm ([fracture] length_scale "
            f"= {format_value(ell)} nm): the crack band is not resolved there, so damage and strength depend on the mesh"
            for key, h in sizes.items() if h > ell / 2]


def _tidy(value: Any) -> Any:
    """Drop float noise from derived values (1e-4 * 36 -> 0.0036) so resolved files read well."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _duration(case: dict) -> float:
    """Expected length of the run (s), the scale of the auto time steps."""
    load, time = case["loading"], case["time"]
    if reaction_front(case):  # the stress-free front crosses the body
        return reference_length(case["geometry"]) / case["active"]["front_speed"]
    if load["mode"] in ("galvanostatic", "uniform"):
        return abs(load["soc_end"] - load["soc_start"]) * 3600.0 / load["c_rate"]
    if "t_end" in time:
        return time["t_end"]
    return reference_length(case["geometry"]) ** 2 / case["active"]["diffusivity"]


def _times(section: str, key: str, factor: float) -> Auto:
    """Auto default `factor * key` of the same section."""
    doc = key if factor == 1 else f"{factor:g} * {key}"
    return Auto(doc, lambda case, _name: factor * case[section][key])


def _by_direction(lithiation: float, delithiation: float) -> Auto:
    return Auto(f"{lithiation:g} for lithiation, {delithiation:g} for delithiation",
                lambda case, _name: lithiation if case["loading"]["direction"] == "lithiation"
                else delithiation)


def _dt_initial(case: dict, _name: str) -> float:
    return min(_duration(case) / 100.0, case["time"].get("dt_max", math.inf))


def _dt_max(case: dict, _name: str) -> float:
    if reaction_front(case):  # the step at which a stalled front still moves 0.1 l0
        act = case["active"]
        return max(0.1 * act["front_width"] / (act["front_speed"] * act["front_stall"]), case["time"]["dt_initial"])
    return max(_duration(case) / 10.0, case["time"]["dt_initial"])


# --------------------------------------------------------------------------- cross-field checks

def _check_soc(case: dict) -> None:
    load = case["loading"]
    op = ">" if load["direction"] == "lithiation" else "<"
    if not OPS[op](load["soc_end"], load["soc_start"]):
        raise value_error("[loading] soc_end", load["soc_end"],
                          f"must be {op} soc_start = {format_value(load['soc_start'])} for direction = "
                          f"{format_value(load['direction'])}")


#: Loading modes without chemistry: the concentration stays at soc_start and boundary
#: displacements grow with the (pseudo-)time (solver/loading.py).
MECHANICAL_MODES = ("displacement", "surfing")


def _check_mechanical_loading(case: dict) -> None:
    """What displacement and surfing loading cannot be combined with."""
    load = case["loading"]
    if load["mode"] not in MECHANICAL_MODES:
        return
    if load["stress_assisted"]:
        raise value_error("[loading] stress_assisted", True, f"has no effect without chemistry; allowed with "
                          f"mode = {format_value(load['mode'])}: false")
    if load["mode"] == "surfing" and case["geometry"]["dim"] != 2:
        raise value_error("[loading] mode", "surfing", "the K-field boundary data is plane strain: "
                          "allowed with [geometry] dim = 3: galvanostatic, potentiostatic, uniform, "
                          "displacement")
    if load["mode"] == "displacement" and case["geometry"]["dim"] == 2 and load["displacement"][2] != 0.0:
        raise value_error("[loading] displacement", load["displacement"],
                          "the third component must be 0 or absent in a 2D case (dim = 2)")


def _check_surface_coupling(case: dict) -> None:
    """The stress-dependent surface equilibrium replaces a potentiostatic surface value."""
    load = case["loading"]
    if load["surface_stress_coupling"] and load["mode"] != "potentiostatic":
        raise value_error("[loading] surface_stress_coupling", True, f"sets the surface concentration of "
                          f"potentiostatic loading; allowed with mode = {format_value(load['mode'])}: false")


def _check_molar_volume(case: dict) -> None:
    """One expansion, one partial molar volume: where the stress couples to the Li (flux or surface
    value), Omega c_max must be the expansion the swelling uses, as the library's values are."""
    load, act = case["loading"], case["active"]
    if not (load["stress_assisted"] or load["surface_stress_coupling"]):
        return
    implied = act["partial_molar_volume"] * act["c_max"]
    if not math.isclose(implied, act["expansion"], rel_tol=1e-3):
        raise value_error("[active] partial_molar_volume", act["partial_molar_volume"],
                          f"partial_molar_volume * c_max = {implied:.4g} differs from expansion = "
                          f"{format_value(act['expansion'])}: the stress-coupled Li and the swelling must use one "
                          f"value; allowed: {format_value(_tidy(act['expansion'] / act['c_max']))} (or change "
                          "expansion)")


AXISYMMETRIC_KINDS = ("particle", "hollow_sphere")


def _check_axisymmetric(case: dict) -> None:
    """The quarter disk revolved about the x axis (solver/axisymmetry.py): round kinds only, the
    symmetric section, and isotropic material (a cubic crystal is not axisymmetric)."""
    where = "[mechanics] out_of_plane"
    geometry = case["geometry"]
    if geometry["kind"] not in AXISYMMETRIC_KINDS:
        raise value_error(where, "axisymmetric", f"revolves a sphere's section; geometry.kind = "
                          f"{format_value(geometry['kind'])} is not a body of revolution about x; "
                          f"allowed kinds: {', '.join(AXISYMMETRIC_KINDS)}")
    if not geometry["symmetry"]:
        raise value_error(where, "axisymmetric", "needs geometry.symmetry = true (the meridian quarter "
                          "x >= 0, y >= 0: y is the distance to the axis)")
    if geometry.get("matrix"):
        raise value_error(where, "axisymmetric", "is not combined with geometry.matrix = true (the "
                          "matrix box would revolve into a cylinder whose `top` is its curved side); "
                          "allowed: matrix = false")
    weights = case["mechanics"]["expansion_weights"]
    if len(set(weights)) > 1:
        raise value_error(where, "axisymmetric", f"needs isotropic swelling; mechanics.expansion_weights "
                          f"= {weights}; allowed: equal weights")
    if case["active"]["front_mobility_ratio"] != 1.0:
        raise value_error(where, "axisymmetric", "needs an isotropic front; active.front_mobility_ratio = "
                          f"{case['active']['front_mobility_ratio']:g} (cubic); allowed: 1")


def _out_of_plane(case: dict, _name: str) -> str:
    """A 2D nanowire is a cross-section of a wire free to lengthen; other 2D bodies stay plane strain."""
    geometry = case["geometry"]
    return "generalized" if geometry["kind"] == "nanowire" and geometry["dim"] == 2 else "plane_strain"


def _check_out_of_plane(case: dict) -> None:
    """The free axial strain is found around the mechanics solve, not inside the monolithic
    transport solve; the axisymmetric section must be a meridian quarter of a body of revolution."""
    if case["geometry"]["dim"] != 2:
        return
    mode = case["mechanics"]["out_of_plane"]
    if mode == "axisymmetric":
        _check_axisymmetric(case)
    elif mode == "generalized":
        for key in ("stress_assisted", "surface_stress_coupling"):
            if case["loading"][key]:
                raise value_error("[mechanics] out_of_plane", "generalized",
                                  f"is not combined with [loading] {key} (solved with u in one Newton); "
                                  "allowed: plane_strain")


def _check_kinematics(case: dict) -> None:
    """Finite strain needs the closed-form logarithm of a 2D model's block-diagonal C (2D), and a
    potentiostatic start must be ramped."""
    if case["mechanics"]["kinematics"] != "finite":
        return
    if case["geometry"]["dim"] != 2:
        raise value_error("[mechanics] kinematics", "finite", f"is implemented in 2D only; geometry.dim = "
                          f"{case['geometry']['dim']}; allowed: small")
    load = case["loading"]
    second_step = not reaction_front(case) or load["soc_end"] > case["active"]["front_composition"]
    if load["mode"] == "potentiostatic" and load["ramp_time"] == 0 and second_step:
        raise value_error("[loading] ramp_time", 0.0, "finite strain needs the surface concentration ramped "
                          "(a step swells the surface cells by J_c = 1 + expansion * c at once, beyond "
                          "what Newton can start from; with a reaction front: that of the second step, "
                          "from front_composition); allowed: ramp_time > 0, e.g. 0.05")


def _check_load_time(case: dict) -> None:
    """Displacement-driven runs have no SOC window: the pseudo-time span must be given."""
    mode = case["loading"]["mode"]
    if mode in MECHANICAL_MODES and "t_end" not in case["time"]:
        raise CaseError(f"[time] t_end: required when [loading] mode = {format_value(mode)} "
                        "(the load grows with time; t_end ends the run)")


def _stress_intensity(case: dict, _name: str) -> float:
    """Plane-strain K_Ic of the active material: sqrt(Gc E / (1 - nu^2))."""
    act = case["active"]
    return math.sqrt(act["Gc"] * act["E"] / (1 - act["nu"] ** 2))


def _check_probes(case: dict) -> None:
    """Probe points fit the dimension, and are stored as [x, y, z]: a 3D case needs all three
    coordinates (a point [x, y] there is refused, not taken as z = 0)."""
    dim = case["geometry"]["dim"]
    points = case["output"]["probes"]
    for i, p in enumerate(points):
        if dim == 3 and len(p) != 3:
            raise value_error(f"[output] probes[{i}]", p, "a 3D case (dim = 3) needs points [x, y, z]")
        if dim == 2 and len(p) == 3 and p[2] != 0.0:
            raise value_error(f"[output] probes[{i}]", p,
                         "the third coordinate must be 0 or absent in a 2D case (dim = 2)")
    case["output"]["probes"] = [[*p, 0.0][:3] for p in points]


def _check_fracture(case: dict) -> None:
    """Combinations the fracture model does not support, and the strength that ell implies."""
    frac = case["fracture"]
    if frac["model"] == "none":
        frac.pop("strength", None)
        return
    if frac["split"] == "spectral" and case["geometry"]["dim"] == 3:
        raise value_error("[fracture] split", "spectral", "is implemented for 2D (plane strain) only; "
                          "allowed in 3D: none, voldev")
    if case["loading"]["stress_assisted"]:
        raise value_error("[loading] stress_assisted", True, "cannot be combined with fracture yet; "
                          "allowed with [fracture] model = AT1/AT2: false")
    unknown = sorted(set(frac["regions"]) - {"si", "electrolyte", "collector"})
    if unknown or "si" not in frac["regions"]:
        raise value_error("[fracture] regions", frac["regions"], "must contain si; allowed: si, "
                          "electrolyte, collector")
    if frac["surface_flaw"] > 0 and case["geometry"]["kind"] not in ("particle", "nanowire", "hollow_sphere"):
        raise value_error("[fracture] surface_flaw", frac["surface_flaw"], "needs a round body; allowed "
                          "with geometry.kind = particle, nanowire, hollow_sphere (films: notch_depth or "
                          "initial_crack)")
    if frac["surface_flaw"] >= case["geometry"].get("diameter", float("inf")) / 2:
        raise value_error("[fracture] surface_flaw", frac["surface_flaw"], "must be < geometry.diameter / 2")
    if frac["criterion"] == "crack_growth" and not (frac["surface_flaw"] > 0 or "initial_crack" in frac
                                                     or "initial_disc" in frac):
        raise value_error("[fracture] criterion", "crack_growth", "measures growth from a pre-existing crack: "
                          "set [fracture] surface_flaw, initial_crack or initial_disc, or use criterion = "
                          "max_damage or crack_length")
    if "initial_disc" in frac:
        disc = frac["initial_disc"]
        if case["geometry"]["dim"] != 3 or len(disc) != 2 or "initial_disc_radius" not in frac:
            raise value_error("[fracture] initial_disc", disc, "is a 3D disc [[cx, cy, cz], [nx, ny, nz]] "
                              "(centre, normal) with [fracture] initial_disc_radius; allowed in 2D: "
                              "initial_crack")
        if not any(disc[1]):
            raise value_error("[fracture] initial_disc", disc, "the normal [nx, ny, nz] must not be zero")
    if "initial_crack" in frac and len(frac["initial_crack"]) != 2:
        raise value_error("[fracture] initial_crack", frac["initial_crack"],
                          "expected a segment of two points [[x0, y0], [x1, y1]]")
    act = case["active"]
    frac["strength"] = round(phasefield.strength(frac["model"], act["Gc"], act["E"], frac["length_scale"]), 12)


# --------------------------------------------------------------------------- the schema

def _material_section(doc: str, roles: tuple[str, ...], noun: str, default: str,
                      extra: dict[str, KeySpec] | None = None, checks: tuple = ()) -> Section:
    """A section naming a library material; any parameter of `roles` may be overridden. `extra`
    keys are the section's own (not material parameters: no library value, no source)."""
    choices = tuple(sorted(n for r in roles for n in materials.names(r)))
    keys: dict[str, KeySpec] = {
        "material": MaterialKey("material", "material name; its parameters fill the section "
                                "(`sifrac materials` lists them)", default, choices=choices,
                                noun=noun),
    }
    for name, p in materials.PARAMETERS.items():
        if set(p.roles) & set(roles):
            keys[name] = KeySpec("str" if p.choices else "float", p.meaning,
                                 unit=p.unit, range=p.range, choices=p.choices)
    return Section(doc, {**keys, **(extra or {})}, checks)


#: [active] keys of the reaction front that are not material parameters: the body's crystal
#: orientation and the numerics of the front (filled by `_check_front` when front_law = "reaction").
_FRONT_KEYS: dict[str, KeySpec] = {
    "crystal_axis": KeySpec("miller", "reaction front: the crystal direction along the mesh z axis (a pillar's "
                            "axis; the normal of a 2D or axisymmetric section); default [0, 0, 1]"),
    "crystal_x": KeySpec("miller", "reaction front: the crystal direction along the mesh x axis, orthogonal to "
                         "crystal_axis; default [1, 0, 0]. <100> pillar: [0, 0, 1] and [1, 0, 0]; <110> pillar: "
                         "[1, 1, 0] and [0, 0, 1]"),
    "front_width": KeySpec("float", "reaction front: width l0 of the Allen-Cahn front (its profile rises from 10% "
                           "to 90% over 0.78 l0); default 5 * [geometry] mesh_size: the front crosses the body, "
                           "and l0 / h >= 5 keeps its speed within 1%", unit="nm", range=POSITIVE),
    "front_stall": KeySpec("float", "reaction front: the run ends (c-Si) or the second step starts (a-Si) when "
                           "the fastest point of the front moves slower than front_stall * front_speed; "
                           "default 1e-3", unit="-", range=Range(0.0, 1.0, lo_open=True, hi_open=True)),
}
#: Defaults of _FRONT_KEYS (a function of the case where needed).
_FRONT_DEFAULTS: dict[str, Callable[[dict], Any]] = {
    "crystal_axis": lambda case: [0, 0, 1],
    "crystal_x": lambda case: [1, 0, 0],
    "front_width": lambda case: _tidy(5.0 * case["geometry"]["mesh_size"]),
    "front_stall": lambda case: 1e-3,
}


def reaction_front(case: dict) -> bool:
    """Whether the case moves its lithiation front by the reaction law."""
    return case["active"].get("front_law") == "reaction"


def _mirror_direction(d: list[float]) -> bool:
    """Whether a direction (crystal components) is the normal of a mirror plane of the cubic
    crystal: a <100> or a <110> direction."""
    a = sorted(abs(x) for x in d)
    return bool(math.isclose(a[0], 0.0, abs_tol=1e-9) and (math.isclose(a[1], 0.0, abs_tol=1e-9)
                                                          or math.isclose(a[1], a[2], rel_tol=1e-9)))


def _check_front(case: dict) -> None:
    """What the reaction front needs (front_law = "reaction") and what only it may use: the
    front keys, the LixSi moduli laws, potentiostatic lithiation (the surfaces nucleate the
    front; a second step holds them at surface_concentration), c counted per Li3.75Si, and crystal
    axes that are orthogonal and, on a symmetry-reduced mesh, mirror planes of the crystal."""
    act, load, geo = case["active"], case["loading"], case["geometry"]
    if not reaction_front(case):
        given = [k for k in _FRONT_KEYS if k in act]
        if given:
            raise value_error(f"[active] {given[0]}", act[given[0]], "applies to the reaction front only; "
                              "allowed with front_law = \"reaction\"")
        if act["modulus_law"] != "interpolated":
            raise value_error("[active] modulus_law", act["modulus_law"], "the LixSi laws need the lithiated "
                              "phase fraction of the reaction front; allowed with front_law = \"diffusion\": "
                              "interpolated")
        return
    for key, default in _FRONT_DEFAULTS.items():
        act.setdefault(key, default(case))
    if load["mode"] != "potentiostatic" or load["direction"] != "lithiation":
        raise value_error("[loading] mode", load["mode"], "the reaction front lithiates from surfaces that "
                          "nucleate it (and hold surface_concentration in a second step); allowed with "
                          "front_law = \"reaction\": potentiostatic with direction = lithiation")
    if load["soc_start"] != 0.0:
        raise value_error("[loading] soc_start", load["soc_start"], "the reaction front starts from pristine Si; "
                          "allowed with front_law = \"reaction\": 0")
    for key in ("stress_assisted", "surface_stress_coupling"):
        if load[key]:
            raise value_error(f"[loading] {key}", True, "no Li transport follows the stress behind a "
                              "reaction front; allowed with front_law = \"reaction\": false")
    material = materials.get(act["material"])
    full = materials.c_max_of(materials.FULL_LITHIATION)
    if not math.isclose(act["c_max"], full, rel_tol=1e-6):
        library = material.values()
        if act["c_max"] != library["c_max"] or act["expansion"] != library["expansion"]:
            raise value_error("[active] c_max", act["c_max"], f"the reaction front counts c per Li3.75Si; "
                              f"allowed: {format_value(full)} (with expansion = partial_molar_volume * c_max)")
        # The library's a-Si counts c per Li2.5Si (its diffusion model's lithiated phase): the
        # reaction front's second step goes on to Li3.75Si, so c and the expansion are rebased.
        act["c_max"] = full
        act["expansion"] = _tidy(act["partial_molar_volume"] * full)
    try:
        axes = front.axes_from_keys(act["crystal_axis"], act["crystal_x"])
    except ValueError as exc:
        raise value_error("[active] crystal_x", act["crystal_x"], f"{exc}; allowed: a direction orthogonal "
                          f"to crystal_axis = {act['crystal_axis']}") from None
    if geo["symmetry"] and act["front_orientation"] != "isotropic":
        for axis, name in enumerate("xyz"[:geo["dim"]]):
            direction = axes[:, axis]
            if not _mirror_direction(direction):
                raise value_error("[active] crystal_x", act["crystal_x"], f"the symmetry plane normal to mesh "
                                  f"{name} is no mirror plane of the crystal (mesh {name} is along "
                                  f"{_direction_text(direction)}); allowed with [geometry] symmetry = true: "
                                  "mesh axes along <100> or <110> directions, or symmetry = false")
    if load["soc_end"] > act["front_composition"] and load["surface_concentration"] <= act["front_composition"]:
        raise value_error("[loading] soc_end", load["soc_end"], f"lies above front_composition = "
                          f"{format_value(_tidy(act['front_composition']))}, which the second step reaches only with "
                          "a higher surface_concentration; allowed: soc_end <= front_composition")


def _direction_text(d: np.ndarray) -> str:
    """A crystal direction as the smallest integer triple near it, e.g. [1, -1, 0]."""
    v = np.asarray(d, float) / np.max(np.abs(d))
    for scale in range(1, 7):
        w = v * scale
        if np.allclose(w, np.round(w), atol=1e-6):
            return "[" + ", ".join(str(int(x)) for x in np.round(w)) + "]"
    return "[" + ", ".join(f"{x:.3f}" for x in d) + "]"


_THIN = (("kind", ("thin_film",)),)
_ROUND = (("kind", _ROUND_KINDS),)
_FILE = (("kind", ("file",)),)
_PLATE = (("kind", ("plate",)),)
_DISPLACEMENT = (("mode", ("displacement",)),)
_SURFING = (("mode", ("surfing",)),)
_POS_LT_1 = Range(0.0, 1.0, lo_open=True, hi_open=True)

SCHEMA: dict[str, Section] = {
    "case": Section("Identification of the case.", {
        "name": KeySpec("str", "case name, used in the output directory and logs",
                        Auto("the case file's stem", lambda _case, name: name)),
        "description": KeySpec("str", "free text", ""),
    }),
    "geometry": Section("The Si body and its surroundings; keys of other kinds are kept.", {
        "kind": KeySpec("str", "geometry family", "particle",
                        choices=("particle", "nanowire", "hollow_sphere", "thin_film", "plate", "file")),
        "dim": KeySpec("int", "spatial dimension", 2, choices=(2, 3)),
        "symmetry": KeySpec("bool", "mesh only the symmetric part, with symmetry boundary "
                            "conditions", False),
        "mesh_size": KeySpec("float", "element size in the bulk; reference length = diameter "
                             "(round kinds), thickness (thin_film) or reference_length, else "
                             f"{_FILE_FALLBACK_LENGTH:g} nm (file)",
                             Auto("reference length / 15",
                                  lambda case, _name: reference_length(case["geometry"]) / 15.0),
                             "nm", POSITIVE),
        "mesh_size_surface": KeySpec("float", "element size at the lithiated surface",
                                     _times("geometry", "mesh_size", 1.0), "nm", POSITIVE,
                                     relations=(("<=", "mesh_size"),)),
        "diameter": KeySpec("float", "outer diameter of the particle, wire or hollow sphere",
                            150.0, "nm", POSITIVE, when=_ROUND),
        "inner_diameter": KeySpec("float", "inner diameter of the hollow sphere (Yao et al. "
                                  "2011: 350/400)", _times("geometry", "diameter", 0.875), "nm",
                                  POSITIVE, when=(("kind", ("hollow_sphere",)),),
                                  relations=(("<", "diameter"),)),
        "length": KeySpec("float", "axial length of the nanowire (3D)",
                          _times("geometry", "diameter", 2.0), "nm", POSITIVE,
                          when=(("kind", ("nanowire",)), ("dim", (3,)))),
        "top_refine_radius": KeySpec("float", "radius of a ball about the top point (0, "
                                     "diameter/2, 0), where [fracture] surface_flaw sits, meshed "
                                     "with mesh_size_top; lets the rest of the surface stay "
                                     "coarser (unset: no ball)", None, "nm", POSITIVE, when=_ROUND),
        "mesh_size_top": KeySpec("float", "element size inside the top refinement ball (unset: "
                                 "mesh_size_surface); also the width of the surface flaw's band",
                                 None, "nm", POSITIVE, when=_ROUND),
        "matrix": KeySpec("bool", "embed the body in a box of solid electrolyte (ignored with a "
                          "liquid electrolyte)", False, when=_ROUND),
        "matrix_size": KeySpec("float", "edge of the electrolyte box",
                               _times("geometry", "diameter", 2.0), "nm", POSITIVE,
                               when=_ROUND + (("matrix", (True,)),),
                               relations=((">", "diameter"),)),
        "thickness": KeySpec("float", "Si film thickness", 1000.0, "nm", POSITIVE, when=_THIN),
        "width": KeySpec("float", "film width (in-plane extent of the model); plate: x extent",
                         Auto("2 * thickness (thin_film); 1000 (plate)",
                              lambda case, _name: 2.0 * case["geometry"]["thickness"]
                              if case["geometry"]["kind"] == "thin_film" else 1000.0),
                         "nm", POSITIVE, when=(("kind", ("thin_film", "plate")),)),
        "depth": KeySpec("float", "film depth (3D, out-of-plane extent)",
                         _times("geometry", "thickness", 0.5), "nm", POSITIVE,
                         when=_THIN + (("dim", (3,)),)),
        "substrate": KeySpec("str", "what lies under the film", "collector",
                             choices=("collector", "electrolyte"), when=_THIN),
        "substrate_thickness": KeySpec("float", "substrate thickness",
                                       _times("geometry", "thickness", 0.5), "nm", POSITIVE,
                                       when=_THIN),
        "cap": KeySpec("bool", "solid-electrolyte layer on top of the film (ignored with a "
                       "liquid electrolyte)", False, when=_THIN),
        "cap_thickness": KeySpec("float", "thickness of the electrolyte cap",
                                 _times("geometry", "thickness", 0.5), "nm", POSITIVE,
                                 when=_THIN + (("cap", (True,)),)),
        "notch_depth": KeySpec("float", "depth of a surface notch (0: no notch)", 0.0, "nm",
                               NON_NEGATIVE, when=_THIN, relations=(("<", "thickness"),)),
        "notch_width": KeySpec("float", "width of the surface notch",
                               _times("geometry", "thickness", 0.1), "nm", POSITIVE, when=_THIN,
                               relations=(("<", "width"),)),
        "height": KeySpec("float", "plate y extent; the plate spans x in [0, width], y in "
                          "[-height/2, height/2]", _times("geometry", "width", 1.0), "nm", POSITIVE,
                          when=_PLATE),
        "slit_length": KeySpec("float", "length of the edge slit from x = 0 along y = 0 (0: none)",
                               0.0, "nm", NON_NEGATIVE, when=_PLATE, relations=(("<", "width"),)),
        "slit_width": KeySpec("float", "opening of the edge slit (a thin void with a flat end)",
                              _times("geometry", "mesh_size_surface", 1.0), "nm", POSITIVE,
                              when=_PLATE, relations=(("<", "height"),)),
        "band_width": KeySpec("float", "width of the band about y = 0, from the slit tip to x = width, "
                              "meshed with mesh_size_surface (the expected crack path)",
                              _times("geometry", "height", 0.1), "nm", POSITIVE, when=_PLATE,
                              relations=(("<=", "height"),)),
        "file": KeySpec("str", "mesh file (.msh or .xdmf), relative to the working directory",
                        when=_FILE, required=True),
        "region_map": KeySpec("name_map", "region name (si, electrolyte, collector) -> physical "
                              "group name or tag", when=_FILE),
        "boundary_map": KeySpec("name_map", "boundary name -> physical group name or tag",
                                when=_FILE),
        "reference_length": KeySpec("float", "size of the Si body of a file mesh; unset: "
                                    "measured from the mesh (mesh_size then uses "
                                    f"{_FILE_FALLBACK_LENGTH:g} nm)", unit="nm", range=POSITIVE,
                                    when=_FILE),
        "xdmf_mesh_name": KeySpec("str", "mesh name inside an XDMF file", "mesh", when=_FILE),
        "xdmf_cell_tags": KeySpec("str", "cell tags name inside an XDMF file", "cell_tags",
                                  when=_FILE),
        "xdmf_facet_tags": KeySpec("str", "facet tags name inside an XDMF file", "facet_tags",
                                   when=_FILE),
    }, checks=(_check_resolution,)),
    "active": _material_section("The active (Si) material. With front_law = \"reaction\" the crystal and "
                                "front keys below apply (docs/user-guide.md, Reaction-controlled front).",
                                ("active",), "an active material", "c-Si", extra=_FRONT_KEYS),
    "electrolyte": _material_section("The electrolyte around the Si; liquid: a free surface.",
                                     ("electrolyte", "liquid"), "an electrolyte", "liquid"),
    "collector": _material_section("The current collector (thin-film substrate).",
                                   ("collector",), "a current collector", "Cu"),
    "loading": Section("Electrochemical loading of the active surfaces.", {
        "mode": KeySpec("str", "galvanostatic: constant flux set by c_rate; potentiostatic: "
                        "fixed surface concentration; uniform: the concentration is imposed "
                        "uniformly in Si and follows the C-rate (homogeneous benchmarks); "
                        "displacement: no chemistry, `loaded` boundaries move by t * "
                        "displacement, `clamped` ones are fixed; surfing: no chemistry, the "
                        "plane-strain mode-I K-field centred at (surfing_start + surfing_speed * t, 0) "
                        "on the `loaded` boundaries (Hossain et al. 2014)",
                        "galvanostatic", choices=("galvanostatic", "potentiostatic", "uniform", *MECHANICAL_MODES)),
        "c_rate": KeySpec("float", "charge rate: 1/c_rate hours for a full lithiation", 1.0,
                          "1/h", Range(0.0, 1000.0, lo_open=True)),
        "direction": KeySpec("str", "lithiation (Li in) or delithiation (Li out)", "lithiation",
                             choices=("lithiation", "delithiation")),
        "soc_start": KeySpec("float", "initial concentration (fraction of c_max)",
                             _by_direction(0.0, 1.0), "-", FRACTION),
        "soc_end": KeySpec("float", "state of charge at which the run stops",
                           _by_direction(1.0, 0.0), "-", FRACTION),
        "surface_concentration": KeySpec("float", "surface concentration (used by "
                                         "potentiostatic mode only)", _by_direction(1.0, 0.0),
                                         "-", FRACTION),
        "ramp_time": KeySpec("float", "potentiostatic: the surface concentration moves linearly "
                             "from soc_start to surface_concentration over this time (a fast "
                             "potential sweep instead of a step, which a thin plastic shell's Newton "
                             "solve cannot take at once); 0: a step", 0.0, "s", NON_NEGATIVE),
        "surfaces": KeySpec("str_list", "boundary names Li enters or leaves through; unset: the "
                            "geometry's own lithiation surfaces"),
        "stack_pressure": KeySpec("float", "external pressure on the stack", 0.0, "GPa",
                                  NON_NEGATIVE),
        "temperature": KeySpec("float", "temperature (stress-assisted diffusion)", 298.15, "K",
                               POSITIVE),
        "stress_assisted": KeySpec("bool", "hydrostatic-stress-driven Li flux", False),
        "surface_stress_coupling": KeySpec("bool", "potentiostatic: the surface concentration is in "
                                           "equilibrium with the local hydrostatic stress, ln(c/(1-c)) = "
                                           "ln(c_s/(1-c_s)) + Omega sigma_h / (R T) with c_s = "
                                           "surface_concentration (compression takes up less Li; "
                                           "imposed by a fast surface reaction); false: c = c_s", False),
        "loaded": KeySpec("str_list", "boundaries with prescribed displacement; their reaction force "
                          "along `displacement` is the history column reaction_force",
                          Auto("[\"top\"] (displacement); [\"left\", \"right\", \"top\", \"bottom\"] (surfing)",
                               lambda case, _name: ["top"] if case["loading"]["mode"] == "displacement"
                               else ["left", "right", "top", "bottom"]),
                          when=(("mode", MECHANICAL_MODES),)),
        "clamped": KeySpec("str_list", "boundaries held at u = 0", ["bottom"], when=_DISPLACEMENT),
        "displacement": KeySpec("vector", "displacement of the loaded boundaries per unit time "
                                "(at t: t * displacement)", [0.0, 1.0, 0.0], "nm", when=_DISPLACEMENT),
        "stress_intensity": KeySpec("float", "K of the surfing K-field", Auto(
            "sqrt(Gc E / (1 - nu^2)) of [active]: plane-strain K_Ic", _stress_intensity),
            "GPa nm^0.5", POSITIVE, when=_SURFING),
        "surfing_speed": KeySpec("float", "speed of the K-field centre along x", 1.0, "nm/s", POSITIVE,
                                 when=_SURFING),
        "surfing_start": KeySpec("float", "x of the K-field centre at t = 0",
                                 Auto("[geometry] slit_length (plate), else 0",
                                      lambda case, _name: case["geometry"].get("slit_length", 0.0)),
                                 "nm", when=_SURFING),
    }, checks=(_check_soc, _check_mechanical_loading, _check_surface_coupling, _check_molar_volume)),
    "mechanics": Section("Mechanical model options.", {
        "lateral": KeySpec("str", "film side faces: roller (an infinite film) or free with a "
                           "clamped bottom", "roller", choices=("roller", "free")),
        "displacement_degree": KeySpec("int", "polynomial degree of the displacement", 2,
                                       choices=(1, 2)),
        "expansion_weights": KeySpec("weights", "relative swelling along x, y, z (normalised to "
                                     "mean 1, so the volume change stays `expansion`); the hook "
                                     "for anisotropic c-Si swelling", [1.0, 1.0, 1.0]),
        "plasticity": KeySpec("str", "none: elastic Si; J2: von Mises plasticity of Si with a "
                              "yield stress linear in c from active.yield_stress_pristine to "
                              "active.yield_stress (radial return, consistent tangent)", "none",
                              choices=("none", "J2")),
        "hardening": KeySpec("float", "linear isotropic hardening modulus H (0: perfect "
                             "plasticity)", 0.0, "GPa", NON_NEGATIVE),
        "kinematics": KeySpec("str", "small: small strain; finite: logarithmic (Hencky) strain "
                              "ln(C)/2 with the chemical, elastic and plastic log strains added "
                              "(exact F = Fe Fc for isotropic swelling), energy J_c psi per "
                              "reference volume, Cauchy stress in the outputs, Gc and ell pulled "
                              "back through the chemical stretch; 2D only (plane strain, "
                              "generalized, axisymmetric)", "small", choices=("small", "finite")),
        "out_of_plane": KeySpec("str", "2D only (ignored in 3D): plane_strain (zero axial strain, "
                                "a long body held at its ends), generalized (a uniform axial "
                                "strain with zero net axial force, a long wire with free ends) or "
                                "axisymmetric (the symmetric quarter of a particle or hollow sphere "
                                "revolved about the x axis: a sphere, its surface flaw a ring "
                                "around the equator; crack_length stays the section's length)",
                                Auto("generalized for a 2D nanowire, else plane_strain", _out_of_plane),
                                choices=("plane_strain", "generalized", "axisymmetric")),
    }, checks=(_check_front, _check_out_of_plane, _check_kinematics)),
    "time": Section("Adaptive time stepping. duration = |soc_end - soc_start| * 3600 / c_rate "
                    "(galvanostatic); t_end, else reference_length^2 / active.diffusivity "
                    "(potentiostatic); reference_length / active.front_speed (reaction front, whose "
                    "step is also at most 0.1 front_width / the fastest front speed).", {
        "dt_initial": KeySpec("float", "first time step",
                              Auto("duration / 100 (at most dt_max)", _dt_initial), "s",
                              POSITIVE, relations=(("<=", "dt_max"),)),
        "dt_min": KeySpec("float", "smallest step before the run gives up",
                          _times("time", "dt_initial", 1e-4), "s", POSITIVE,
                          relations=(("<=", "dt_initial"),)),
        "dt_max": KeySpec("float", "largest step",
                          Auto("duration / 10 (at least dt_initial); reaction front: 0.1 front_width / "
                               "(front_speed front_stall)", _dt_max), "s", POSITIVE),
        "t_end": KeySpec("float", "stop time; unset: stop when soc_end is reached", unit="s",
                         range=POSITIVE),
        "max_steps": KeySpec("int", "stop after this many steps", 100000, range=Range(1)),
        "max_wall_time": KeySpec("float", "stop, with a checkpoint, at the first step that starts "
                                 "after this many wall-clock seconds of the run (or of its resumed "
                                 "part); unset: no limit. A resource guard, not physics: left out "
                                 "of case_sha256, so `--resume` may raise it", unit="s",
                                 range=POSITIVE),
        "scheme": KeySpec("str", "time integrator of Li transport: variable-step BDF2 (second "
                          "order; its first step is backward Euler) or backward Euler", "bdf2",
                          choices=("bdf2", "backward_euler")),
        "dc_target": KeySpec("float", "largest concentration change per step the adaptive "
                             "step aims at", 0.05, "-", Range(0.0, 1.0, lo_open=True)),
        "growth": KeySpec("float", "step growth factor after an easy step", 1.5, "-",
                          Range(1.0, 4.0, lo_open=True)),
        "cutback": KeySpec("float", "step reduction factor after a failed step", 0.5, "-",
                           _POS_LT_1),
    }, checks=(_check_load_time,)),
    "solver": Section("Linear and nonlinear solvers.", {
        "mechanics": KeySpec("str", "mechanics linear solver; auto: by problem size; gmres_lu: "
                             "GMRES preconditioned by an LU factorisation kept while it works; cg: "
                             "CG with GAMG (cg_gamg: its older name)",
                             "auto", choices=("auto", "lu", "gmres_lu", "cg", "cg_gamg")),
        "diffusion": KeySpec("str", "diffusion linear solver; auto: by problem size (LU for the "
                             "monolithic transport solve of stress_assisted / surface_stress_coupling)", "auto",
                             choices=("auto", "lu", "cg")),
        "damage": KeySpec("str", "damage (VI) linear solver; auto: by problem size", "auto",
                          choices=("auto", "lu", "cg")),
        "linear_rtol": KeySpec("float", "relative tolerance of iterative linear solvers (a linear "
                               "mechanics solve: relative to the residual of the whole load at u = 0)",
                               1e-10,
                               "-", _POS_LT_1),
        "newton_rtol": KeySpec("float", "Newton relative tolerance", 1e-10, "-", _POS_LT_1),
        "newton_atol": KeySpec("float", "Newton absolute tolerance (axisymmetric: times 2 pi R, "
                               "the revolution weight at the outer radius)", 1e-12, "-", POSITIVE),
        "newton_max_it": KeySpec("int", "Newton iteration limit", 25, range=Range(1)),
        "petsc_options": KeySpec("scalar_map", "extra PETSc options passed through as given "
                                 "(e.g. ksp_type = \"cg\")", {}),
    }),
    "fracture": Section("Phase-field fracture (AT1/AT2) by alternate minimisation with the damage "
                        "bounded by its previous value and 1 (SNES vinewtonrsls).", {
        "model": KeySpec("str", "crack model; none: no damage field", "none",
                         choices=("none", "AT1", "AT2")),
        "split": KeySpec("str", "elastic energy split: which part damage degrades. spectral "
                         "(2D only) degrades positive principal strains, so a confined film can "
                         "damage in compression past about 2 sigma_c; voldev degrades the deviatoric "
                         "part, so strong uniaxial compression can damage (at sqrt(1.5) times "
                         "the tensile strength for nu = 0); rankine (2D and 3D): hybrid model, "
                         "stiffness degraded isotropically, damage driven by the positive "
                         "principal stress only, <sigma_1>^2/(2E); rankine_voldev: the same "
                         "driving force with the stiffness degraded as voldev, so closed crack "
                         "faces carry pressure (needed in finite strain, where the swelling "
                         "shell would crush a flaw band that has lost its bulk stiffness)",
                         "rankine",
                         choices=("none", "voldev", "spectral", "rankine", "rankine_voldev")),
        "length_scale": KeySpec("float", "regularisation length ell of the active material",
                                _times("geometry", "mesh_size_surface", 2.0), "nm", POSITIVE),
        "length_scale_electrolyte": KeySpec("float", "ell of the electrolyte when it may crack "
                                            "(default: length_scale)", None, "nm", POSITIVE),
        "regions": KeySpec("str_list", "regions carrying a damage field (si, electrolyte, "
                           "collector); elsewhere d = 0", ["si"]),
        "residual_stiffness": KeySpec("float", "k in g(d) = (1 - d)^2 + k", 1e-6, "-",
                                      Range(0.0, 0.01)),
        "band_tether": KeySpec("float", "stiffness of a tether that holds cracked material "
                               "(d >= threshold) to where it was at the last accepted step, force "
                               "band_tether x (u - u_old) per volume (0: none). Why: in finite "
                               "strain the broken band inside a wide-open crack is stretched "
                               "hundreds of times, its shear stiffness vanishes and its nodes float, "
                               "so the mechanics tangent turns singular and Newton stalls; the "
                               "tether takes that mode out. history.csv reports its energy at each "
                               "accepted step (tether_energy)", 0.0, "GPa/nm^2", NON_NEGATIVE),
        "max_iterations": KeySpec("int", "largest number of alternate-minimisation iterations "
                                  "per step; more cuts the step", 300, range=Range(1)),
        "tol_damage": KeySpec("float", "alternate minimisation stops when the damage increment "
                              "(max norm) ...", 1e-4, "-", POSITIVE),
        "tol_energy": KeySpec("float", "... and the relative change of the total energy are "
                              "below these", 1e-6, "-", POSITIVE),
        "acceleration": KeySpec("str", "acceleration of alternate minimisation. overrelaxation: "
                                "a damage step that points the way of the previous one (a creeping "
                                "crack) is lengthened, d = d_k + relaxation (d_min - d_k) projected "
                                "onto [d_prev, 1] (Farrell & Maurini, IJNME 109 (2017) 648), unless "
                                "that raises the energy above that of d_k (then d = d_min: still a "
                                "descent method); SENT short: 26% fewer sub-solves, same peak load",
                                "none", choices=("none", "overrelaxation")),
        "relaxation": KeySpec("float", "over-relaxation factor omega of acceleration = "
                              "overrelaxation (1: plain alternate minimisation; SENT short: 1.5 to "
                              "1.8 about as good, 1.9 overshoots into a cut step)", 1.7, "-",
                              Range(1.0, 2.0, hi_open=True)),
        "max_damage_increment": KeySpec("float", "a step whose damage grows by more than this "
                                        "anywhere is cut (unless at dt_min)", 1.0, "-",
                                        Range(0.0, 1.0, lo_open=True)),
        "threshold": KeySpec("float", "damage level that counts as cracked (crack initiation, "
                             "`fractured`)", 0.9, "-", Range(0.0, 1.0, lo_open=True)),
        "criterion": KeySpec("str", "`fractured` in summary.json: max_damage >= threshold, and "
                             "for crack_length also crack_length >= crack_length_min, for "
                             "crack_growth also crack_length >= crack_growth_ratio x its value at "
                             "step 0 (the pre-existing flaw as meshed and measured: use these two "
                             "with pre-existing cracks); crack initiation is when it first holds",
                             "max_damage", choices=("max_damage", "crack_length", "crack_growth")),
        "crack_length_min": KeySpec("float", "crack length (area in 3D) for criterion = "
                                    "crack_length", 0.0, "nm", NON_NEGATIVE),
        "crack_growth_ratio": KeySpec("float", "for criterion = crack_growth: the crack length "
                                      "(area in 3D) over its value at step 0; 2: the flaw has grown "
                                      "by its own size, whatever its measured length on the mesh",
                                      2.0, "-", Range(1.0, lo_open=True)),
        "stop_at_fracture": KeySpec("bool", "end the run (status complete) as soon as the "
                                    "fracture criterion holds: threshold studies need no more",
                                    False),
        "surface_flaw": KeySpec("float", "depth of a pre-existing radial surface flaw (d = 1) of a "
                                "round body, on the plane x = centre at the top (+y) of the outer "
                                "surface: a segment in 2D, a half-penny disc of this radius in 3D; "
                                "it moves with geometry.diameter in size studies (0: none)", 0.0,
                                "nm", NON_NEGATIVE),
        "initial_disc": KeySpec("points", "pre-existing crack in 3D: a disc [centre, normal] of radius "
                                "initial_disc_radius where d = 1 initially", None, "nm"),
        "initial_disc_radius": KeySpec("float", "radius of initial_disc", None, "nm", POSITIVE),
        "initial_crack": KeySpec("points", "pre-existing crack: a segment [start, end] where "
                                 "d = 1 initially (2D)", None, "nm"),
        "damaged_diffusivity_factor": KeySpec("float", "D in cracked material is D (1 + (f - 1) d) "
                                              "(f = 1: no coupling)", 1.0, "-", Range(1.0, 1e6)),
        "strength": KeySpec("float", "derived, not an input: the homogeneous peak stress of the "
                            "active material that ell implies (AT1: sqrt(3 Gc E / (8 ell)))",
                            None, "GPa", POSITIVE),
    }, checks=(_check_fracture,)),
    "output": Section("What is written and where.", {
        "dir": KeySpec("str", "output directory",
                       Auto("results/<case name>",
                            lambda case, _name: f"results/{case['case']['name']}")),
        "every": KeySpec("int", "write fields every N steps", 1, range=Range(1)),
        "fields": KeySpec("bool", "write field files", True),
        "probes": KeySpec("probe_points", "points where fields are sampled each step ([x, y] in 2D, "
                          "[x, y, z] in 3D); stored as [x, y, z]", [], "nm"),
        "checkpoint_every": KeySpec("int", "write a restart checkpoint every N steps (0: only when "
                                    "the run is stopped early, e.g. by SIGTERM); see `--resume`", 0,
                                    range=Range(0)),
        "snapshot_every": KeySpec("int", "write a gathered VTU snapshot (state_step_N.vtu) every N "
                                  "steps for `sifrac report --steps` (0: only the initiation, peak "
                                  "and final states)", 0, range=Range(0)),
    }, checks=(_check_probes,)),
}


# --------------------------------------------------------------------------- resolution

def _is_material_section(spec: Section) -> bool:
    return isinstance(spec.keys.get("material"), MaterialKey)


def _applies(spec: KeySpec, section: dict) -> bool:
    return all(section.get(key) in values for key, values in spec.when)


def _when_text(spec: KeySpec) -> str:
    return " and ".join(f"{key} = " + " or ".join(format_value(v) for v in values)
                        for key, values in spec.when)


def _expand_material(name: str, section: dict) -> dict:
    """Library parameters of the chosen material, then the case's overrides (and the section's own
    keys, which are not material parameters)."""
    material = materials.get(section["material"])
    own = [p for p, s in materials.PARAMETERS.items() if material.role in s.roles]
    for key, value in section.items():
        if key != "material" and key not in own and key in materials.PARAMETERS:
            raise value_error(f"[{name}] {key}", value,
                              f"not a parameter of {material.role} material "
                              f"{format_value(material.name)}; allowed: {', '.join(own) or 'none'}")
    return {"material": material.name, **material.values(), **section}


def _resolve_section(name: str, spec: Section, given: dict, case: dict, case_name: str) -> dict:
    for key in given:
        if key not in spec.keys:
            raise CaseError(f"[{name}] {key}: unknown key; allowed keys: "
                            f"{', '.join(sorted(spec.keys))}")
    out: dict[str, Any] = {}
    autos = []
    for key, key_spec in spec.keys.items():
        if key in given:
            out[key] = _check(f"[{name}] {key}", given[key], key_spec, spec.key_type(key_spec))
        elif not _applies(key_spec, out):
            continue
        elif isinstance(key_spec.default, Auto):
            autos.append(key)
        elif key_spec.default is not None:
            out[key] = copy.deepcopy(key_spec.default)
        elif key_spec.required:
            raise CaseError(f"[{name}] {key}: required when {_when_text(key_spec)} "
                            f"({spec.key_type(key_spec).label}: {key_spec.doc})")
    for key in autos:  # after the literal values, in declaration order
        out[key] = _tidy(spec.keys[key].default.compute({**case, name: out}, case_name))
    out = {key: out[key] for key in spec.keys if key in out}
    if _is_material_section(spec):
        out = _expand_material(name, out)
    for key, key_spec in spec.keys.items():
        for op, other in key_spec.relations:
            if key in out and other in out and not OPS[op](out[key], out[other]):
                raise value_error(f"[{name}] {key}", out[key],
                                  f"must be {op} {other} = {format_value(out[other])}{_unit(key_spec)}")
    return out


def resolve_section(name: str, section: Section, given: dict, file_stem: str = "") -> dict:
    """Validate and fill one stand-alone section (not part of a case), e.g. a study's `[sweep]`."""
    if not isinstance(given, dict):
        raise value_error(f"[{name}]", given, "expected a table (a section)")
    out = _resolve_section(name, section, given, {}, file_stem)
    for check in section.checks:
        check(out)
    return out


def resolve_case(raw: dict, name: str) -> dict:
    """Validate a raw case, fill defaults and derived values, expand materials.

    The result is a new nested dict without None values: TOML- and JSON-serialisable, and
    resolving it again gives it back unchanged.
    """
    if not isinstance(raw, dict):
        raise CaseError(f"case = {format_value(raw)}: expected a table of sections")
    for section in raw:
        if section == "sweep":  # a study file given to `sifrac run`
            raise CaseError("[sweep]: this is a study file (a case plus a [sweep] section); run it "
                            "with `sifrac sweep FILE`, or its base case with `sifrac run`")
        if section not in SCHEMA:
            raise CaseError(f"[{section}]: unknown section; allowed sections: "
                            f"{', '.join(sorted(SCHEMA))}")
    case: dict[str, dict] = {}
    for section, spec in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise value_error(f"[{section}]", given, "expected a table (a section)")
        case[section] = _resolve_section(section, spec, given, case, name)
        for check in spec.checks:
            check(case)
    return case


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
        key, sep, text = item.partition("=")
        path = tuple(part.strip() for part in key.split("."))
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


def load_case(path: str | os.PathLike, overrides: Iterable[str] = ()) -> dict:
    """Read a TOML case file, apply `--set` overrides and resolve it (name: the file stem)."""
    return resolve_case(apply_overrides(read_toml(path), parse_overrides(overrides)), Path(path).stem)


def dump_case(case: dict) -> str:
    """TOML text of a resolved case; load_case on it gives the same case back."""
    return (f"# sifrac case {case['case']['name']!r}, resolved: every default and material "
            "parameter written out\n\n" + tomli_w.dumps(case))


def case_sha256(case: dict) -> str:
    """SHA-256 of the resolved case without its output directory and wall-time limit (summary.json
    `case_sha256`): what the run computes, so a run resumed via `--resume DIR` still matches, with a
    larger `[time] max_wall_time` if need be, and sweeps reuse it."""
    physics = {**case, "output": {k: v for k, v in case["output"].items() if k != "dir"},
               "time": {k: v for k, v in case["time"].items() if k != "max_wall_time"}}
    return hashlib.sha256(dump_case(physics).encode()).hexdigest()


# --------------------------------------------------------------------------- reference docs

def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default_text(spec: KeySpec, from_material: bool) -> str:
    if isinstance(spec.default, Auto):
        return f"auto: {spec.default.doc}"
    if spec.default is not None:
        return f"`{format_value(spec.default)}`"
    if spec.required:
        return "required"
    return "from the material" if from_material else "unset"


def section_markdown(name: str, section: Section) -> list[str]:
    """One section's reference: heading, doc and a table of its keys."""
    lines = [f"## [{name}]", "", section.doc, "",
             "| key | type | default | allowed | unit | meaning |",
             "|---|---|---|---|---|---|"]
    for key, spec in section.keys.items():
        meaning = spec.doc + (f" (when {_when_text(spec)})" if spec.when else "")
        if spec.relations:
            meaning += "; must be " + ", ".join(f"{op} {o}" for op, o in spec.relations)
        from_material = _is_material_section(section) and key != "material"
        cells = (f"`{key}`", section.key_type(spec).label, _default_text(spec, from_material),
                 _allowed(spec),
                 spec.unit, meaning)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    return lines


def reference_markdown() -> str:
    """The case-file reference (Markdown tables), generated from SCHEMA."""
    lines = ["# Case-file reference", "",
             "Units: nm, GPa, s; concentrations as a fraction of c_max. Every section and key "
             "is optional unless marked required. `auto` values are derived when the case is "
             "resolved; the resolved case is written next to the results.", ""]
    for name, section in SCHEMA.items():
        lines += section_markdown(name, section)
    return "\n".join(lines)
