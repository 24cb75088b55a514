"""`make validate`: the headline critical-size studies against their published targets.

Each runs the study file as shipped (2D plane strain, one rank; a few minutes) and asserts that
its critical value lies in the study's `target`. Both targets are missed by the current model
(README, "Critical sizes: measured"): the tests are strict expected failures, so they report
the miss on every validation run and turn red (XPASS) once a model change meets a target, which
is then the moment to drop the marker.
"""

from solver import bootstrap  # noqa: F401

from pathlib import Path

import pytest
from mpi4py import MPI

from solver.sweep import load_study, sweep

CASES = Path(__file__).parents[1] / "cases"


def _study(tmp_path: Path, name: str) -> dict:
    study = load_study(CASES / f"{name}.toml")
    result = sweep(study, MPI.COMM_SELF, tmp_path / name)
    print(name, result.status, result.message, "target", result.summary["target"])
    assert result.summary["target"] is not None
    return result.summary


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known miss: 2D c-Si D_c = 64 nm (59-69) against 105-195 nm")
def test_csi_critical_diameter_in_target(tmp_path):
    assert _study(tmp_path, "critical_size_csi")["target_met"] is True


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known miss: 2D a-Si particles fracture from 75 nm; none should up to 870 nm")
def test_asi_critical_diameter_in_target(tmp_path):
    assert _study(tmp_path, "critical_size_asi")["target_met"] is True
