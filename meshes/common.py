"""Gmsh machinery shared by the geometry families.

A family describes its geometry as a :class:`Plan` (pure Python, checked on every rank so that
bad input raises the same ValueError everywhere). :func:`build_model` turns a plan into a
tagged, meshed Gmsh model: OpenCASCADE shapes per region, symmetry cuts, ``fragment`` so that
regions share their interfaces (conforming mesh), physical groups found geometrically from
bounding boxes, and a Distance+Threshold size field. :func:`mesh_on_root` builds on rank 0
only and distributes the mesh over the communicator.

Mesh size: ``mesh_size`` is the global maximum (``Mesh.MeshSizeMax``). When
``mesh_size_surface < mesh_size``, the facets of the groups in :data:`REFINED` (lithiation
surfaces, interfaces, the notch and the hollow core wall) get ``mesh_size_surface``, growing
linearly to ``mesh_size`` at a distance ``2 * mesh_size``: a gradient below 1/2, smooth
enough for the Delaunay mesher and short enough to keep the bulk coarse.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dolfinx
import gmsh
import numpy as np
import ufl
from dolfinx.io import gmsh as dolfinx_gmsh
from mpi4py import MPI

if TYPE_CHECKING:
    from sifrac.solver.case import Geometry

DimTag = tuple[int, int]

#: Cell tag of every region, the same in all families so that cases are comparable.
REGION_TAGS: dict[str, int] = {"si": 1, "electrolyte": 2, "collector": 3}

#: Facet tag of every boundary group, fixed across families.
BOUNDARY_TAGS: dict[str, int] = {
    name: tag
    for tag, name in enumerate(
        (
            "lithiation_surface",
            "notch",
            "interface",
            "interface_substrate",
            "collector_interface",
            "inner_surface",
            "symmetry_x",
            "symmetry_y",
            "symmetry_z",
            "bottom",
            "top",
            "left",
            "right",
            "front",
            "back",
            "outer",
            "ends",
            "free",
        ),
        start=1,
    )
}

#: Groups whose facets get ``mesh_size_surface``: where concentration and stress gradients are.
REFINED = frozenset(
    {
        "lithiation_surface",
        "notch",
        "interface",
        "interface_substrate",
        "collector_interface",
        "inner_surface",
    }
)

_SYMMETRY = ("symmetry_x", "symmetry_y", "symmetry_z")
_SEED = 20240611


@dataclass(frozen=True)
class MeshBundle:
    """A distributed mesh with its tags and the geometric facts the solver needs."""

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    regions: dict[str, int]  # region name -> cell tag
    boundaries: dict[str, int]  # boundary group name -> facet tag
    lithiation: tuple[str, ...]  # groups Li enters Si through by default
    reference_length: float  # outer diameter, film Si thickness, or Si extent of a file (nm)
    center: tuple[float, float, float] | None  # centre for hoop stress; None for films/files
    hoop_axis: int | None  # cylinder axis of a 3D wire; None: radial about ``center``
    thickness_axis: int | None  # axis through a film or matrix box
    exact_measures: dict[str, float]  # area/volume per region of the ideal geometry


@dataclass(frozen=True)
class Face:
    """Bounding box of a boundary entity, with a tolerance for geometric predicates."""

    lo: np.ndarray
    hi: np.ndarray
    tol: float

    def on_plane(self, axis: int, value: float) -> bool:
        """Whether the entity lies in the plane ``x[axis] == value``."""
        return bool(
            self.hi[axis] - self.lo[axis] <= self.tol
            and abs(0.5 * (self.lo[axis] + self.hi[axis]) - value) <= self.tol
        )

    def within(self, lo: Sequence[float], hi: Sequence[float]) -> bool:
        """Whether the entity lies inside the axis-aligned box ``[lo, hi]``."""
        n = len(lo)
        return bool(
            np.all(self.lo[:n] >= np.asarray(lo) - self.tol)
            and np.all(self.hi[:n] <= np.asarray(hi) + self.tol)
        )


@dataclass(frozen=True)
class Plan:
    """Everything needed to build one geometry, decided before any Gmsh call.

    ``shapes`` creates the OpenCASCADE entities of each region (in priority order: an entity
    produced by overlapping inputs belongs to the first region). ``facet_name`` names a
    boundary entity from the set of regions it touches (one region: exterior, two: interface)
    and its bounding box; symmetry planes are named before it is asked.
    """

    dim: int
    mesh_size: float
    mesh_size_surface: float
    shapes: Callable[[], dict[str, list[DimTag]]]
    facet_name: Callable[[frozenset[str], Face], str]
    reference_length: float
    exact_measures: dict[str, float]
    symmetry_axes: tuple[int, ...] = ()
    center: tuple[float, float, float] | None = None
    hoop_axis: int | None = None
    thickness_axis: int | None = None
    # A family's own background size field (after the global options are set), replacing the
    # refinement towards the REFINED groups; e.g. a band along an expected crack path.
    size_field: Callable[[], None] | None = None
    # (centre, radius, size): a ball meshed with `size` on top of the other refinement, e.g.
    # around a surface flaw where the crack will grow (then the rest of the surface can be coarser).
    refine_ball: tuple[tuple[float, float, float], float, float] | None = None


# --------------------------------------------------------------------------- input checks


def positive(geometry: Geometry, *keys: str) -> None:
    """Raise ValueError unless every ``geometry[key]`` is a positive number."""
    for key in keys:
        value = getattr(geometry, key, None)
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"geometry.{key} must be a positive number, got {value!r}")


def check_common(geometry: Geometry) -> int:
    """Check the keys every generated family shares; return the dimension."""
    dim = geometry.dim
    if dim not in (2, 3):
        raise ValueError(f"geometry.dim must be 2 or 3, got {dim!r}")
    positive(geometry, "mesh_size", "mesh_size_surface")
    if geometry.mesh_size_surface > geometry.mesh_size:
        raise ValueError(
            "geometry.mesh_size_surface must not exceed geometry.mesh_size "
            f"({geometry.mesh_size_surface} > {geometry.mesh_size})"
        )
    return dim


# --------------------------------------------------------------------------- OCC primitives


def box(dim: int, lo: Sequence[float], hi: Sequence[float]) -> DimTag:
    """Axis-aligned rectangle (2D) or box (3D)."""
    occ = gmsh.model.occ
    if dim == 2:
        return (2, occ.addRectangle(lo[0], lo[1], 0.0, hi[0] - lo[0], hi[1] - lo[1]))
    return (3, occ.addBox(*lo, *(h - l for h, l in zip(hi, lo, strict=True))))


def ball(dim: int, radius: float) -> DimTag:
    """Disk (2D) or sphere (3D) centred at the origin."""
    occ = gmsh.model.occ
    if dim == 2:
        return (2, occ.addDisk(0, 0, 0, radius, radius))
    return (3, occ.addSphere(0, 0, 0, radius))


def ball_measure(dim: int, radius: float) -> float:
    """Area of a disk or volume of a sphere."""
    return math.pi * radius**2 if dim == 2 else 4.0 / 3.0 * math.pi * radius**3


def box_measure(lo: Sequence[float], hi: Sequence[float]) -> float:
    """Area or volume of an axis-aligned box."""
    return math.prod(h - l for h, l in zip(hi, lo, strict=True))


def interface_name(regions: frozenset[str]) -> str:
    """Name of the interface between Si and another region."""
    names = {
        frozenset({"si", "electrolyte"}): "interface",
        frozenset({"si", "collector"}): "collector_interface",
    }
    if regions not in names:
        raise RuntimeError(f"unexpected interface between regions {sorted(regions)}")
    return names[regions]


# --------------------------------------------------------------------------- round bodies


def round_plan(
    geometry: Geometry,
    with_electrolyte: bool,
    *,
    body: Callable[[], list[DimTag]],
    hull: Callable[[], list[DimTag]],
    body_measure: float,
    hull_measure: float,
    si_face: Callable[[Face], str],
    axial: tuple[float, float] | None = None,
    hoop_axis: int | None = None,
) -> Plan:
    """Plan for a Si body centred at the origin, optionally in an electrolyte matrix box.

    Shared by particle, nanowire and hollow sphere: ``body`` makes the Si, ``hull`` its outer
    envelope (what the matrix box loses), ``si_face`` names the body's own exterior facets.
    The box has edge ``matrix_size`` on every axis except a wire's axis (z), where it spans
    ``axial``. The symmetry-reduced variant keeps the positive octant (all axes are symmetry
    axes).
    """
    dim = geometry.dim
    matrix = bool(geometry.matrix) and with_electrolyte
    box_lo: list[float] = []
    box_hi: list[float] = []
    if matrix:
        positive(geometry, "matrix_size")
        if geometry.matrix_size <= geometry.diameter:
            raise ValueError(
                f"geometry.matrix_size ({geometry.matrix_size}) must exceed "
                f"geometry.diameter ({geometry.diameter})"
            )
        half = 0.5 * geometry.matrix_size
        box_lo, box_hi = [-half] * dim, [half] * dim
        if axial is not None:
            box_lo[-1], box_hi[-1] = axial

    def shapes() -> dict[str, list[DimTag]]:
        regions = {"si": body()}
        if matrix:
            out, _ = gmsh.model.occ.cut([box(dim, box_lo, box_hi)], hull())
            regions["electrolyte"] = out
        return regions

    def facet_name(regions: frozenset[str], face: Face) -> str:
        if regions == {"si"}:
            return si_face(face)
        if regions == {"electrolyte"}:
            axis = dim - 1
            if face.on_plane(axis, box_lo[axis]):
                return "bottom"
            if face.on_plane(axis, box_hi[axis]):
                return "top"
            return "outer"
        return interface_name(regions)

    symmetry = bool(geometry.symmetry)
    fraction = 0.5**dim if symmetry else 1.0
    exact = {"si": body_measure * fraction}
    if matrix:
        exact["electrolyte"] = (box_measure(box_lo, box_hi) - hull_measure) * fraction
    return Plan(
        dim=dim,
        mesh_size=geometry.mesh_size,
        mesh_size_surface=geometry.mesh_size_surface,
        shapes=shapes,
        facet_name=facet_name,
        reference_length=float(geometry.diameter),
        exact_measures=exact,
        symmetry_axes=tuple(range(dim)) if symmetry else (),
        center=(0.0, 0.0, 0.0),
        hoop_axis=hoop_axis,
        thickness_axis=dim - 1 if matrix else None,
        refine_ball=_top_ball(geometry),
    )


def top_mesh_size(geometry: Geometry) -> float:
    """Element size at the top point (0, D/2, 0) of a round body, where `[fracture] surface_flaw`
    sits: ``mesh_size_top`` inside a ``top_refine_radius`` ball (itself defaulting to
    ``mesh_size_surface``), else ``mesh_size_surface``."""
    if geometry.top_refine_radius is None:
        return float(geometry.mesh_size_surface)
    return float(geometry.mesh_size_surface if geometry.mesh_size_top is None else geometry.mesh_size_top)


def _top_ball(geometry: Geometry) -> tuple[tuple[float, float, float], float, float] | None:
    """The ball of radius ``top_refine_radius`` about the top point (0, D/2, 0) of a round body,
    meshed with `top_mesh_size`; None when unset."""
    if geometry.top_refine_radius is None:
        return None
    return (0.0, 0.5 * float(geometry.diameter), 0.0), float(geometry.top_refine_radius), \
        top_mesh_size(geometry)


# --------------------------------------------------------------------------- model building


@contextlib.contextmanager
def gmsh_session() -> Iterator[None]:
    """A quiet, deterministic Gmsh session that is always finalised."""
    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.RandomSeed", _SEED)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay (2D)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)  # Delaunay, single-threaded
        gmsh.option.setNumber("Mesh.ElementOrder", 1)
        gmsh.model.add("sifrac")
        yield
    finally:
        gmsh.finalize()


def build_model(plan: Plan) -> None:
    """Create, tag and mesh the Gmsh model of ``plan`` in the current session."""
    occ = gmsh.model.occ
    shapes = plan.shapes()
    if plan.symmetry_axes:
        shapes = _symmetry_cut(plan.dim, shapes, plan.symmetry_axes)
    owner = _fragment(shapes)
    occ.synchronize()

    for name in REGION_TAGS:
        tags = sorted(t for t, n in owner.items() if n == name)
        if tags:
            gmsh.model.addPhysicalGroup(plan.dim, tags, REGION_TAGS[name], name)

    groups = _name_facets(plan, owner)
    for name, tags in groups.items():
        gmsh.model.addPhysicalGroup(plan.dim - 1, tags, BOUNDARY_TAGS[name], name)

    refined = sorted(t for name, tags in groups.items() if name in REFINED for t in tags)
    _size_field(plan, [] if plan.size_field else refined)
    if plan.size_field:
        plan.size_field()
    gmsh.model.mesh.generate(plan.dim)


def _symmetry_cut(
    dim: int, shapes: dict[str, list[DimTag]], axes: tuple[int, ...]
) -> dict[str, list[DimTag]]:
    """Keep the part of every region with ``x[axis] >= 0`` for each symmetry axis."""
    occ = gmsh.model.occ
    bounds = np.array([occ.getBoundingBox(*dt) for tags in shapes.values() for dt in tags])
    span = float(np.max(bounds[:, 3:] - bounds[:, :3])) + 1.0
    lo = bounds[:, :3].min(axis=0) - span
    hi = bounds[:, 3:].max(axis=0) + span
    lo[list(axes)] = 0.0
    cutter = box(dim, lo[:dim], hi[:dim])
    cut = {
        name: occ.intersect(tags, [cutter], removeTool=False)[0] for name, tags in shapes.items()
    }
    occ.remove([cutter], recursive=True)
    return cut


def _fragment(shapes: dict[str, list[DimTag]]) -> dict[int, str]:
    """Fragment all regions together (shared interfaces); map each top entity to its region."""
    inputs = [(name, dt) for name, tags in shapes.items() for dt in tags]
    if len(inputs) == 1:
        children = [[inputs[0][1]]]
    else:
        _, children = gmsh.model.occ.fragment([inputs[0][1]], [dt for _, dt in inputs[1:]])
    owner: dict[int, str] = {}
    for (name, _), kids in zip(inputs, children, strict=True):
        for _, tag in kids:
            owner.setdefault(tag, name)
    return owner


def _name_facets(plan: Plan, owner: dict[int, str]) -> dict[str, list[int]]:
    """Group every boundary entity (exterior or between two regions) by its name."""
    model = gmsh.model
    fdim = plan.dim - 1
    xmin, ymin, zmin, xmax, ymax, zmax = model.getBoundingBox(-1, -1)
    tol = 1e-6 * math.dist((xmin, ymin, zmin), (xmax, ymax, zmax))
    groups: dict[str, list[int]] = {}
    for _, tag in model.getEntities(fdim):
        up, _ = model.getAdjacencies(fdim, tag)
        regions = frozenset(owner[int(t)] for t in up)
        if len(up) == 2 and len(regions) == 1:
            continue  # inside one region: not a boundary
        bb = np.array(model.getBoundingBox(fdim, tag))
        face = Face(bb[:3], bb[3:], tol)
        name = None
        if len(up) == 1:
            name = next((_SYMMETRY[a] for a in plan.symmetry_axes if face.on_plane(a, 0.0)), None)
        name = name or plan.facet_name(regions, face)
        groups.setdefault(name, []).append(tag)
    return groups


def _size_field(plan: Plan, refined: list[int]) -> None:
    """Global max size, a Distance+Threshold field refining towards ``refined`` facets, and the
    plan's refinement ball; where both apply the smaller size wins."""
    # Sizes come from these two only (OCC points carry bounding-box based sizes otherwise).
    gmsh.option.setNumber("Mesh.MeshSizeMax", plan.mesh_size)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    fields = gmsh.model.mesh.field
    sizes = []
    if plan.mesh_size_surface < plan.mesh_size and refined:
        sizes.append(_surface_threshold(plan, refined))
    if plan.refine_ball is not None:
        (x, y, z), radius, size = plan.refine_ball
        ball_field = fields.add("Ball")
        for name, value in (("XCenter", x), ("YCenter", y), ("ZCenter", z), ("Radius", radius),
                            ("Thickness", 0.5 * radius), ("VIn", size), ("VOut", plan.mesh_size)):
            fields.setNumber(ball_field, name, value)
        sizes.append(ball_field)
    if len(sizes) > 1:
        smallest = fields.add("Min")
        fields.setNumbers(smallest, "FieldsList", sizes)
        sizes = [smallest]
    if sizes:
        fields.setAsBackgroundMesh(sizes[0])


