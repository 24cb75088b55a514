"""`[active]`, `[electrolyte]`, `[collector]`: a library material by name, its parameters filled
from the library (solver/materials.py) and overridable key by key.

The keys of a material section are generated from `materials.PARAMETERS` (each parameter whose
roles meet the section's): a new material parameter is a new PARAMETERS entry, nothing here.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import create_model, field_validator

from sifrac.solver import materials
from sifrac.solver.case.errors import KeyProblem, format_value, value_error
from sifrac.solver.case.keys import Earlier, Label, Section, key

MaterialName = Annotated[str, Label("material", "string (material name)")]


class MaterialSection(Section):
    """A section naming a library material; any parameter of `roles` may be overridden."""

    section: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()
    noun: ClassVar[str] = ""  # "an electrolyte": what a wrong-role material is not
    material: MaterialName

    @classmethod
    def choices(cls) -> tuple[str, ...]:
        return tuple(sorted(n for r in cls.roles for n in materials.names(r)))

    @field_validator("material", mode="plain")
    @classmethod
    def _library_name(cls, value: Any) -> str:
        allowed = "allowed: " + ", ".join(cls.choices())
        if not isinstance(value, str):
            raise KeyProblem(value, f"expected a material name; {allowed}")
        if value not in materials.LIBRARY:
            raise KeyProblem(value, f"unknown material; {allowed}")
        if value not in cls.choices():
            raise KeyProblem(value, f"not {cls.noun}; {allowed}")
        return value

    def expand(self, earlier: Earlier) -> None:
        """Library parameters of the chosen material where the case sets none; a case may set
        only the parameters of the material's own role."""
        material = materials.get(self.material)
        own = [p for p, s in materials.PARAMETERS.items() if material.role in s.roles]
        for name in self.key_order()[1:]:
            value = getattr(self, name)
            if value is not None and name not in own:
                raise value_error(f"[{self.section}] {name}", value,
                                  f"not a parameter of {material.role} material {format_value(material.name)}; "
                                  f"allowed: {', '.join(own) or 'none'}")
        for name, value in material.values().items():
            if getattr(self, name) is None:
                setattr(self, name, value)

    def key_order(self) -> list[str]:
        """The resolved file's order: material, the library's parameters, then the case's others."""
        library = list(materials.get(self.material).values())
        rest = [k for k in type(self).model_fields if k != "material" and k not in library]
        return ["material", *library, *rest]


def material_section(section: str, doc: str, roles: tuple[str, ...], noun: str,
                     default: str) -> type[MaterialSection]:
    """The model of one material section: `material` and every parameter of `roles`."""
    fields: dict[str, Any] = {}
    for name, p in materials.PARAMETERS.items():
        if set(p.roles) & set(roles):
            kind = Literal[p.choices] if p.choices else float  # type: ignore[valid-type]
            fields[name] = (kind | None, key(None, p.meaning, unit=p.unit, range=p.range))
    model = create_model(section.capitalize(), __base__=MaterialSection, __doc__=doc,
                         material=(MaterialName, key(default, "material name; its parameters fill the section "
                                            "(`sifrac materials` lists them)")), **fields)
    model.roles, model.noun, model.section = roles, noun, section
    return model


Active = material_section("active", "The active (Si) material.", ("active",), "an active material", "c-Si")
Electrolyte = material_section("electrolyte", "The electrolyte around the Si; liquid: a free surface.",
                               ("electrolyte", "liquid"), "an electrolyte", "liquid")
Collector = material_section("collector", "The current collector (thin-film substrate).", ("collector",),
                             "a current collector", "Cu")
