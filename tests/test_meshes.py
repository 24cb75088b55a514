from sifrac.solver import bootstrap  # noqa: F401  (must precede dolfinx imports)

import math

import dolfinx
import gmsh
import numpy as np
import pytest
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case.geometry import unchecked


def _build(geometry: dict, comm, **kwargs):
    """meshes.build of a hand-written geometry, as given (the mesher checks it itself)."""
    return meshes.build(unchecked(geometry), comm, **kwargs)


def _write_msh(geometry: dict, path, **kwargs):
    return meshes.write_msh(unchecked(geometry), path, **kwargs)


COMM = MPI.COMM_SELF

# Sizes chosen so that curved boundaries have 15+ segments per quarter circle: the inscribed
# polygon then loses < 0.7 % of the area/volume, so the 1 % check still catches real errors
# (a missing region piece, a wrong symmetry fraction) without being made trivially true.
ROUND = {"mesh_size": 20.0, "mesh_size_surface": 5.0, "symmetry": False, "matrix": False,
         "matrix_size": 160.0, "diameter": 100.0}
FILM = {"kind": "thin_film", "mesh_size": 25.0, "mesh_size_surface": 10.0, "symmetry": False,
        "thickness": 50.0, "width": 200.0, "depth": 60.0, "substrate": "collector",
        "substrate_thickness": 30.0, "cap": False, "cap_thickness": 40.0,
        "notch_depth": 0.0, "notch_width": 0.0}
NOTCH = {"notch_depth": 20.0, "notch_width": 10.0, "mesh_size_surface": 5.0}
BOX = {"bottom", "top", "outer"}
SIDES_2D = {"bottom", "left", "right"}
SIDES_3D = SIDES_2D | {"front", "back"}

