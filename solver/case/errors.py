"""One error type and one way to write a value, shared by case files and study files, so that both
formats speak alike: `[section] key = value: what is allowed`. Pure Python."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from typing import Any


class CaseError(ValueError):
    """A case-file mistake; the message names `[section] key` and what is allowed."""


class KeyProblem(ValueError):
    """A bad value found where the section is not known (a key's own validator, a section's
    finishing step): `solver.case.adapter` completes it to `[section] key = value: message`.
    `key` names the key where the error's location does not; `suffix` follows the key (`[0]`,
    `.ksp_type`); `value` is left out of the message when it is NO_VALUE."""

    def __init__(self, value: Any, message: str, key: str | None = None, suffix: str = "") -> None:
        super().__init__(message)
        self.value, self.message, self.key, self.suffix = value, message, key, suffix


NO_VALUE = object()


def format_value(value: Any) -> str:
    """A value as it would be written in TOML, for messages and the reference."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def value_error(where: str, value: Any, message: str) -> CaseError:
    """`where = value: message`, e.g. `[geometry] diameter = -1.0: must be > 0 (nm)`."""
    return CaseError(f"{where} = {format_value(value)}: {message}")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    """A finite number; TOML integers beyond the float range count as infinite."""
    try:
        return is_number(value) and math.isfinite(value)
    except OverflowError:
        return False


#: Comparison operators by their TOML spelling: a key's `relations` and a study's criterion `op`.
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}
