"""Si particle: a disk (2D, plane strain) or a sphere (3D) centred at the origin.

Regions: ``si``; ``electrolyte`` with ``matrix`` (a box of edge ``matrix_size``).
Boundaries: ``lithiation_surface`` (no matrix) or ``interface`` (matrix) plus the box faces
``bottom``/``top`` (min/max of the last axis) and ``outer``; the symmetry-reduced quarter disk
or eighth sphere adds ``symmetry_x``, ``symmetry_y`` (and ``symmetry_z``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sifrac.meshes.common import Plan, ball, ball_measure, check_common, positive, round_plan

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry


def plan(geometry: Geometry, with_electrolyte: bool) -> Plan:
    """Check the particle keys and describe the model."""
    dim = check_common(geometry)
    positive(geometry, "diameter")
    radius = 0.5 * geometry.diameter
    measure = ball_measure(dim, radius)
    return round_plan(
        geometry,
        with_electrolyte,
        body=lambda: [ball(dim, radius)],
        hull=lambda: [ball(dim, radius)],
        body_measure=measure,
        hull_measure=measure,
        si_face=lambda face: "lithiation_surface",
    )