# id: (geometry, with_electrolyte, regions, boundary groups, lithiation)
CASES = {
    "particle-2d": (
        {**ROUND, "kind": "particle", "dim": 2}, True,
        {"si"}, {"lithiation_surface"}, ("lithiation_surface",)),
    "particle-2d-symmetry": (
        {**ROUND, "kind": "particle", "dim": 2, "symmetry": True}, True,
        {"si"}, {"lithiation_surface", "symmetry_x", "symmetry_y"}, ("lithiation_surface",)),
    "particle-2d-matrix": (
        {**ROUND, "kind": "particle", "dim": 2, "matrix": True}, True,
        {"si", "electrolyte"}, {"interface"} | BOX, ("interface",)),
    "particle-2d-matrix-liquid": (
        {**ROUND, "kind": "particle", "dim": 2, "matrix": True}, False,
        {"si"}, {"lithiation_surface"}, ("lithiation_surface",)),
    "particle-3d": (
        {**ROUND, "kind": "particle", "dim": 3}, True,
        {"si"}, {"lithiation_surface"}, ("lithiation_surface",)),
    "particle-3d-symmetry": (
        {**ROUND, "kind": "particle", "dim": 3, "symmetry": True}, True,
        {"si"}, {"lithiation_surface", "symmetry_x", "symmetry_y", "symmetry_z"},
        ("lithiation_surface",)),
    "nanowire-2d": (
        {**ROUND, "kind": "nanowire", "dim": 2, "length": 150.0}, True,
        {"si"}, {"lithiation_surface"}, ("lithiation_surface",)),
    "nanowire-3d": (
        {**ROUND, "kind": "nanowire", "dim": 3, "length": 150.0}, True,
        {"si"}, {"lithiation_surface", "ends"}, ("lithiation_surface",)),
    "nanowire-3d-symmetry-matrix": (
        {**ROUND, "kind": "nanowire", "dim": 3, "length": 150.0, "symmetry": True,
         "matrix": True, "mesh_size": 30.0}, True,
        {"si", "electrolyte"},
        {"interface", "ends", "top", "outer", "symmetry_x", "symmetry_y", "symmetry_z"},
        ("interface",)),
    "hollow-2d": (
        {**ROUND, "kind": "hollow_sphere", "dim": 2, "inner_diameter": 60.0,
         "mesh_size_surface": 4.0}, True,
        {"si"}, {"lithiation_surface", "inner_surface"}, ("lithiation_surface",)),
    "hollow-2d-symmetry": (
        {**ROUND, "kind": "hollow_sphere", "dim": 2, "inner_diameter": 60.0,
         "mesh_size_surface": 4.0, "symmetry": True}, True,
        {"si"}, {"lithiation_surface", "inner_surface", "symmetry_x", "symmetry_y"},
        ("lithiation_surface",)),
    "hollow-3d": (
        {**ROUND, "kind": "hollow_sphere", "dim": 3, "inner_diameter": 60.0,
         "mesh_size_surface": 4.0}, True,
        {"si"}, {"lithiation_surface", "inner_surface"}, ("lithiation_surface",)),
    "hollow-3d-symmetry-matrix": (
        {**ROUND, "kind": "hollow_sphere", "dim": 3, "inner_diameter": 60.0,
         "mesh_size_surface": 4.0, "symmetry": True, "matrix": True, "mesh_size": 30.0}, True,
        {"si", "electrolyte"},
        {"interface", "inner_surface", "top", "outer", "symmetry_x", "symmetry_y", "symmetry_z"},
        ("interface",)),
    "film-2d": (
        {**FILM, "dim": 2}, True,
        {"si", "collector"}, {"lithiation_surface", "collector_interface"} | SIDES_2D,
        ("lithiation_surface",)),
    "film-2d-cap-notch": (
        {**FILM, **NOTCH, "dim": 2, "cap": True}, True,
        {"si", "collector", "electrolyte"},
        {"notch", "interface", "collector_interface", "top"} | SIDES_2D, ("interface",)),
    "film-2d-notch-symmetry": (
        {**FILM, **NOTCH, "dim": 2, "symmetry": True}, True,
        {"si", "collector"},
        {"lithiation_surface", "notch", "collector_interface", "symmetry_x", "bottom", "right"},
        ("lithiation_surface", "notch")),
    "film-2d-electrolyte-substrate": (
        {**FILM, "dim": 2, "substrate": "electrolyte"}, True,
        {"si", "electrolyte"}, {"lithiation_surface", "interface"} | SIDES_2D, ("interface",)),
    "film-2d-electrolyte-substrate-cap": (
        {**FILM, "dim": 2, "substrate": "electrolyte", "cap": True}, True,
        {"si", "electrolyte"}, {"interface", "interface_substrate", "top"} | SIDES_2D,
        ("interface", "interface_substrate")),
    "film-3d-cap-notch": (
        {**FILM, **NOTCH, "dim": 3, "cap": True, "mesh_size_surface": 10.0}, True,
        {"si", "collector", "electrolyte"},
        {"notch", "interface", "collector_interface", "top"} | SIDES_3D, ("interface",)),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    geometry, with_electrolyte, regions, groups, lithiation = CASES[request.param]
    bundle = _build(geometry, COMM, with_electrolyte=with_electrolyte)
    return bundle, regions, groups, lithiation


def test_regions_and_groups(case):
    bundle, regions, groups, lithiation = case
    assert set(bundle.regions) == regions
    assert set(bundle.boundaries) == groups
    assert all(n > 0 for n in meshes.facet_counts(bundle).values())
    assert bundle.lithiation == lithiation
    assert set(bundle.lithiation) <= set(bundle.boundaries)


def test_measures_match_exact_geometry(case):
    bundle = case[0]
    assert set(bundle.exact_measures) == set(bundle.regions)
    for name, measure in meshes.region_measures(bundle).items():
        assert measure == pytest.approx(bundle.exact_measures[name], rel=1e-2), name


def test_conforming_and_each_facet_tagged_once(case):
    """Interfaces see two cells of different regions (shared nodes), exterior facets one, and
    every exterior facet of the mesh lies in exactly one group."""
    bundle = case[0]
    mesh, tags = bundle.mesh, bundle.facet_tags
    tdim = mesh.topology.dim
    f2c = mesh.topology.connectivity(tdim - 1, tdim)
    region_of = np.zeros(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    region_of[bundle.cell_tags.indices] = bundle.cell_tags.values
    assert np.all(region_of > 0)
    assert len(np.unique(tags.indices)) == len(tags.indices)
    exterior = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    assert set(exterior) <= set(tags.indices)
    for name, tag in bundle.boundaries.items():
        links = [f2c.links(f) for f in tags.find(tag)]
        if "interface" in name:
            assert all(len(c) == 2 and region_of[c[0]] != region_of[c[1]] for c in links), name
        else:
            assert all(len(c) == 1 for c in links), name


def test_bundle_metadata():
    wire = _build({**ROUND, "kind": "nanowire", "dim": 3, "length": 150.0,
                         "mesh_size_surface": 20.0}, COMM)
    assert (wire.reference_length, wire.center, wire.hoop_axis, wire.thickness_axis) == (
        100.0, (0.0, 0.0, 0.0), 2, None)
    boxed = _build({**ROUND, "kind": "particle", "dim": 2, "matrix": True}, COMM)
    assert (boxed.center, boxed.hoop_axis, boxed.thickness_axis) == ((0.0, 0.0, 0.0), None, 1)
    film = _build({**FILM, "dim": 3}, COMM)
    assert (film.reference_length, film.center, film.hoop_axis, film.thickness_axis) == (
        50.0, None, None, 2)


@pytest.mark.parametrize("surface", [5.0, 20.0])
def test_surface_refinement(surface):
    """mesh_size_surface sets the facet size on the lithiation surface; equal sizes: none."""
    geometry = {**ROUND, "kind": "particle", "dim": 2, "mesh_size_surface": surface}
    expected = math.pi * geometry["diameter"] / surface
    count = meshes.facet_counts(_build(geometry, COMM))["lithiation_surface"]
    assert count == pytest.approx(expected, rel=0.15)


def test_top_refinement_ball():
    """top_refine_radius meshes a ball about the top point (0, D/2) with mesh_size_top (where a
    surface flaw sits) and leaves the rest of the surface at mesh_size_surface."""
    geometry = {**ROUND, "kind": "particle", "dim": 2, "mesh_size_surface": 20.0,
                "top_refine_radius": 20.0, "mesh_size_top": 2.5}
    bundle = _build(geometry, COMM)
    mesh = bundle.mesh
    mesh.topology.create_connectivity(1, 0)
    facets = bundle.facet_tags.find(bundle.boundaries["lithiation_surface"])
    ends = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, 1, facets)]  # (facet, 2, 3)
    lengths = np.linalg.norm(ends[:, 1] - ends[:, 0], axis=1)
    mids = ends.mean(axis=1)
    near = np.linalg.norm(mids[:, :2] - [0.0, 50.0], axis=1) < 15.0
    assert near.any() and (~near).any()
    assert lengths[near].max() < 1.4 * 2.5
    assert np.median(lengths[mids[:, 1] < 0.0]) > 0.7 * 20.0


