"""Meshes read from a Gmsh ``.msh`` file (physical groups) or an XDMF file (numeric tags).

``region_map``/``boundary_map`` map canonical names (``si``, ``interface``, ...) to a physical
name of the file (str, ``.msh`` only) or to an integer tag. Without maps a ``.msh`` keeps its
own physical names; XDMF tags carry no names, so ``region_map`` is required there. The tags
stay those of the file: ``regions``/``boundaries`` say which tag is which.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import dolfinx
import gmsh
import numpy as np
from mpi4py import MPI

from sifrac.meshes.common import MeshBundle, bundle, groups_of, mesh_on_root

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry

_XDMF = (".xdmf", ".xdf")


def build(geometry: Geometry, comm: MPI.Comm, *, with_electrolyte: bool = True) -> MeshBundle:
    """Read the mesh named by ``geometry.file`` and resolve the canonical group names."""
    path = Path(geometry.file)
    dim = geometry.dim
    if dim not in (2, 3):
        raise ValueError(f"geometry.dim must be 2 or 3, got {dim!r}")
    if not path.is_file():
        raise ValueError(f"geometry.file: {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".msh":
        # Same as dolfinx.io.gmsh.read_from_msh, inside our quiet Gmsh session.
        data = mesh_on_root(comm, dim, lambda: gmsh.merge(str(path)))
        mesh, cell_tags, facet_tags = data.mesh, data.cell_tags, data.facet_tags
        cells_named, facets_named = groups_of(data, dim), groups_of(data, dim - 1)
    elif suffix in _XDMF:
        if not geometry.region_map:
            raise ValueError(
                "geometry.region_map is required for XDMF meshes (their tags are numbers)"
            )
        with_facets = bool(geometry.boundary_map)
        mesh, cell_tags, facet_tags = _read_xdmf(geometry, path, comm, with_facets)
        cells_named, facets_named = {}, {}
    else:
        raise ValueError(f"geometry.file: {path} is neither a .msh nor an XDMF file")
    regions = _resolve(geometry.region_map, cells_named, "region_map")
    boundaries = _resolve(geometry.boundary_map, facets_named, "boundary_map")

    if mesh.topology.dim != dim:
        raise ValueError(f"geometry.dim is {dim} but {path} holds a {mesh.topology.dim}D mesh")
    if "si" not in regions:
        raise ValueError(f"geometry.region_map must name the 'si' region of {path}")
    if "electrolyte" in regions and not with_electrolyte:
        raise ValueError(f"{path} has an 'electrolyte' region, but the electrolyte is a liquid")
    _check_present(cell_tags, regions, comm, "region_map")
    _check_present(facet_tags, boundaries, comm, "boundary_map")
    length = geometry.reference_length or _extent(mesh, cell_tags, regions["si"], comm)
    return bundle(mesh, cell_tags, facet_tags, regions, boundaries, reference_length=length)


def _read_xdmf(
    geometry: Geometry, path: Path, comm: MPI.Comm, with_facets: bool
) -> tuple[dolfinx.mesh.Mesh, dolfinx.mesh.MeshTags, dolfinx.mesh.MeshTags | None]:
    """Mesh, cell tags and (when a boundary map asks for them) facet tags of an XDMF file."""
    with dolfinx.io.XDMFFile(comm, str(path), "r") as xdmf:
        mesh = xdmf.read_mesh(name=geometry.xdmf_mesh_name)
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        cells = xdmf.read_meshtags(mesh, name=geometry.xdmf_cell_tags)
        facets = (
            xdmf.read_meshtags(mesh, name=geometry.xdmf_facet_tags)
            if with_facets
            else None
        )
    return mesh, cells, facets


def _resolve(mapping: Mapping | None, named: dict[str, int], key: str) -> dict[str, int]:
    """Canonical name -> tag, from a map of physical names or tags (or the file's names)."""
    if not mapping:
        return dict(named)
    resolved = {}
    for canonical, value in mapping.items():
        if isinstance(value, str):
            if value not in named:
                raise ValueError(f"geometry.{key}.{canonical}: no physical group {value!r}")
            resolved[canonical] = named[value]
        elif isinstance(value, int | np.integer) and not isinstance(value, bool):
            resolved[canonical] = int(value)
        else:
            raise ValueError(f"geometry.{key}.{canonical} must be a name or an integer tag")
    return resolved


def _check_present(
    tags: dolfinx.mesh.MeshTags | None, names: Mapping[str, int], comm: MPI.Comm, key: str
) -> None:
    """Fail early on a mapped tag that marks nothing (usually a typo in the map)."""
    values = tags.values if tags is not None else np.empty(0, dtype=np.int32)
    found = np.isin(np.fromiter(names.values(), dtype=np.int64, count=len(names)), values)
    found = found.astype(np.int32)
    comm.Allreduce(MPI.IN_PLACE, found, op=MPI.MAX)
    missing = [name for name, ok in zip(names, found, strict=True) if not ok]
    if missing:
        raise ValueError(f"geometry.{key}: no entity of the file carries the tag of {missing}")


def _extent(
    mesh: dolfinx.mesh.Mesh, cell_tags: dolfinx.mesh.MeshTags, tag: int, comm: MPI.Comm
) -> float:
    """Largest axis-aligned extent of the Si region (the default reference length)."""
    cells = cell_tags.find(tag)
    nodes = dolfinx.mesh.entities_to_geometry(mesh, mesh.topology.dim, cells).reshape(-1)
    x = mesh.geometry.x[nodes]
    lo = x.min(axis=0) if len(x) else np.full(x.shape[1], np.inf)
    hi = x.max(axis=0) if len(x) else np.full(x.shape[1], -np.inf)
    comm.Allreduce(MPI.IN_PLACE, lo, op=MPI.MIN)
    comm.Allreduce(MPI.IN_PLACE, hi, op=MPI.MAX)
    return float(np.max(hi - lo))
