"""pydantic's ValidationError as sifrac's one-line CaseError, `[section] key = value: what is
allowed`: the first error found (sections and keys are checked in file order) is turned into the
message a user has always read, using the key's unit, range and choices from its model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sifrac.solver.case.errors import NO_VALUE, CaseError, KeyProblem, format_value
from sifrac.solver.case.introspect import SectionSchema, schemas, section_schema
from sifrac.solver.case.keys import allowed, type_text, unit_suffix

_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def case_error(exc: ValidationError, model: type[BaseModel], section: str | None = None) -> CaseError:
    """The CaseError of the first error of `exc`, raised validating `model`: a whole file model
    (`Case`) or, with `section` naming it, one section's model or union."""
    error = next(e for e in exc.errors(include_url=False) if e["type"] != "skipped")
    loc, kind, given = error["loc"], error["type"], error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, CaseError):
        return cause
    if section is None:
        if not loc:
            return CaseError(str(cause) if cause is not None else error["msg"])
        schema, loc = schemas(model)[loc[0]], loc[1:]
    else:
        schema = section_schema(section, model)
    member = schema.base
    if schema.members and loc and loc[0] in schema.members:
        member, loc = schema.members[loc[0]], loc[1:]
    where = f"[{schema.name}]"
    key = loc[0] if loc else None
    if isinstance(cause, KeyProblem):
        key = cause.key or key
        field = member.model_fields.get(key) if key else None
        head = f"{where} {key}{cause.suffix}" if key else where
        message = cause.message.replace("{unit}", unit_suffix(field) if field else "")
        return CaseError(f"{head}: {message}" if cause.value is NO_VALUE else
                         f"{head} = {format_value(cause.value)}: {message}")
    if key is None:
        return _section_error(schema, where, given)
    field = member.model_fields[key]
    if kind == "missing":
        return CaseError(f"{where} {key}: required when {schema.when_text(key, member)} "
                         f"({type_text(field)}: {field.description})")
    return CaseError(f"{where} {key} = {format_value(given)}: {_value_message(kind, given, field)}")


def _section_error(schema: SectionSchema, where: str, given: Any) -> CaseError:
    """A section that is not a table, or whose discriminator (kind, mode) picks no member."""
    if not isinstance(given, dict):
        return CaseError(f"{where} = {format_value(given)}: expected a table (a section)")
    name = schema.discriminator
    value = given[name]
    field = schema.base.model_fields[name]
    what = "expected a string " if not isinstance(value, str) else "must be "
    return CaseError(f"{where} {name} = {format_value(value)}: {what}{allowed(field)}")


def _value_message(kind: str, given: Any, field: Any) -> str:
    """What is wrong with a value pydantic refused, in the words of the reference."""
    allowed_text, unit = allowed(field), unit_suffix(field)
    expected = {"float_type": "a finite number" if isinstance(given, int) and not isinstance(given, bool)
                else "a number", "finite_number": "a finite number", "int_type": "an integer",
                "string_type": "a string"}
    if kind in expected:
        return f"expected {expected[kind]}" + (f" {allowed_text}" if allowed_text else "") + unit
    if kind == "bool_type":
        return "expected true or false"
    if kind == "literal_error":
        return f"must be {allowed_text}"
    if kind in _RANGE_ERRORS:
        return f"must be {allowed_text}{unit}"
    raise AssertionError(f"no message for pydantic error {kind!r} of {given!r}")