def _surface_threshold(plan: Plan, refined: list[int]) -> int:
    """A Distance+Threshold field: ``mesh_size_surface`` on the ``refined`` facets, growing to
    ``mesh_size`` at a distance of 2 ``mesh_size``."""
    fdim = plan.dim - 1
    extent = max(
        max(np.subtract(b[3:], b[:3]))
        for b in (gmsh.model.getBoundingBox(fdim, t) for t in refined)
    )
    # Distance samples each entity on a parametric grid: finer than the target size even
    # along a full circle (length pi * extent), capped to bound the cost on surfaces.
    cap = 4000 if fdim == 1 else 400
    sampling = int(min(cap, max(20, math.ceil(4.0 * extent / plan.mesh_size_surface))))
    fields = gmsh.model.mesh.field
    distance = fields.add("Distance")
    fields.setNumbers(distance, "CurvesList" if fdim == 1 else "SurfacesList", refined)
    fields.setNumber(distance, "Sampling", sampling)
    threshold = fields.add("Threshold")
    fields.setNumber(threshold, "InField", distance)
    fields.setNumber(threshold, "SizeMin", plan.mesh_size_surface)
    fields.setNumber(threshold, "SizeMax", plan.mesh_size)
    fields.setNumber(threshold, "DistMin", 0.0)
    fields.setNumber(threshold, "DistMax", 2.0 * plan.mesh_size)
    return threshold


