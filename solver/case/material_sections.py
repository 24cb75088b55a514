"""`[active]`, `[electrolyte]`, `[collector]`: a library material by name, its parameters filled
from the library (solver/materials.py) and overridable key by key.

The keys of a material section are generated from `materials.PARAMETERS` (each parameter whose
roles meet the section's): a new material parameter is a new PARAMETERS entry, nothing here.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import create_model, field_validator

from sifrac.solver import front, materials
from sifrac.solver.case.errors import KeyProblem, format_value, value_error
from sifrac.solver.case.keys import Earlier, Label, Section, key, tidy
from sifrac.solver.case.types import Miller
from sifrac.solver.materials import POSITIVE, Range

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
        only the parameters of the material's own role (and the section's own keys, which are not
        material parameters)."""
        material = materials.get(self.material)
        own = [p for p, s in materials.PARAMETERS.items() if material.role in s.roles]
        for name in self.key_order()[1:]:
            value = getattr(self, name)
            if value is not None and name not in own and name in materials.PARAMETERS:
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


#: The [active] keys of the reaction front that are not material parameters (no library value,
#: no source): the body's crystal orientation and the front's numerics.
FRONT_KEYS = ("crystal_axis", "crystal_x", "front_width", "front_stall")


class ActiveSection(MaterialSection):
    """The active material, and the reaction front's own keys (front_law = "reaction"): unset
    otherwise, so that a case without the front resolves as before."""

    crystal_axis: Miller | None = key(None, "reaction front: the crystal direction along the mesh z axis (a pillar's "
                                      "axis; the normal of a 2D or axisymmetric section); default [0, 0, 1]")
    crystal_x: Miller | None = key(None, "reaction front: the crystal direction along the mesh x axis, orthogonal to "
                                   "crystal_axis; default [1, 0, 0]. <100> pillar: [0, 0, 1] and [1, 0, 0]; <110> "
                                   "pillar: [1, 1, 0] and [0, 0, 1]")
    front_width: float | None = key(None, "reaction front: width l0 of the Allen-Cahn front (its profile rises from "
                                    "10% to 90% over 0.78 l0); default 5 * [geometry] mesh_size: the front crosses "
                                    "the body, and l0 / h >= 5 keeps its speed within 1%", unit="nm", range=POSITIVE)
    front_stall: float | None = key(None, "reaction front: the run ends (c-Si) or the second step starts (a-Si) "
                                    "when the fastest point of the front moves slower than front_stall * "
                                    "front_speed; default 1e-3", unit="-",
                                    range=Range(0.0, 1.0, lo_open=True, hi_open=True))

    @property
    def reaction_front(self) -> bool:
        """Whether the lithiation front moves by the reaction law."""
        return self.front_law == "reaction"

    def check(self, earlier: Earlier) -> None:
        """The front keys and the LixSi moduli laws only with the reaction front; with it, c counted
        per Li3.75Si (the library's a-Si counts it per Li2.5Si, the lithiated phase of its diffusion
        model: c_max and the expansion are rebased, since the second step goes on to Li3.75Si) and
        crystal axes that are orthogonal and, on a symmetry-reduced mesh, mirror planes of the
        crystal. The rules that involve [loading] are `Loading.check_front`."""
        if not self.reaction_front:
            given = [k for k in FRONT_KEYS if getattr(self, k) is not None]
            if given:
                raise value_error(f"[active] {given[0]}", getattr(self, given[0]), "applies to the reaction front "
                                  "only; allowed with front_law = \"reaction\"")
            if self.modulus_law != "interpolated":
                raise value_error("[active] modulus_law", self.modulus_law, "the LixSi laws need the lithiated "
                                  "phase fraction of the reaction front; allowed with front_law = \"diffusion\": "
                                  "interpolated")
            return
        geometry = earlier.geometry
        for name, default in (("crystal_axis", [0, 0, 1]), ("crystal_x", [1, 0, 0]),
                              ("front_width", tidy(5.0 * geometry.mesh_size)), ("front_stall", 1e-3)):
            if getattr(self, name) is None:
                setattr(self, name, default)
        full = materials.c_max_of(materials.FULL_LITHIATION)
        if not math.isclose(self.c_max, full, rel_tol=1e-6):
            library = materials.get(self.material).values()
            if self.c_max != library["c_max"] or self.expansion != library["expansion"]:
                raise value_error("[active] c_max", self.c_max, f"the reaction front counts c per Li3.75Si; "
                                  f"allowed: {format_value(full)} (with expansion = partial_molar_volume * c_max)")
            self.c_max = full
            self.expansion = tidy(self.partial_molar_volume * full)
        try:
            axes = front.axes_from_keys(self.crystal_axis, self.crystal_x)
        except ValueError as exc:
            raise value_error("[active] crystal_x", self.crystal_x, f"{exc}; allowed: a direction orthogonal "
                              f"to crystal_axis = {self.crystal_axis}") from None
        if geometry.symmetry and self.front_orientation != "isotropic":
            for axis, name in enumerate("xyz"[:geometry.dim]):
                direction = axes[:, axis]
                if not _mirror_direction(direction):
                    raise value_error("[active] crystal_x", self.crystal_x, f"the symmetry plane normal to mesh "
                                      f"{name} is no mirror plane of the crystal (mesh {name} is along "
                                      f"{_direction_text(direction)}); allowed with [geometry] symmetry = true: "
                                      "mesh axes along <100> or <110> directions, or symmetry = false")


