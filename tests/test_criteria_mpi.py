"""Under mpiexec -n 2: the critical-size outputs (solver/criteria.py) are the same on 1 and 2 ranks:
a discontinuous field sampled along an inset radius, and every history column of a hollow sphere
with the geometry-aware criterion and the energy-release rate (1e-8 relative)."""

from sifrac.solver import bootstrap  # noqa: F401

import csv

import numpy as np
import pytest
from dolfinx import fem
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case import resolve_case
from sifrac.solver.profile import RadialLine
from test_mpi_run import one_and_two_ranks

pytestmark = pytest.mark.mpi

DISC = resolve_case({"geometry": {"kind": "particle", "dim": 2, "diameter": 100.0, "symmetry": True, "matrix": False,
                                  "mesh_size": 8.0, "mesh_size_surface": 2.0}}, "disc").geometry


def _sample(comm, inset: float) -> np.ndarray:
    """A DG0 field (one value per cell, from its midpoint) at the mesh vertices on the flaw's
    radius (the symmetry edge x = 0), where two or more cells meet."""
    mesh = meshes.build(DISC, comm).mesh
    f = fem.Function(fem.functionspace(mesh, ("DG", 0)))
    f.interpolate(lambda x: x[0] + 2.0 * x[1] + 0.1 * x[0] * x[1])
    x = mesh.geometry.x
    ys = np.unique(np.round(np.concatenate(comm.allgather(x[np.abs(x[:, 0]) < 1e-9, 1])), 9))
    depths = np.unique(np.concatenate([[0.0], 50.0 - ys[(ys >= 0.0) & (ys <= 50.0)]]))
    return RadialLine(mesh, (0.0, 0.0), (0.0, 1.0), 50.0, depths, inset=inset).values([f])[:, 0]


def test_inset_line_reads_one_cell_on_any_partition():
    comm = MPI.COMM_WORLD
    assert comm.size == 2, "run under mpiexec -n 2"
    serial = _sample(MPI.COMM_SELF, 5e-5) if comm.rank == 0 else None
    parallel = _sample(comm, 5e-5)
    if comm.rank == 0:
        assert np.all(np.isfinite(parallel))
        assert np.array_equal(serial, parallel)


def test_hollow_sphere_criteria_one_and_two_ranks(tmp_path_factory):
    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("hollow")) if comm.rank == 0 else None, root=0)
    case = resolve_case({
        "geometry": {"kind": "hollow_sphere", "dim": 2, "symmetry": True, "diameter": 120.0, "inner_diameter": 90.0,
                     "mesh_size": 6.0, "mesh_size_surface": 3.0},
        "active": {"diffusivity_law": "regular_solution"},
        "mechanics": {"plasticity": "J2"},
        "loading": {"mode": "potentiostatic", "surface_concentration": 0.98, "soc_end": 0.4},
        "fracture": {"model": "AT1", "split": "rankine", "length_scale": 6.0, "surface_flaw": 6.0,
                     "criterion": "geometry"},
        "time": {"t_end": 100.0, "dc_target": 0.2}, "output": {"fields": False}}, "hollow")
    serial, parallel = one_and_two_ranks(case, base)
    if comm.rank == 0:
        a, b = (list(csv.DictReader(open(f"{base}/{n}/history.csv"))) for n in ("np1", "np2"))
        assert len(a) == len(b) > 3
        assert {"crack_depth", "compressive_depth", "max_energy_release_rate", "flaw_energy_release_rate"} <= set(a[0])
        assert max(float(r["max_energy_release_rate"]) for r in a) > 0.0
        for ra, rb in zip(a, b):
            for key in ra:
                assert float(rb[key]) == pytest.approx(float(ra[key]), rel=1e-8, abs=1e-12, nan_ok=True), \
                    (key, ra["step"])
        assert parallel.summary["energy_release"] == serial.summary["energy_release"] or \
            parallel.summary["energy_release"]["G_max"] == pytest.approx(serial.summary["energy_release"]["G_max"],
                                                                         rel=1e-8)
