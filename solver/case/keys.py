"""What the case models are built on: `Section`, the pydantic model of one file section, and
`key()`, which declares one of its keys (default, meaning, unit, range, condition, relations).

A section resolves itself after pydantic has checked each given value: it fills the defaults that
hold only under a condition (`when`), then the derived ("auto") values, each computed by its
method `auto_<key>` (the method's first docstring line is the formula the reference shows), then
checks the relations between its keys and finally `check()`, the section's own cross-key and
cross-section rules. Sections resolve in file order, and each sees the sections before it
(`Earlier`). Only the model being built is written to, never the input. Pure Python.
"""

from __future__ import annotations

import copy
import inspect
import types
import typing
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticKnownError

from sifrac.solver.case.errors import NO_VALUE, OPS, KeyProblem, format_value
from sifrac.solver.materials import Range


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


#: The default of a key derived from other values by the section's `auto_<key>` method.
AUTO: Any = _Auto()


@dataclass(frozen=True)
class KeyMeta:
    """What pydantic's FieldInfo does not hold: the unit, the condition under which the default
    applies (`when`: earlier keys of the section and their allowed values), the relations to
    sibling keys checked once both are set, and a default applied by the section itself (a
    conditional literal, or `auto`). `owned`: a member of a discriminated union declares the key
    as its own (the others keep it only when given)."""

    unit: str = ""
    when: tuple[tuple[str, tuple], ...] = ()
    relations: tuple[tuple[str, str], ...] = ()
    default: Any = None
    auto: bool = False
    owned: bool = False

    def applies(self, section: BaseModel) -> bool:
        return all(getattr(section, k) in values for k, values in self.when)


@dataclass(frozen=True)
class Label:
    """Annotated metadata of a value type that is not a plain scalar: `name` (the type's short
    name, e.g. for tests that pick wrong values by type) and `text` (the reference's type column)."""

    name: str
    text: str


def _bounds(r: Range | None) -> dict[str, float]:
    if r is None:
        return {}
    out = {}
    if r.lo is not None:
        out["gt" if r.lo_open else "ge"] = r.lo
    if r.hi is not None:
        out["lt" if r.hi_open else "le"] = r.hi
    return out


def key(default: Any = None, doc: str = "", *, unit: str = "", range: Range | None = None,
        when: dict[str, Any] | None = None, relations: tuple[tuple[str, str], ...] = ()) -> Any:
    """Declare a key. `default`: a literal, AUTO (see `auto_<key>`), None (optional: left out when
    unset) or ... (required). `unit`: "-" for dimensionless numbers, "" for non-numbers. `when`:
    {earlier key: value or tuple of values}: the default applies only then. `relations`:
    ((operator, sibling key), ...), e.g. (("<", "diameter"),)."""
    conditions = tuple((k, v if isinstance(v, tuple) else (v,)) for k, v in (when or {}).items())
    deferred = default is AUTO or bool(conditions)
    meta = KeyMeta(unit, conditions, tuple(relations), None if default is AUTO else
                   default if deferred else None, default is AUTO)
    field = Field(None if deferred else default, description=doc, **_bounds(range))
    field.metadata.append(meta)
    return field


def owned(base: type[BaseModel], name: str, default: Any, when: dict[str, Any] | None = None) -> Any:
    """The key `name` of `base` (its meaning, unit, range, relations) as a union member's own key
    with this default; annotate it with the member's (narrower) type."""
    field = base.model_fields[name]
    meta = meta_of(field)
    new = key(default, field.description or "", unit=meta.unit, range=range_of(field), when=when,
              relations=meta.relations)
    new.metadata[-1] = replace(meta_of(new), owned=True)
    return new


def meta_of(field: FieldInfo) -> KeyMeta:
    return next((m for m in field.metadata if isinstance(m, KeyMeta)), KeyMeta())


def range_of(field: FieldInfo) -> Range | None:
    """The allowed interval of a numeric key, from its pydantic constraints."""
    r: dict[str, Any] = {}
    for m in field.metadata:
        for attr, (end, is_open) in {"gt": ("lo", True), "ge": ("lo", False), "lt": ("hi", True),
                                     "le": ("hi", False)}.items():
            if isinstance(m, getattr(annotated_types, attr.capitalize())):
                r[end], r[f"{end}_open"] = getattr(m, attr), is_open
    return Range(**r) if r else None