# --------------------------------------------------------------------------- distribution


def mesh_on_root(comm: MPI.Comm, gdim: int, make: Callable[[], None]) -> dolfinx_gmsh.MeshData:
    """Run ``make`` (fills the Gmsh model) on rank 0, then distribute the mesh over ``comm``.

    A failure on rank 0 is broadcast so that every rank raises instead of hanging.
    """
    if comm.rank == 0:
        with gmsh_session():
            try:
                make()
            except Exception as exc:
                comm.bcast(f"{type(exc).__name__}: {exc}", root=0)
                raise
            comm.bcast(None, root=0)
            return dolfinx_gmsh.model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
    error = comm.bcast(None, root=0)
    if error is not None:
        raise RuntimeError(f"mesh generation failed on rank 0: {error}")
    return dolfinx_gmsh.model_to_mesh(None, comm, 0, gdim=gdim)


def empty_tags(mesh: dolfinx.mesh.Mesh, dim: int) -> dolfinx.mesh.MeshTags:
    """MeshTags with no entities, for meshes that carry no tags of that dimension."""
    none = np.empty(0, dtype=np.int32)
    return dolfinx.mesh.meshtags(mesh, dim, none, none)


def default_lithiation(boundaries: Mapping[str, int]) -> tuple[str, ...]:
    """Where Li enters Si by default: every Si/solid-electrolyte contact if there is one,
    else the free Si surface (``lithiation_surface`` and ``notch``)."""
    contacts = tuple(n for n in ("interface", "interface_substrate") if n in boundaries)
    return contacts or tuple(n for n in ("lithiation_surface", "notch") if n in boundaries)