def _mirror_direction(d: np.ndarray) -> bool:
    """Whether a direction (crystal components) is the normal of a mirror plane of the cubic
    crystal: a <100> or a <110> direction."""
    a = sorted(abs(x) for x in d)
    return bool(math.isclose(a[0], 0.0, abs_tol=1e-9) and (math.isclose(a[1], 0.0, abs_tol=1e-9)
                                                          or math.isclose(a[1], a[2], rel_tol=1e-9)))


def _direction_text(d: np.ndarray) -> str:
    """A crystal direction as the smallest integer triple near it, e.g. [1, -1, 0]."""
    v = np.asarray(d, float) / np.max(np.abs(d))
    for scale in range(1, 7):
        w = v * scale
        if np.allclose(w, np.round(w), atol=1e-6):
            return "[" + ", ".join(str(int(x)) for x in np.round(w)) + "]"
    return "[" + ", ".join(f"{x:.3f}" for x in d) + "]"


def material_section(section: str, doc: str, roles: tuple[str, ...], noun: str, default: str,
                     base: type[MaterialSection] = MaterialSection) -> type[MaterialSection]:
    """The model of one material section: `material` and every parameter of `roles` (and the
    keys of `base`, the section's own)."""
    fields: dict[str, Any] = {}
    for name, p in materials.PARAMETERS.items():
        if set(p.roles) & set(roles):
            kind = Literal[p.choices] if p.choices else float  # type: ignore[valid-type]
            fields[name] = (kind | None, key(None, p.meaning, unit=p.unit, range=p.range))
    model = create_model(section.capitalize(), __base__=base, __doc__=doc,
                         material=(MaterialName, key(default, "material name; its parameters fill the section "
                                            "(`sifrac materials` lists them)")), **fields)
    model.roles, model.noun, model.section = roles, noun, section
    return model


Active = material_section("active", "The active (Si) material. With front_law = \"reaction\" the crystal and front "
                          "keys below apply (docs/user-guide.md, Reaction-controlled front).", ("active",),
                          "an active material", "c-Si", ActiveSection)
Electrolyte = material_section("electrolyte", "The electrolyte around the Si; liquid: a free surface.",
                               ("electrolyte", "liquid"), "an electrolyte", "liquid")
Collector = material_section("collector", "The current collector (thin-film substrate).", ("collector",),
                             "a current collector", "Cu")
