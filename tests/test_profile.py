"""Radial-line sampling of the uncracked stress profile (solver/profile.py)."""

from sifrac.solver import bootstrap  # noqa: F401  (must precede dolfinx imports)

import numpy as np
import pytest
from dolfinx import fem
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case.geometry import unchecked
from sifrac.solver.profile import RadialLine


def _build(geometry: dict, comm, **kwargs):
    """meshes.build of a hand-written geometry, as given (the mesher checks it itself)."""
    return meshes.build(unchecked(geometry), comm, **kwargs)


DISC = {"kind": "particle", "dim": 2, "diameter": 100.0, "symmetry": True, "matrix": False,
        "matrix_size": 160.0, "mesh_size": 8.0, "mesh_size_surface": 2.0}


def fields(mesh) -> tuple[fem.Function, fem.Function]:
    """A DG1 stress tensor linear in x (sampled exactly) and a P1 displacement: a uniform
    stretch 1.1 along y plus a rigid shift."""
    stress = fem.Function(fem.functionspace(mesh, ("DG", 1, (3, 3))))
    stress.interpolate(lambda x: np.array([1.0 + 0.02 * x[1] - 0.01 * x[0], 0.3 + 0 * x[0], 0 * x[0],
                                           0.3 + 0 * x[0], -2.0 + 0.05 * x[0], 0 * x[0],
                                           0 * x[0], 0 * x[0], 0.5 + 0 * x[0]]))
    u = fem.Function(fem.functionspace(mesh, ("Lagrange", 1, (2,))))
    u.interpolate(lambda x: np.array([0 * x[0], 0.1 * x[1] + 3.0]))
    return stress, u


def sample(comm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bundle = _build(DISC, comm)
    stress, u = fields(bundle.mesh)
    depths = np.linspace(0.0, 100.0, 201)
    line = RadialLine(bundle.mesh, (0.0, 0.0), (0.0, 1.0), 50.0, depths)
    depth, sigma = line.profile(stress, u)
    tilted = RadialLine(bundle.mesh, (0.0, 0.0), (1.0, 1.0), 50.0, depths[:51]).normal_stress(stress)
    return depth, sigma, tilted


def test_radial_line_values():
    """On the flaw's line x = 0 (a symmetry edge of the quarter disc) the hoop stress is
    sigma_xx = 1 + 0.02 y, the current depths are 1.1 times the reference ones; the whole
    diameter lies in the quarter disc only down to the centre (depth 50); off-axis lines use
    n . sigma . n."""
    depth, sigma, tilted = sample(MPI.COMM_SELF)
    assert len(depth) == 101  # depth 0..50 inside, the rest (y < 0) outside the quarter disc
    reference = np.linspace(0.0, 50.0, 101)
    assert depth == pytest.approx(1.1 * reference, abs=1e-10)
    assert sigma == pytest.approx(1.0 + 0.02 * (50.0 - reference), abs=1e-10)
    x = (50.0 - np.linspace(0.0, 25.0, 51)) / np.sqrt(2.0)
    n = np.array([-1.0, 1.0]) / np.sqrt(2.0)
    expected = n[0] ** 2 * (1 + 0.02 * x - 0.01 * x) + 2 * n[0] * n[1] * 0.3 + n[1] ** 2 * (-2 + 0.05 * x)
    assert tilted == pytest.approx(expected, abs=1e-10)


def test_radial_line_bad_input():
    bundle = _build(DISC, MPI.COMM_SELF)
    with pytest.raises(ValueError, match="depths rising"):
        RadialLine(bundle.mesh, (0.0, 0.0), (0.0, 1.0), 50.0, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="normal"):
        RadialLine(bundle.mesh, (0.0, 0.0), (0.0, 1.0), 50.0, np.array([0.0, 2.0]), normal=(0.0, 1.0))


@pytest.mark.mpi
def test_radial_line_rank_invariant():
    """Two ranks give every rank the same profile as one process, to 1e-12."""
    comm = MPI.COMM_WORLD
    distributed = sample(comm)
    serial = sample(MPI.COMM_SELF)
    for got, want in zip(distributed, serial, strict=True):
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) <= 1e-12 * max(1.0, np.max(np.abs(want)))
        gathered = comm.allgather(got)
        assert all(np.array_equal(g, gathered[0]) for g in gathered)
