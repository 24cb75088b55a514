"""Value types of case keys beyond the plain scalars (float, int, bool, str and Literal choices,
which pydantic checks itself): lists of points, vectors, name tables. Each checks its value with
the message a user reads (`{unit}` stands for the key's unit) and stores it normalised: floats,
points and vectors padded to (x, y, z)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import PlainValidator

from sifrac.solver.case.errors import KeyProblem, is_finite
from sifrac.solver.case.keys import Label


def _str_list(value: Any) -> list[str]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise KeyProblem(value, "expected a non-empty list of strings")
    return list(value)


def _table(item: Callable[[Any], bool], what: str) -> Callable[[Any], dict]:
    def check(value: Any) -> dict:
        if not isinstance(value, dict):
            raise KeyProblem(value, "expected a table")
        for name, v in value.items():
            if not item(v):
                raise KeyProblem(v, f"expected {what}", suffix=f".{name}")
        return dict(value)
    return check


def _points(value: Any) -> list[list[float]]:
    """Points of 2 or 3 coordinates, padded to 3 so that every consumer sees (x, y, z)."""
    return [p + [0.0] * (3 - len(p)) for p in _probe_points(value)]


def _probe_points(value: Any) -> list[list[float]]:
    """Points of 2 or 3 coordinates, kept as given: `Output.check` pads them to (x, y, z) once
    the case's dimension is known, so that a 3D case can refuse a point without z."""
    if not isinstance(value, list):
        raise KeyProblem(value, "expected a list of points [x, y] or [x, y, z]{unit}")
    for i, p in enumerate(value):
        if not (isinstance(p, list) and len(p) in (2, 3) and all(is_finite(x) for x in p)):
            raise KeyProblem(p, "expected a point [x, y] or [x, y, z] of finite numbers{unit}", suffix=f"[{i}]")
    return [[float(x) for x in p] for p in value]


def _vector(value: Any) -> list[float]:
    """A vector of 2 or 3 finite numbers, padded to 3 components (x, y, z)."""
    if not (isinstance(value, list) and len(value) in (2, 3)
            and all(is_finite(x) and not isinstance(x, bool) for x in value)):
        raise KeyProblem(value, "expected a vector [x, y] or [x, y, z] of finite numbers{unit}")
    return [float(x) for x in value] + [0.0] * (3 - len(value))


def _miller(value: Any) -> list[int]:
    """A crystal direction: three integer Miller indices, not all zero."""
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(x, int) and not isinstance(x, bool)
                                                                 for x in value) and any(value)):
        raise KeyProblem(value, "expected a crystal direction [h, k, l]: three integers, not all zero")
    return list(value)


def _weights(value: Any) -> list[float]:
    """Three positive finite numbers (relative swelling along x, y, z)."""
    if not (isinstance(value, list) and len(value) == 3
            and all(is_finite(x) and not isinstance(x, bool) and x > 0 for x in value)):
        raise KeyProblem(value, "expected a list of 3 positive numbers [wx, wy, wz]")
    return [float(x) for x in value]


StrList = Annotated[list[str], Label("str_list", "list of strings"), PlainValidator(_str_list)]
NameMap = Annotated[dict[str, str | int], Label("name_map", "table: name -> string or integer"),
                    PlainValidator(_table(lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)),
                                          "a string or an integer"))]
ScalarMap = Annotated[dict[str, str | float | bool], Label("scalar_map", "table: name -> string, number or boolean"),
                      PlainValidator(_table(lambda v: isinstance(v, str | bool) or is_finite(v),
                                            "a string, a finite number or a boolean"))]
Points = Annotated[list[list[float]], Label("points", "list of [x, y] or [x, y, z]"), PlainValidator(_points)]
ProbePoints = Annotated[list[list[float]], Label("probe_points", "list of [x, y] or [x, y, z]"),
                        PlainValidator(_probe_points)]
Vector = Annotated[list[float], Label("vector", "[x, y] or [x, y, z]"), PlainValidator(_vector)]
Miller = Annotated[list[int], Label("miller", "[h, k, l] (integers)"), PlainValidator(_miller)]
Weights = Annotated[list[float], Label("weights", "list of 3 positive numbers"), PlainValidator(_weights)]
