"""Reading the case models back as a schema: which keys a section has, which union members (geometry
kinds, loading modes, study modes) own a key and under what condition its default applies. Used by
the error adapter, the generated reference and the study schema's parameter lookup."""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Tag
from pydantic.fields import FieldInfo

from sifrac.solver.case.errors import format_value
from sifrac.solver.case.keys import Section, choices_of, meta_of


@dataclass(frozen=True)
class SectionSchema:
    """A section's model: `base` declares every key; `members` (tag -> model) are the union's
    members, empty for a plain section; `discriminator` is the key that picks the member."""

    name: str
    base: type[Section]
    members: dict[str, type[Section]]
    discriminator: str | None = None

    @property
    def doc(self) -> str:
        return " ".join(inspect.cleandoc(self.base.__doc__ or "").splitlines())

    def keys(self) -> dict[str, FieldInfo]:
        return self.base.model_fields

    def owners(self, key: str) -> list[type[Section]]:
        """The members that own `key`, or [] where every member does (or there is no union)."""
        own = [m for m in self.members.values() if meta_of(m.model_fields[key]).owned]
        return [] if len(own) == len(self.members) else own

    def tags(self, member: type[Section]) -> tuple:
        """The discriminator values that pick `member`."""
        return choices_of(member.model_fields[self.discriminator])

    def when_text(self, key: str, member: type[Section] | None = None) -> str:
        """The condition under which `key`'s default applies, e.g. `kind = "nanowire" and dim = 3`."""
        owners = self.owners(key)
        field = (member or (owners[0] if owners else self.base)).model_fields[key]
        parts = []
        if owners:
            order = choices_of(self.base.model_fields[self.discriminator])
            values = [v for v in order if any(v in self.tags(m) for m in owners)]
            parts.append(f"{self.discriminator} = " + " or ".join(format_value(v) for v in values))
        parts += [f"{k} = " + " or ".join(format_value(v) for v in values) for k, values in meta_of(field).when]
        return " and ".join(parts)


def section_schema(name: str, annotation: Any) -> SectionSchema:
    """The schema of a section annotated as a model or as a discriminated union of models."""
    if inspect.isclass(annotation) and issubclass(annotation, Section):
        return SectionSchema(name, annotation, {})
    union = typing.get_args(annotation)[0]
    members = {}
    for arm in typing.get_args(union):
        model, *meta = typing.get_args(arm)
        members[next(m.tag for m in meta if isinstance(m, Tag))] = model
    first = next(iter(members.values()))
    base = next(c for c in first.__mro__ if all(issubclass(m, c) for m in members.values()))
    discriminator = next(k for k in base.model_fields
                         if all(meta_of(m.model_fields[k]).owned for m in members.values()))
    return SectionSchema(name, base, members, discriminator)


def schemas(model: type[BaseModel]) -> dict[str, SectionSchema]:
    """Every section of a file model (e.g. `Case`), in file order."""
    return {name: section_schema(name, field.annotation if not field.metadata else
                                 Annotated[(field.annotation, *field.metadata)])
            for name, field in model.model_fields.items()}
