"""The case-file reference (docs/case-reference.md, `make docs`), generated from the models: one
table per section with every key's type, default or auto formula, allowed values, unit, meaning
and the condition under which its default applies."""

from __future__ import annotations

import inspect

from pydantic import BaseModel

from sifrac.solver import materials
from sifrac.solver.case.errors import format_value
from sifrac.solver.case.introspect import SectionSchema, schemas
from sifrac.solver.case.keys import Section, allowed, meta_of, type_text
from sifrac.solver.case.material_sections import MaterialSection
from sifrac.solver.case.model import Case


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def default_text(member: type[Section], key: str) -> str:
    """`auto: formula`, a literal default, `required`, `from the material` or `unset`."""
    field, meta = member.model_fields[key], meta_of(member.model_fields[key])
    if meta.auto:
        return "auto: " + inspect.getdoc(getattr(member, f"auto_{key}")).splitlines()[0]
    default = meta.default if meta.default is not None else field.default
    if field.is_required():
        return "required"
    if default is not None:
        return f"`{format_value(default)}`"
    from_material = issubclass(member, MaterialSection) and key in materials.PARAMETERS
    return "from the material" if from_material else "unset"


def _default_cell(schema: SectionSchema, key: str) -> str:
    owners = schema.owners(key)
    texts = {}
    for member in owners:
        texts.setdefault(default_text(member, key), []).extend(schema.tags(member))
    if len(texts) > 1:
        return "; ".join(f"{text} ({', '.join(tags)})" for text, tags in texts.items())
    return next(iter(texts)) if texts else default_text(schema.base, key)


def _allowed(schema: SectionSchema, key: str) -> str:
    if issubclass(schema.base, MaterialSection) and key == "material":
        return "one of " + ", ".join(format_value(c) for c in schema.base.choices())
    return allowed(schema.keys()[key])


def section_markdown(schema: SectionSchema) -> list[str]:
    """One section's reference: heading, doc and a table of its keys."""
    lines = [f"## [{schema.name}]", "", schema.doc, "",
             "| key | type | default | allowed | unit | meaning |",
             "|---|---|---|---|---|---|"]
    for key, field in schema.keys().items():
        meta = meta_of(field)
        when = schema.when_text(key)
        meaning = (field.description or "") + (f" (when {when})" if when else "")
        if meta.relations:
            meaning += "; must be " + ", ".join(f"{op} {o}" for op, o in meta.relations)
        cells = (f"`{key}`", type_text(field), _default_cell(schema, key), _allowed(schema, key), meta.unit, meaning)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    return lines


def reference_markdown(model: type[BaseModel] = Case) -> str:
    """The case-file reference (Markdown tables), generated from the `Case` model."""
    lines = ["# Case-file reference", "",
             "Units: nm, GPa, s; concentrations as a fraction of c_max. Every section and key is optional unless "
             "marked required. `auto` values are derived when the case is resolved; the resolved case is written "
             "next to the results.", ""]
    for schema in schemas(model).values():
        lines += section_markdown(schema)
    return "\n".join(lines)