def test_inconsistent_input_raises():
    with pytest.raises(ValueError, match="inner_diameter"):
        _build({**ROUND, "kind": "hollow_sphere", "dim": 2, "inner_diameter": 100.0}, COMM)
    with pytest.raises(ValueError, match="substrate"):
        _build({**FILM, "dim": 2, "substrate": "electrolyte"}, COMM, with_electrolyte=False)
    with pytest.raises(ValueError, match="matrix_size"):
        _build({**ROUND, "kind": "particle", "dim": 2, "matrix": True,
                      "matrix_size": 90.0}, COMM)


def _two_squares(path):
    """A Gmsh file with Si in [0,1]^2 and SEI in [1,2]x[0,1], named in the file's own words."""
    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        (_, si), (_, sei) = occ.fragment([(2, occ.addRectangle(0, 0, 0, 1, 1))],
                                         [(2, occ.addRectangle(1, 0, 0, 1, 1))])[0]
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [si], 5, "silicon")
        gmsh.model.addPhysicalGroup(2, [sei], 6, "sei")
        si_edges, sei_edges = (set(gmsh.model.getAdjacencies(2, s)[1]) for s in (si, sei))
        shared = si_edges & sei_edges
        outside = sorted(si_edges - shared)
        gmsh.model.addPhysicalGroup(1, outside, 11, "outside")
        gmsh.model.addPhysicalGroup(1, sorted(shared), 12, "contact")
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.25)
        gmsh.model.mesh.generate(2)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()