def _plain(annotation: Any) -> Any:
    """The annotation without `| None` and without Annotated metadata."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in args if a is not type(None))
    return annotation.__origin__ if typing.get_origin(annotation) is Annotated else annotation


def label_of(field: FieldInfo) -> Label | None:
    """The Label of a key's type (in the field's metadata, or inside its `| None`)."""
    annotation = field.annotation
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in args if a is not type(None))
    metadata = [*field.metadata, *getattr(annotation, "__metadata__", ())]
    return next((m for m in metadata if isinstance(m, Label)), None)


def choices_of(field: FieldInfo) -> tuple:
    plain = _plain(field.annotation)
    return typing.get_args(plain) if typing.get_origin(plain) is Literal else ()


def type_of(field: FieldInfo) -> str:
    """The key's type name: float, int, bool, str or a Label's name."""
    label = label_of(field)
    if label is not None:
        return label.name
    choices = choices_of(field)
    plain = type(choices[0]) if choices else _plain(field.annotation)
    return plain.__name__


_TYPE_TEXT = {"float": "float", "int": "integer", "bool": "boolean", "str": "string"}


def type_text(field: FieldInfo) -> str:
    label = label_of(field)
    return label.text if label is not None else _TYPE_TEXT[type_of(field)]


def allowed(field: FieldInfo) -> str:
    """The allowed values of a key, e.g. 'in (0, 1000]' or 'one of "lu", "cg"'."""
    choices = choices_of(field)
    if choices:
        return "one of " + ", ".join(format_value(c) for c in choices)
    r = range_of(field)
    return str(r) if r else ""


def unit_suffix(field: FieldInfo) -> str:
    unit = meta_of(field).unit
    return f" ({unit})" if unit not in ("", "-") else ""


def tidy(value: Any) -> Any:
    """Drop float noise from derived values (1e-4 * 36 -> 0.0036) so resolved files read well."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


class Earlier(types.SimpleNamespace):
    """The sections resolved before the one being resolved (attributes by section name), and
    `file_stem`, the stem of the case or study file."""

    file_stem: str


class Section(BaseModel):
    """One section of a case or study file. Subclasses declare keys with `key()`; the class
    docstring is the section's text in the reference."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Every AUTO key has its `auto_<key>` method, and every such method its AUTO key."""
        super().__pydantic_init_subclass__(**kwargs)
        autos = {n for n, f in cls.model_fields.items() if meta_of(f).auto}
        methods = {n[len("auto_"):] for n, _ in inspect.getmembers(cls, inspect.isfunction)
                   if n.startswith("auto_")}
        if not autos <= methods:
            raise TypeError(f"{cls.__name__}: AUTO keys without auto_<key>: {sorted(autos - methods)}")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, given: Any) -> Any:
        if isinstance(given, dict):
            for name in given:
                if name not in cls.model_fields:
                    raise KeyProblem(NO_VALUE, "unknown key; allowed keys: "
                                     + ", ".join(sorted(cls.model_fields)), key=name)
        return given

    @field_validator("*", mode="before")
    @classmethod
    def _choice_type(cls, value: Any, info: ValidationInfo) -> Any:
        """A choice among integers takes an integer, among strings a string (2.0 is not 2)."""
        choices = choices_of(cls.model_fields[info.field_name])
        if choices and value is not None:
            kind = type(choices[0])
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                raise PydanticKnownError("int_type" if kind is int else "string_type")
        return value

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> Section:
        earlier = (info.context or {}).get("earlier") or Earlier(file_stem="")
        fields = type(self).model_fields
        given = set(self.model_fields_set)
        autos = []
        for name, field in fields.items():
            meta = meta_of(field)
            if name in given or not meta.applies(self):
                continue
            if meta.auto:
                autos.append(name)
            elif meta.default is not None:
                setattr(self, name, copy.deepcopy(meta.default))
        for name in autos:  # after the literal values, in declaration order
            setattr(self, name, tidy(getattr(self, f"auto_{name}")(earlier)))
        self.expand(earlier)
        for name, field in fields.items():
            for op, other in meta_of(field).relations:
                a, b = getattr(self, name), getattr(self, other)
                if a is not None and b is not None and not OPS[op](a, b):
                    raise KeyProblem(a, f"must be {op} {other} = {format_value(b)}{unit_suffix(field)}", key=name)
        self.check(earlier)
        return self

    def expand(self, earlier: Earlier) -> None:
        """Fill values from elsewhere once the given and default ones are in (materials)."""

    def check(self, earlier: Earlier) -> None:
        """Cross-key and cross-section rules; raise CaseError (`value_error`). Default: none."""

    def key_order(self) -> list[str]:
        return list(type(self).model_fields)

    def to_dict(self) -> dict[str, Any]:
        """The section as the resolved case file writes it: set keys only, in key order."""
        return {k: copy.deepcopy(v) for k in self.key_order() if (v := getattr(self, k)) is not None}
