"""Stress measures of solver/fields.py: the hoop stress about a body's centre, at the centre too."""

from sifrac.solver import bootstrap  # noqa: F401

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from mpi4py import MPI

from sifrac.solver.case import load_case
from sifrac.solver.fields import tangential
from sifrac.solver.run import run

CASES = Path(__file__).parents[1] / "cases"


def _round(dim: int) -> SimpleNamespace:
    """What tangential() reads of a MeshBundle: the centre, the dimension, no wire axis."""
    return SimpleNamespace(center=(0.0, 0.0, 0.0), hoop_axis=None,
                           mesh=SimpleNamespace(geometry=SimpleNamespace(dim=dim)))


@pytest.mark.parametrize("dim", [2, 3])
def test_hoop_of_an_isotropic_stress_is_that_stress_at_the_centre_too(dim):
    """sigma = 2.5 I at the centre (r = 0) and at two other points: hoop = 2.5 GPa at all three.
    Before the fix the 3D centre gave trace/2 = 3.75 GPa (1.5 times the stress)."""
    x = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [1e-3, -2e-3, 5e-3 * (dim == 3)]])
    s = np.repeat(2.5 * np.eye(3)[None], len(x), axis=0)
    assert tangential(s, x, _round(dim)) == pytest.approx(2.5, rel=1e-14)


def test_hoop_of_a_spherical_state_is_the_tangential_stress():
    """A sphere's state sigma_rr = 1, sigma_tt = sigma_pp = -2 GPa, written in Cartesian axes at
    points in several directions: the hoop stress is -2 GPa wherever r > 0; at r = 0 (no radial
    direction) it is a mean of two normal stresses, which lies between the principal stresses."""
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(size=(5, 3)) * 50.0, np.zeros((1, 3))])
    n = np.zeros_like(x)
    n[:-1] = x[:-1] / np.linalg.norm(x[:-1], axis=1)[:, None]
    s = -2.0 * np.eye(3)[None] + 3.0 * np.einsum("ni,nj->nij", n, n)
    s[-1] = np.diag([1.0, -2.0, -2.0])  # at the centre: some state with principal values 1, -2, -2
    hoop = tangential(s, x, _round(3))
    assert hoop[:-1] == pytest.approx(-2.0, rel=1e-12)
    assert -2.0 <= hoop[-1] <= 1.0


def test_demo_hoop_never_exceeds_the_largest_principal_stress(tmp_path):
    """cases/demo_particle.toml (the eighth sphere, 3D) shortened to 300 s on a coarse mesh: at every
    step max hoop <= max principal (a normal stress cannot exceed the largest principal stress).
    Before the fix the centre node gave max hoop = 1.5 x max principal at every step of the demo."""
    case = load_case(CASES / "demo_particle.toml", ["geometry.mesh_size=80.0", "geometry.mesh_size_surface=60.0",
                                                    "time.t_end=300.0", "output.fields=false"])
    result = run(case, MPI.COMM_SELF, tmp_path)
    assert result.status == "complete", result.reason
    assert len(result.history) >= 4
    for row in result.history[1:]:
        assert row["max_hoop_stress"] <= row["max_principal_stress"] * (1 + 1e-12) + 1e-12, row["step"]
        assert row["min_hoop_stress"] >= row["min_principal_stress"] * (1 + 1e-12) - 1e-12, row["step"]
    # the centre is the most stretched point of an elastic lithiating sphere: hoop = sigma_1 there
    assert result.history[-1]["max_hoop_stress"] == pytest.approx(result.history[-1]["max_principal_stress"],
                                                                  rel=0.05)