def test_msh_file_with_maps(tmp_path):
    path = tmp_path / "squares.msh"
    _two_squares(path)
    bundle = _build({"kind": "file", "dim": 2, "file": str(path),
                           "region_map": {"si": "silicon", "electrolyte": 6},
                           "boundary_map": {"lithiation_surface": "outside",
                                            "interface": "contact"}},
                          COMM)
    assert bundle.regions == {"si": 5, "electrolyte": 6}
    assert bundle.boundaries == {"lithiation_surface": 11, "interface": 12}
    assert meshes.region_measures(bundle) == pytest.approx({"si": 1.0, "electrolyte": 1.0})
    assert meshes.facet_counts(bundle) == {"lithiation_surface": 12, "interface": 4}
    assert bundle.reference_length == pytest.approx(1.0)
    assert bundle.lithiation == ("interface",)
    with pytest.raises(ValueError, match="region_map"):
        _build({"kind": "file", "dim": 2, "file": str(path),
                      "region_map": {"si": "silicium"}}, COMM)


def test_write_msh_round_trip(tmp_path):
    """write_msh (the `sifrac mesh` output) reads back, without maps, as build() meshes it."""
    geometry = {**ROUND, "kind": "particle", "dim": 2, "matrix": True}
    path = tmp_path / "particle.msh"
    _write_msh(geometry, path)
    read = _build({"kind": "file", "dim": 2, "file": str(path)}, COMM)
    built = _build(geometry, COMM)
    assert (read.regions, read.boundaries) == (built.regions, built.boundaries)
    assert read.lithiation == built.lithiation
    assert meshes.facet_counts(read) == meshes.facet_counts(built)
    assert meshes.region_measures(read) == pytest.approx(meshes.region_measures(built))
    assert read.reference_length == pytest.approx(100.0, rel=1e-2)


def test_xdmf_round_trip(tmp_path):
    built = _build({**FILM, "dim": 2}, COMM)
    path = tmp_path / "film.xdmf"
    with dolfinx.io.XDMFFile(COMM, str(path), "w") as xdmf:
        xdmf.write_mesh(built.mesh)
        xdmf.write_meshtags(built.cell_tags, built.mesh.geometry)
        xdmf.write_meshtags(built.facet_tags, built.mesh.geometry)
    geometry = {"kind": "file", "dim": 2, "file": str(path),
                "region_map": {"si": built.regions["si"], "collector": built.regions["collector"]},
                "boundary_map": {"lithiation_surface": built.boundaries["lithiation_surface"],
                                 "bottom": built.boundaries["bottom"]},
                "xdmf_mesh_name": "mesh", "xdmf_cell_tags": "cell_tags",
                "xdmf_facet_tags": "facet_tags"}
    read = _build(geometry, COMM)
    assert meshes.region_measures(read) == pytest.approx(built.exact_measures)
    counts = meshes.facet_counts(built)
    assert meshes.facet_counts(read) == {n: counts[n] for n in ("lithiation_surface", "bottom")}
    assert read.lithiation == ("lithiation_surface",)
    assert read.reference_length == pytest.approx(200.0)
    with pytest.raises(ValueError, match=r"geometry\.region_map"):
        _build({k: v for k, v in geometry.items() if k != "region_map"}, COMM)
