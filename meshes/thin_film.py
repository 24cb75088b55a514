"""Si thin film on a substrate, optionally capped by an electrolyte layer and notched.

Layers along the thickness axis (y in 2D, z in 3D): substrate in [-substrate_thickness, 0],
Si in [0, thickness], cap in [thickness, thickness + cap_thickness]. x spans the width
(centred), y the depth in 3D (centred). The notch is a ``notch_width`` x ``notch_depth``
void cut from the top of the Si at x = 0 (a through-groove along y in 3D); the cap does not
fill it. ``symmetry`` keeps x >= 0.

Regions: ``si``; ``collector`` or ``electrolyte`` (substrate); ``electrolyte`` (cap).
Boundaries:
- ``lithiation_surface``: the free Si top (no cap), without the notch faces;
- ``notch``: every face of the notch void (the Si walls and floor and, with a cap, the cap's
  underside over the groove);
- ``collector_interface``: Si/collector;
- ``interface``: Si/electrolyte; with both an electrolyte substrate and a cap it is the cap
  side (top) and ``interface_substrate`` the bottom;
- ``bottom`` (substrate bottom), ``top`` (cap top; absent without cap), ``left``/``right``
  (x min/max), ``front``/``back`` (3D, y min/max), ``symmetry_x`` (x = 0 with symmetry).
Default lithiation (see ``common.default_lithiation``): every Si/electrolyte interface
(``interface`` and, when present, ``interface_substrate``); with a collector substrate and no
cap, the free top (``lithiation_surface``, ``notch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gmsh

from sifrac.meshes.common import DimTag, Face, Plan, box, check_common, interface_name, positive

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry

_SUBSTRATES = ("collector", "electrolyte")


def plan(geometry: Geometry, with_electrolyte: bool) -> Plan:
    """Check the thin-film keys and describe the model."""
    dim = check_common(geometry)
    positive(geometry, "thickness", "width", "substrate_thickness")
    if dim == 3:
        positive(geometry, "depth")
    substrate = geometry.substrate
    if substrate not in _SUBSTRATES:
        raise ValueError(f"geometry.substrate must be one of {_SUBSTRATES}, got {substrate!r}")
    if substrate == "electrolyte" and not with_electrolyte:
        raise ValueError(
            "geometry.substrate = 'electrolyte' needs a solid electrolyte, "
            "but the electrolyte is a liquid (no electrolyte region is meshed)"
        )
    cap = bool(geometry.cap) and with_electrolyte
    if cap:
        positive(geometry, "cap_thickness")
    notch = (geometry.notch_depth or 0) > 0
    if notch:
        positive(geometry, "notch_depth", "notch_width")
        if geometry.notch_depth >= geometry.thickness:
            raise ValueError("geometry.notch_depth must be smaller than geometry.thickness")
        if geometry.notch_width >= geometry.width:
            raise ValueError("geometry.notch_width must be smaller than geometry.width")

    t, w = float(geometry.thickness), float(geometry.width)
    ts = float(geometry.substrate_thickness)
    tc = float(geometry.cap_thickness) if cap else 0.0
    nd = float(geometry.notch_depth) if notch else 0.0
    nw = float(geometry.notch_width) if notch else 0.0
    d = float(geometry.depth) if dim == 3 else 1.0
    axis = dim - 1

    def corners(x: float, z0: float, z1: float) -> tuple[list[float], list[float]]:
        """Box of half-width x spanning z0..z1 across the thickness (full depth in 3D)."""
        mid = [[-0.5 * d], [0.5 * d]] if dim == 3 else [[], []]
        return [-x, *mid[0], z0], [x, *mid[1], z1]

    notch_lo, notch_hi = corners(0.5 * nw, t - nd, t)

    def shapes() -> dict[str, list[DimTag]]:
        si = [box(dim, *corners(0.5 * w, 0.0, t))]
        if notch:
            si, _ = gmsh.model.occ.cut(si, [box(dim, notch_lo, notch_hi)])
        electrolyte = [box(dim, *corners(0.5 * w, t, t + tc))] if cap else []
        below = [box(dim, *corners(0.5 * w, -ts, 0.0))]
        if substrate == "electrolyte":
            return {"si": si, "electrolyte": electrolyte + below}
        return {"si": si, "collector": below, **({"electrolyte": electrolyte} if cap else {})}

    def facet_name(regions: frozenset[str], face: Face) -> str:
        if len(regions) == 2:
            if cap and substrate == "electrolyte" and face.on_plane(axis, 0.0):
                return "interface_substrate"
            return interface_name(regions)
        if notch and face.within(notch_lo, notch_hi):
            return "notch"
        named = [
            ((0, -0.5 * w), "left"),
            ((0, 0.5 * w), "right"),
            ((axis, -ts), "bottom"),
            ((axis, t + tc), "lithiation_surface" if regions == {"si"} else "top"),
        ]
        if dim == 3:
            named += [((1, -0.5 * d), "front"), ((1, 0.5 * d), "back")]
        return next((name for plane, name in named if face.on_plane(*plane)), "free")

    half = 0.5 if geometry.symmetry else 1.0
    si_measure = (w * t - nw * nd) * d * half
    below_measure = w * ts * d * half
    cap_measure = w * tc * d * half
    exact = {"si": si_measure, substrate: below_measure}
    if cap:
        exact["electrolyte"] = exact.get("electrolyte", 0.0) + cap_measure
    return Plan(
        dim=dim,
        mesh_size=geometry.mesh_size,
        mesh_size_surface=geometry.mesh_size_surface,
        shapes=shapes,
        facet_name=facet_name,
        reference_length=t,
        exact_measures=exact,
        symmetry_axes=(0,) if geometry.symmetry else (),
        thickness_axis=axis,
    )
