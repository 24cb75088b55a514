from sifrac.solver import bootstrap  # noqa: F401  (must precede dolfinx imports)

import pytest
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case.geometry import unchecked


def _build(geometry: dict, comm, **kwargs):
    """meshes.build of a hand-written geometry, as given (the mesher checks it itself)."""
    return meshes.build(unchecked(geometry), comm, **kwargs)


def _write_msh(geometry: dict, path, **kwargs):
    return meshes.write_msh(unchecked(geometry), path, **kwargs)


SPHERE = {"kind": "particle", "dim": 3, "diameter": 100.0, "symmetry": True, "matrix": False,
          "matrix_size": 160.0, "mesh_size": 20.0, "mesh_size_surface": 5.0}
FILM = {"kind": "thin_film", "dim": 2, "mesh_size": 25.0, "mesh_size_surface": 5.0,
        "symmetry": False, "thickness": 50.0, "width": 200.0, "substrate": "collector",
        "substrate_thickness": 30.0, "cap": True, "cap_thickness": 40.0, "notch_depth": 20.0,
        "notch_width": 10.0}


@pytest.mark.mpi
@pytest.mark.parametrize("geometry", [SPHERE, FILM], ids=["eighth-sphere-3d", "film-2d"])
def test_distributed_mesh_matches_serial(geometry):
    """Meshed on rank 0 and distributed: every rank owns cells, and the global measures and
    facet counts are those of the same mesh built on one process."""
    comm = MPI.COMM_WORLD
    distributed = _build(geometry, comm)
    serial = _build(geometry, MPI.COMM_SELF)
    tdim = distributed.mesh.topology.dim
    owned = comm.allgather(distributed.mesh.topology.index_map(tdim).size_local)
    assert all(n > 0 for n in owned), owned
    assert distributed.regions == serial.regions
    assert distributed.boundaries == serial.boundaries
    assert distributed.lithiation == serial.lithiation
    assert meshes.facet_counts(distributed) == meshes.facet_counts(serial)
    measures = meshes.region_measures(distributed)
    assert measures == pytest.approx(meshes.region_measures(serial), rel=1e-10)
    assert measures == pytest.approx(distributed.exact_measures, rel=1e-2)


@pytest.mark.mpi
def test_distributed_msh_file(tmp_path):
    """A .msh written by write_msh reads back on all ranks with the same groups and measures."""
    comm = MPI.COMM_WORLD
    path = comm.bcast(str(tmp_path / "film.msh") if comm.rank == 0 else None, root=0)
    if comm.rank == 0:
        _write_msh(FILM, path)
    comm.barrier()
    read = _build({"kind": "file", "dim": 2, "file": path,
                         "region_map": {"si": "si", "collector": 3, "electrolyte": "electrolyte"}},
                        comm)
    built = _build(FILM, comm)
    assert read.regions == built.regions
    assert meshes.facet_counts(read) == meshes.facet_counts(built)
    assert meshes.region_measures(read) == pytest.approx(built.exact_measures)
    assert read.reference_length == pytest.approx(200.0)
