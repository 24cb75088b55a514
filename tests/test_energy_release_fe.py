"""Finite-element check of the weight-function G (benchmarks/energy_release_check.py): a meshed
crack in plane strain, G by the domain J-integral (with the eigenstrain term) and by the energy
difference, against the weight functions on the handbook load (strip) and on the model's own
uncracked profile (disc with an eigenstrain)."""

from sifrac.solver import bootstrap  # noqa: F401  (must precede dolfinx imports)

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).parents[1] / "benchmarks" / "energy_release_check.py"
_SPEC = importlib.util.spec_from_file_location("energy_release_check", _PATH)
check_module = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = check_module  # its dataclass needs the module registered
_SPEC.loader.exec_module(check_module)


def _assert_row(row, wf: str, tol: float) -> None:
    assert row.g_j_inner == pytest.approx(row.g_j_outer, rel=3e-3)  # path independence
    assert row.g_energy == pytest.approx(row.g_j_outer, rel=1e-2)  # two independent FE measures
    assert getattr(row, f"g_wf_{wf}") == pytest.approx(row.g_j_outer, rel=tol)


def test_fe_check_quick():
    """Edge-cracked strip in tension at a/W = 0.3 (weight function = Tada's tension solution) and
    a disc with a misfitting core at a/D = 0.1 (disc weight function on the FE's own profile),
    where the strip and half-plane functions fall 16% and 26% short (measured)."""
    strip = check_module.check("strip_tension", 0.3)
    _assert_row(strip, "strip", 0.01)
    disc = check_module.check("disc_core", 0.1)
    _assert_row(disc, "disc", 0.01)
    assert disc.error(disc.g_wf_strip) < -0.1 and disc.error(disc.g_wf_half_plane) < -0.2


@pytest.mark.slow
@pytest.mark.parametrize("kind, alphas, wf, tol", [
    ("strip_tension", (0.1, 0.5, 0.6), "strip", 0.02),
    ("strip_bending", (0.1, 0.3, 0.5, 0.6), "strip", 0.02),
    ("disc_core", (0.05, 0.2, 0.3, 0.4), "disc", 0.015),
    ("disc_band", (0.02, 0.05, 0.1, 0.15), "disc", 0.015),
])
def test_fe_check_full(kind, alphas, wf, tol):
    """The tables of docs/notes/energy-release.md: measured within 1.6% (strip) and 0.9% (disc)."""
    for alpha in alphas:
        _assert_row(check_module.check(kind, alpha), wf, tol)


@pytest.mark.slow
def test_fe_stiff_core():
    """A core 4x stiffer than the shell (the J-integral's graded-modulus term): the two J domains
    and the energy difference agree; the homogeneous disc function with E at the tip is off by
    the measured +9..+33% (tip in the shell) and -25..-37% (tip in the core), a stated limit."""
    for alpha, low, high in ((0.1, 0.2, 0.3), (0.2, -0.02, 0.02), (0.3, -0.45, -0.3)):
        row = check_module.check("disc_bimaterial", alpha)
        assert row.g_j_inner == pytest.approx(row.g_j_outer, rel=3e-3)
        assert row.g_energy == pytest.approx(row.g_j_outer, rel=1e-2)
        assert low < row.error(row.g_wf_disc) < high


@pytest.mark.slow
def test_fe_disc_quadratic_face_load():
    """The disc function on a face load it was not built from: (1 - x/a)^2 (measured 0.4%), and
    its references off the tabulated a/D (interpolation)."""
    for alpha in (0.05, 0.2, 0.4, 0.6):
        row = check_module.check("disc_pressure_2", alpha)
        assert row.g_wf_disc == pytest.approx(row.g_j_outer, rel=0.01)
    for alpha in (0.175, 0.425):
        f0, _ = check_module.disc_reference(alpha, 0)
        a = alpha * check_module.WIDTH
        k = check_module.energy_release_rate(a, lambda x: np.ones_like(x), check_module.E, check_module.NU, "disc",
                                             check_module.WIDTH)
        assert np.sqrt(k * check_module.E / (1 - check_module.NU**2) / (np.pi * a)) == pytest.approx(f0, rel=2e-3)