def bundle(
    mesh: dolfinx.mesh.Mesh,
    cell_tags: dolfinx.mesh.MeshTags | None,
    facet_tags: dolfinx.mesh.MeshTags | None,
    regions: dict[str, int],
    boundaries: dict[str, int],
    *,
    reference_length: float,
    center: tuple[float, float, float] | None = None,
    hoop_axis: int | None = None,
    thickness_axis: int | None = None,
    exact_measures: dict[str, float] | None = None,
) -> MeshBundle:
    """Assemble a MeshBundle, substituting empty tags where a mesh has none."""
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    return MeshBundle(
        mesh=mesh,
        cell_tags=cell_tags if cell_tags is not None else empty_tags(mesh, tdim),
        facet_tags=facet_tags if facet_tags is not None else empty_tags(mesh, tdim - 1),
        regions=dict(regions),
        boundaries=dict(boundaries),
        lithiation=default_lithiation(boundaries),
        reference_length=float(reference_length),
        center=center,
        hoop_axis=hoop_axis,
        thickness_axis=thickness_axis,
        exact_measures=dict(exact_measures or {}),
    )


def groups_of(data: dolfinx_gmsh.MeshData, dim: int) -> dict[str, int]:
    """Physical name -> tag of the groups of one dimension (identical on every rank)."""
    return {name: int(g.tag) for name, g in data.physical_groups.items() if g.dim == dim}


