"""Hollow Si sphere: an annulus (2D) or a spherical shell (3D) centred at the origin.

Regions: ``si``; ``electrolyte`` with ``matrix`` (outside only: the hollow core stays empty).
Boundaries: ``inner_surface`` (the core wall), ``lithiation_surface`` (outer surface, no
matrix) or ``interface`` (matrix), box faces ``bottom``/``top``/``outer``, and
``symmetry_x``/``symmetry_y``/``symmetry_z`` for the quarter annulus / eighth shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gmsh
import numpy as np

from sifrac.meshes.common import DimTag, Face, Plan, ball, ball_measure, check_common, positive, round_plan

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry


def plan(geometry: Geometry, with_electrolyte: bool) -> Plan:
    """Check the hollow-sphere keys and describe the model."""
    dim = check_common(geometry)
    positive(geometry, "diameter", "inner_diameter")
    if geometry.inner_diameter >= geometry.diameter:
        raise ValueError(
            f"geometry.inner_diameter ({geometry.inner_diameter}) must be smaller than "
            f"geometry.diameter ({geometry.diameter})"
        )
    outer, inner = 0.5 * geometry.diameter, 0.5 * geometry.inner_diameter
    middle = 0.5 * (outer + inner)

    def body() -> list[DimTag]:
        shell, _ = gmsh.model.occ.cut([ball(dim, outer)], [ball(dim, inner)])
        return shell

    def si_face(face: Face) -> str:
        # The core wall is the only Si exterior surface that stays inside the mid radius.
        reach = max(np.abs(face.lo).max(), np.abs(face.hi).max())
        return "inner_surface" if reach < middle else "lithiation_surface"

    return round_plan(
        geometry,
        with_electrolyte,
        body=body,
        hull=lambda: [ball(dim, outer)],
        body_measure=ball_measure(dim, outer) - ball_measure(dim, inner),
        hull_measure=ball_measure(dim, outer),
        si_face=si_face,
    )
