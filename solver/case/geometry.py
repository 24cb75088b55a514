"""`[geometry]`: one model per geometry kind, a discriminated union on `kind`.

`Geometry` declares every key of every kind (a key of another kind is kept when given, unset
otherwise: a study may switch the kind of a case that sets keys of both); each kind owns its keys
(`owned`: their defaults, the reference's `when kind = ...`) and says what its reference length
and its smallest span are. Adding a kind-specific key: declare it on `Geometry` with default None
and own it in the kinds that use it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from sifrac.solver.case.errors import format_value, value_error
from sifrac.solver.case.keys import AUTO, Earlier, Section, key, owned, tidy
from sifrac.solver.case.types import NameMap
from sifrac.solver.materials import NON_NEGATIVE, POSITIVE

Kind = Literal["particle", "nanowire", "hollow_sphere", "thin_film", "plate", "file"]
Substrate = Literal["collector", "electrolyte"]
ROUND_KINDS = ("particle", "nanowire", "hollow_sphere")
FILE_FALLBACK_LENGTH = 100.0  # nm, reference length of a file mesh without reference_length
#: Fewest elements across the body's smallest span (`Geometry.span`) that still resolve it.
MIN_ELEMENTS_ACROSS = 2


class Geometry(Section):
    """The Si body and its surroundings; keys of other kinds are kept."""

    kind: Kind = key("particle", "geometry family")
    dim: Literal[2, 3] = key(2, "spatial dimension")
    symmetry: bool = key(False, "mesh only the symmetric part, with symmetry boundary conditions")
    mesh_size: float = key(AUTO, "element size in the bulk; reference length = diameter (round kinds), "
                           "thickness (thin_film) or reference_length, else "
                           f"{FILE_FALLBACK_LENGTH:g} nm (file)", unit="nm", range=POSITIVE)
    mesh_size_surface: float = key(AUTO, "element size at the lithiated surface", unit="nm", range=POSITIVE,
                                   relations=(("<=", "mesh_size"),))
    diameter: float | None = key(None, "outer diameter of the particle, wire or hollow sphere", unit="nm",
                                 range=POSITIVE)
    inner_diameter: float | None = key(None, "inner diameter of the hollow sphere (Yao et al. 2011: 350/400)",
                                       unit="nm", range=POSITIVE, relations=(("<", "diameter"),))
    length: float | None = key(None, "axial length of the nanowire (3D)", unit="nm", range=POSITIVE)
    top_refine_radius: float | None = key(None, "radius of a ball about the top point (0, diameter/2, 0), "
                                          "where [fracture] surface_flaw sits, meshed with mesh_size_top; "
                                          "lets the rest of the surface stay coarser (unset: no ball)",
                                          unit="nm", range=POSITIVE)
    mesh_size_top: float | None = key(None, "element size inside the top refinement ball (unset: "
                                      "mesh_size_surface); also the width of the surface flaw's band",
                                      unit="nm", range=POSITIVE)
    matrix: bool | None = key(None, "embed the body in a box of solid electrolyte (ignored with a liquid "
                              "electrolyte)")
    matrix_size: float | None = key(None, "edge of the electrolyte box", unit="nm", range=POSITIVE,
                                    relations=((">", "diameter"),))
    thickness: float | None = key(None, "Si film thickness", unit="nm", range=POSITIVE)
    width: float | None = key(None, "film width (in-plane extent of the model); plate: x extent", unit="nm",
                              range=POSITIVE)
    depth: float | None = key(None, "film depth (3D, out-of-plane extent)", unit="nm", range=POSITIVE)
    substrate: Substrate | None = key(None, "what lies under the film")
    substrate_thickness: float | None = key(None, "substrate thickness", unit="nm", range=POSITIVE)
    cap: bool | None = key(None, "solid-electrolyte layer on top of the film (ignored with a liquid electrolyte)")
    cap_thickness: float | None = key(None, "thickness of the electrolyte cap", unit="nm", range=POSITIVE)
    notch_depth: float | None = key(None, "depth of a surface notch (0: no notch)", unit="nm", range=NON_NEGATIVE,
                                    relations=(("<", "thickness"),))
    notch_width: float | None = key(None, "width of the surface notch", unit="nm", range=POSITIVE,
                                    relations=(("<", "width"),))
    height: float | None = key(None, "plate y extent; the plate spans x in [0, width], y in [-height/2, height/2]",
                               unit="nm", range=POSITIVE)
    slit_length: float | None = key(None, "length of the edge slit from x = 0 along y = 0 (0: none)", unit="nm",
                                    range=NON_NEGATIVE, relations=(("<", "width"),))
    slit_width: float | None = key(None, "opening of the edge slit (a thin void with a flat end)", unit="nm",
                                   range=POSITIVE, relations=(("<", "height"),))
    band_width: float | None = key(None, "width of the band about y = 0, from the slit tip to x = width, meshed "
                                   "with mesh_size_surface (the expected crack path)", unit="nm", range=POSITIVE,
                                   relations=(("<=", "height"),))
    file: str | None = key(None, "mesh file (.msh or .xdmf), relative to the working directory")
    region_map: NameMap | None = key(None, "region name (si, electrolyte, collector) -> physical group name or tag")
    boundary_map: NameMap | None = key(None, "boundary name -> physical group name or tag")
    reference_length: float | None = key(None, "size of the Si body of a file mesh; unset: measured from the mesh "
                                         f"(mesh_size then uses {FILE_FALLBACK_LENGTH:g} nm)", unit="nm",
                                         range=POSITIVE)
    xdmf_mesh_name: str | None = key(None, "mesh name inside an XDMF file")
    xdmf_cell_tags: str | None = key(None, "cell tags name inside an XDMF file")
    xdmf_facet_tags: str | None = key(None, "facet tags name inside an XDMF file")

    def size(self) -> float:
        """The size that sets the auto mesh size and the diffusion time scale (nm)."""
        raise NotImplementedError

    def span(self) -> tuple[float, str] | None:
        """The smallest span of the Si body that the mesh must resolve and its name; None for a
        file mesh (its own element sizes)."""
        raise NotImplementedError

    def auto_mesh_size(self, earlier: Earlier) -> float:
        """reference length / 15"""
        return self.size() / 15.0

    def auto_mesh_size_surface(self, earlier: Earlier) -> float:
        """mesh_size"""
        return 1.0 * self.mesh_size

    def check(self, earlier: Earlier) -> None:
        """Elements too large to resolve the body at all (e.g. mesh_size = 500 on a 50 nm
        particle, which meshed with 7 cells and ran) are refused: fewer than MIN_ELEMENTS_ACROSS
        elements of mesh_size_surface (the size on the body's surfaces) across its span."""
        span = self.span()
        if span is None:
            return
        length, name = span
        largest = length / MIN_ELEMENTS_ACROSS
        if self.mesh_size_surface > largest:
            raise value_error("[geometry] mesh_size_surface", self.mesh_size_surface,
                              f"elements this size cannot resolve the Si body ({name} {format_value(tidy(length))} nm: "
                              f"fewer than {MIN_ELEMENTS_ACROSS} elements across; mesh_size = "
                              f"{format_value(self.mesh_size)}); allowed: mesh_size_surface <= "
                              f"{format_value(tidy(largest))} nm")


class _Round(Geometry):
    """The round kinds: a particle, a wire's cross-section or a hollow sphere."""

    diameter: float = owned(Geometry, "diameter", 150.0)
    top_refine_radius: float | None = owned(Geometry, "top_refine_radius", None)
    mesh_size_top: float | None = owned(Geometry, "mesh_size_top", None)
    matrix: bool = owned(Geometry, "matrix", False)
    matrix_size: float | None = owned(Geometry, "matrix_size", AUTO, when={"matrix": True})

    def size(self) -> float:
        return self.diameter

    def span(self) -> tuple[float, str] | None:
        return self.diameter / 2, "radius"

    def auto_matrix_size(self, earlier: Earlier) -> float:
        """2 * diameter"""
        return 2.0 * self.diameter


class Particle(_Round):
    kind: Literal["particle"] = owned(Geometry, "kind", "particle")


class Nanowire(_Round):
    kind: Literal["nanowire"] = owned(Geometry, "kind", "nanowire")
    length: float | None = owned(Geometry, "length", AUTO, when={"dim": 3})

    def auto_length(self, earlier: Earlier) -> float:
        """2 * diameter"""
        return 2.0 * self.diameter


class HollowSphere(_Round):
    kind: Literal["hollow_sphere"] = owned(Geometry, "kind", "hollow_sphere")
    inner_diameter: float = owned(Geometry, "inner_diameter", AUTO)

    def span(self) -> tuple[float, str] | None:
        return (self.diameter - self.inner_diameter) / 2, "wall thickness"

    def auto_inner_diameter(self, earlier: Earlier) -> float:
        """0.875 * diameter"""
        return 0.875 * self.diameter


class ThinFilm(Geometry):
    kind: Literal["thin_film"] = owned(Geometry, "kind", "thin_film")
    thickness: float = owned(Geometry, "thickness", 1000.0)
    width: float = owned(Geometry, "width", AUTO)
    depth: float | None = owned(Geometry, "depth", AUTO, when={"dim": 3})
    substrate: Substrate = owned(Geometry, "substrate", "collector")
    substrate_thickness: float = owned(Geometry, "substrate_thickness", AUTO)
    cap: bool = owned(Geometry, "cap", False)
    cap_thickness: float | None = owned(Geometry, "cap_thickness", AUTO, when={"cap": True})
    notch_depth: float = owned(Geometry, "notch_depth", 0.0)
    notch_width: float = owned(Geometry, "notch_width", AUTO)

    def size(self) -> float:
        return self.thickness

    def span(self) -> tuple[float, str] | None:
        return self.thickness, "film thickness"

    def auto_width(self, earlier: Earlier) -> float:
        """2 * thickness"""
        return 2.0 * self.thickness

    def auto_depth(self, earlier: Earlier) -> float:
        """0.5 * thickness"""
        return 0.5 * self.thickness

    auto_substrate_thickness = auto_cap_thickness = auto_depth

    def auto_notch_width(self, earlier: Earlier) -> float:
        """0.1 * thickness"""
        return 0.1 * self.thickness


class Plate(Geometry):
    kind: Literal["plate"] = owned(Geometry, "kind", "plate")
    width: float = owned(Geometry, "width", 1000.0)
    height: float = owned(Geometry, "height", AUTO)
    slit_length: float = owned(Geometry, "slit_length", 0.0)
    slit_width: float = owned(Geometry, "slit_width", AUTO)
    band_width: float = owned(Geometry, "band_width", AUTO)

    def size(self) -> float:
        return self.width

    def span(self) -> tuple[float, str] | None:
        return min(self.width, self.height), "smaller side"

    def auto_height(self, earlier: Earlier) -> float:
        """width"""
        return 1.0 * self.width

    def auto_slit_width(self, earlier: Earlier) -> float:
        """mesh_size_surface"""
        return 1.0 * self.mesh_size_surface

    def auto_band_width(self, earlier: Earlier) -> float:
        """0.1 * height"""
        return 0.1 * self.height


class FileMesh(Geometry):
    kind: Literal["file"] = owned(Geometry, "kind", "file")
    file: str = owned(Geometry, "file", ...)
    region_map: NameMap | None = owned(Geometry, "region_map", None)
    boundary_map: NameMap | None = owned(Geometry, "boundary_map", None)
    reference_length: float | None = owned(Geometry, "reference_length", None)
    xdmf_mesh_name: str = owned(Geometry, "xdmf_mesh_name", "mesh")
    xdmf_cell_tags: str = owned(Geometry, "xdmf_cell_tags", "cell_tags")
    xdmf_facet_tags: str = owned(Geometry, "xdmf_facet_tags", "facet_tags")

    def size(self) -> float:
        return FILE_FALLBACK_LENGTH if self.reference_length is None else self.reference_length

    def span(self) -> tuple[float, str] | None:
        return None


KINDS: dict[str, type[Geometry]] = {"particle": Particle, "nanowire": Nanowire, "hollow_sphere": HollowSphere,
                                    "thin_film": ThinFilm, "plate": Plate, "file": FileMesh}


def _kind(given: Any) -> str | None:
    kind = given.get("kind", "particle") if isinstance(given, dict) else getattr(given, "kind", None)
    return kind if isinstance(kind, str) else None


AnyGeometry = Annotated[Annotated[Particle, Tag("particle")] | Annotated[Nanowire, Tag("nanowire")]
                        | Annotated[HollowSphere, Tag("hollow_sphere")] | Annotated[ThinFilm, Tag("thin_film")]
                        | Annotated[Plate, Tag("plate")] | Annotated[FileMesh, Tag("file")], Discriminator(_kind)]


def unchecked(keys: dict) -> Geometry:
    """The model of these geometry keys as given: no validation, no derived values (the meshers
    check their own input; their tests hand them geometries a case would refuse)."""
    return KINDS[keys.get("kind", "particle")].model_construct(**keys)
