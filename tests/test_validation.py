"""`make validate`: the headline critical-size studies against their published targets.

Each runs the study file as shipped (2D plane strain, finite strain, one rank; c-Si about half an
hour) and asserts that its critical value lies in the study's `target`. Bisection assumes that the
criterion is monotone in the size: with the crack path meshed like the surface it is
(docs/critical-sizes.md, "Crack path and growth criterion": the flaw's growth at SOC 0.9 rises
from x 1.95 at 80 nm to x 5.1 at 250 nm), and the c-Si test also runs two sizes below the target's
lower edge, which must not fracture. Both targets are missed by the current model
(docs/critical-sizes.md, "Critical sizes: measured"): the tests are strict expected failures, so
they report the misses on every validation run and turn red (XPASS) once a model change meets a
target, which is then the moment to drop the marker.
"""

from sifrac.solver import bootstrap  # noqa: F401

from pathlib import Path

import pytest
from mpi4py import MPI

from sifrac.solver.run import run
from sifrac.solver.studies.plan import load_study, run_case, run_spec
from sifrac.solver.studies.strategies import evaluate
from sifrac.solver.studies.sweep import sweep

CASES = Path(__file__).parents[1] / "cases"


def _study(tmp_path: Path, name: str) -> dict:
    study = load_study(CASES / f"{name}.toml")
    result = sweep(study, MPI.COMM_SELF, tmp_path / name)
    print(name, result.status, result.message, "target", result.summary["target"])
    assert result.summary["target"] is not None
    return result.summary


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known miss: finite-strain c-Si flaws double from 83 nm (2-rank bisection: "
                          "78.5-88.1 nm); 90 and 100 nm fracture, below the 105 nm edge")
def test_csi_critical_diameter_in_target(tmp_path):
    summary = _study(tmp_path, "critical_size_csi")
    assert summary["target_met"] is True
    study = load_study(CASES / "critical_size_csi.toml")
    lower = summary["target"][0]
    for diameter in (float(round(0.86 * lower)), float(round(0.95 * lower))):  # 90, 100 nm: below the band
        case = run_case(study, run_spec(study, diameter), tmp_path)
        result = run(case, MPI.COMM_SELF, tmp_path / f"below_{diameter:g}")
        _, fractured = evaluate(study.sweep.criterion, result.summary)
        print("below the target", diameter, "nm: fractured", fractured)
        assert not fractured, diameter


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known miss: 2D a-Si particles fracture from 140 nm (137.8-142.2, finite strain); none should "
                          "up to 870 nm. As shipped (bracket 150-1500) the study ends no_sign_change")
def test_asi_critical_diameter_in_target(tmp_path):
    assert _study(tmp_path, "critical_size_asi")["target_met"] is True
