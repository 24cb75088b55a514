"""Rectangular plate with an optional edge slit: the fracture benchmarks (single-edge-notched
tension, Miehe, Hofacker & Welschinger 2010; the surfing problem, Hossain, Hsueh, Bourdin &
Bhattacharya 2014).

The plate spans x in [0, width], y in [-height/2, height/2] (2D only). The slit is a void of
``slit_width`` x ``slit_length`` along y = 0 from the left edge (flat end at x = slit_length);
a narrow void rather than a zero-width cut keeps the model a plain OCC fragment. A band of
width ``band_width`` about y = 0, from a half band before the slit tip to the right edge (the
expected crack path), is meshed with ``mesh_size_surface``; the size grows to ``mesh_size``
over a distance of ``mesh_size`` outside it.

Region: ``si`` (the whole plate; its material comes from ``[active]``).
Boundaries: ``left``, ``right``, ``bottom``, ``top`` and ``notch`` (the slit faces).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gmsh

from sifrac.meshes.common import DimTag, Face, Plan, box, check_common, positive

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry


def plan(geometry: Geometry, with_electrolyte: bool) -> Plan:
    """Check the plate keys and describe the model (the electrolyte flag does not apply)."""
    dim = check_common(geometry)
    if dim != 2:
        raise ValueError(f"geometry.kind = 'plate' is 2D only; geometry.dim must be 2, got {dim}")
    positive(geometry, "width", "height", "band_width")
    w, h = float(geometry.width), float(geometry.height)
    a = float(geometry.slit_length or 0.0)
    slit = a > 0
    if slit:
        positive(geometry, "slit_width")
        if a >= w:
            raise ValueError("geometry.slit_length must be smaller than geometry.width")
        if geometry.slit_width >= h:
            raise ValueError("geometry.slit_width must be smaller than geometry.height")
    s = float(geometry.slit_width) if slit else 0.0
    band = float(geometry.band_width)
    slit_lo, slit_hi = [0.0, -0.5 * s], [a, 0.5 * s]

    def shapes() -> dict[str, list[DimTag]]:
        plate = [box(2, [0.0, -0.5 * h], [w, 0.5 * h])]
        if slit:
            plate, _ = gmsh.model.occ.cut(plate, [box(2, slit_lo, slit_hi)])
        return {"si": plate}

    def facet_name(regions: frozenset[str], face: Face) -> str:
        if slit and face.within(slit_lo, slit_hi):
            return "notch"
        named = [((0, 0.0), "left"), ((0, w), "right"), ((1, -0.5 * h), "bottom"), ((1, 0.5 * h), "top")]
        return next((name for plane, name in named if face.on_plane(*plane)), "free")

    def size_field() -> None:
        if geometry.mesh_size_surface >= geometry.mesh_size:
            return
        fields = gmsh.model.mesh.field
        refined = fields.add("Box")
        fields.setNumber(refined, "VIn", geometry.mesh_size_surface)
        fields.setNumber(refined, "VOut", geometry.mesh_size)
        fields.setNumber(refined, "XMin", max(0.0, a - 0.5 * band))
        fields.setNumber(refined, "XMax", w)
        fields.setNumber(refined, "YMin", -0.5 * band)
        fields.setNumber(refined, "YMax", 0.5 * band)
        fields.setNumber(refined, "Thickness", geometry.mesh_size)
        fields.setAsBackgroundMesh(refined)

    return Plan(
        dim=2,
        mesh_size=geometry.mesh_size,
        mesh_size_surface=geometry.mesh_size_surface,
        shapes=shapes,
        facet_name=facet_name,
        reference_length=w,
        exact_measures={"si": w * h - a * s},
        size_field=size_field,
    )
