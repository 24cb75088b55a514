"""Gmsh builders for the geometry families of sifrac (one module per family).

``build`` meshes a validated ``[geometry]`` case section on rank 0 of a communicator and
distributes it; ``write_msh`` writes the same Gmsh model to a ``.msh`` file. The group names
of each family are listed in its module. Cell tags are fixed (si 1, electrolyte 2,
collector 3), facet tags too (``common.BOUNDARY_TAGS``). Default lithiation: every
Si/solid-electrolyte interface (``interface``, ``interface_substrate``) when there is one,
else the free Si surface (``lithiation_surface``, ``notch``).
"""

from sifrac.solver import bootstrap as _bootstrap  # noqa: F401  (must precede dolfinx imports)

from collections.abc import Callable
from os import PathLike
from typing import TYPE_CHECKING

import gmsh
from mpi4py import MPI

from sifrac.meshes import from_file, hollow_sphere, nanowire, particle, plate, thin_film
from sifrac.meshes.common import (
    MeshBundle,
    Plan,
    build_model,
    facet_counts,
    gmsh_session,
    plan_bundle,
    region_measures,
)

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry

__all__ = ["MeshBundle", "build", "facet_counts", "region_measures", "write_msh"]

_PLANNERS: dict[str, Callable[["Geometry", bool], Plan]] = {
    "particle": particle.plan,
    "nanowire": nanowire.plan,
    "hollow_sphere": hollow_sphere.plan,
    "thin_film": thin_film.plan,
    "plate": plate.plan,
}


def build(geometry: "Geometry", comm: MPI.Comm, *, with_electrolyte: bool = True) -> MeshBundle:
    """Mesh ``geometry`` (Gmsh on rank 0 of ``comm``) and distribute it over ``comm``.

    ``with_electrolyte=False`` (liquid electrolyte) meshes no electrolyte region.
    """
    if geometry.kind == "file":
        return from_file.build(geometry, comm, with_electrolyte=with_electrolyte)
    return plan_bundle(_plan(geometry, with_electrolyte), comm)


def write_msh(geometry: "Geometry", path: str | PathLike, *, with_electrolyte: bool = True) -> None:
    """Write the Gmsh model of ``geometry`` to a ``.msh`` file (no dolfinx involved)."""
    plan = _plan(geometry, with_electrolyte)
    with gmsh_session():
        build_model(plan)
        gmsh.write(str(path))


def _plan(geometry: "Geometry", with_electrolyte: bool) -> Plan:
    kind = geometry.kind
    if kind not in _PLANNERS:
        raise ValueError(
            f"geometry.kind must be one of {sorted(_PLANNERS)} (or 'file' for build), got {kind!r}"
        )
    return _PLANNERS[kind](geometry, with_electrolyte)