def plan_bundle(plan: Plan, comm: MPI.Comm) -> MeshBundle:
    """Mesh ``plan`` on rank 0 of ``comm`` and wrap the distributed result."""
    data = mesh_on_root(comm, plan.dim, lambda: build_model(plan))
    return bundle(
        data.mesh,
        data.cell_tags,
        data.facet_tags,
        groups_of(data, plan.dim),
        groups_of(data, plan.dim - 1),
        reference_length=plan.reference_length,
        center=plan.center,
        hoop_axis=plan.hoop_axis,
        thickness_axis=plan.thickness_axis,
        exact_measures=plan.exact_measures,
    )


# --------------------------------------------------------------------------- diagnostics


def region_measures(mesh_bundle: MeshBundle) -> dict[str, float]:
    """Global area (2D) or volume (3D) of every region: a check against ``exact_measures``."""
    mesh = mesh_bundle.mesh
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=mesh_bundle.cell_tags)
    one = dolfinx.fem.Constant(mesh, dolfinx.default_scalar_type(1.0))
    local = {
        name: dolfinx.fem.assemble_scalar(dolfinx.fem.form(one * dx(tag)))
        for name, tag in mesh_bundle.regions.items()
    }
    return {name: float(mesh.comm.allreduce(value, op=MPI.SUM)) for name, value in local.items()}


def facet_counts(mesh_bundle: MeshBundle) -> dict[str, int]:
    """Global number of facets in every boundary group (owned facets, so none counted twice)."""
    mesh = mesh_bundle.mesh
    owned = mesh.topology.index_map(mesh.topology.dim - 1).size_local
    local = {
        name: int(np.count_nonzero(mesh_bundle.facet_tags.find(tag) < owned))
        for name, tag in mesh_bundle.boundaries.items()
    }
    return {name: int(mesh.comm.allreduce(n, op=MPI.SUM)) for name, n in local.items()}
