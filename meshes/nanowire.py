"""Si nanowire: its circular cross-section (2D) or a finite cylinder along z (3D).

The 2D model is geometrically a disk, the same mesh as a 2D particle; by default it is solved in
generalised plane strain (`[mechanics] out_of_plane`: a free uniform axial strain, what a long
wire with free ends has), where the 2D particle keeps plane strain. The family is separate for the
3D wire and so that studies can name it. In 3D the wire spans z in [-length/2, length/2];
the symmetry-reduced variant keeps the quarter cross-section and z in [0, length/2].

Regions: ``si``; ``electrolyte`` with ``matrix`` (a box of cross-section ``matrix_size``
spanning the wire length). Boundaries: ``lithiation_surface`` (no matrix) or ``interface``
(matrix), ``ends`` (3D wire ends; with symmetry only z = length/2, z = 0 is ``symmetry_z``),
box faces ``bottom``/``top`` (min/max of the last axis: y in 2D, z in 3D) and ``outer``,
and ``symmetry_x``/``symmetry_y``/``symmetry_z`` when symmetry-reduced.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import gmsh

from sifrac.meshes.common import DimTag, Face, Plan, ball, check_common, positive, round_plan

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry


def plan(geometry: Geometry, with_electrolyte: bool) -> Plan:
    """Check the nanowire keys and describe the model."""
    dim = check_common(geometry)
    positive(geometry, "diameter")
    radius = 0.5 * geometry.diameter
    if dim == 2:
        def body() -> list[DimTag]:
            return [ball(2, radius)]

        def si_face(face: Face) -> str:
            return "lithiation_surface"

        measure, axial, hoop_axis = math.pi * radius**2, None, None
    else:
        positive(geometry, "length")
        length = float(geometry.length)
        half = 0.5 * length

        def body() -> list[DimTag]:
            return [(3, gmsh.model.occ.addCylinder(0, 0, -half, 0, 0, length, radius))]

        def si_face(face: Face) -> str:
            at_end = face.on_plane(2, -half) or face.on_plane(2, half)
            return "ends" if at_end else "lithiation_surface"

        measure, axial, hoop_axis = math.pi * radius**2 * length, (-half, half), 2
    return round_plan(
        geometry,
        with_electrolyte,
        body=body,
        hull=body,
        body_measure=measure,
        hull_measure=measure,
        si_face=si_face,
        axial=axial,
        hoop_axis=hoop_axis,
    )
