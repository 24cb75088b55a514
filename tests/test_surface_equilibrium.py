"""Stress-dependent surface concentration ([loading] surface_stress_coupling) against closed forms.

A film on a current collector with rollers on its sides is an infinite film: every layer is in
equibiaxial in-plane stress with sigma_yy = 0, so at a steady state (no flux left) the film holds
one uniform concentration c, the one its surface takes up under its own hydrostatic stress:
ln(c / (1 - c)) = ln(c_s / (1 - c_s)) + kappa sigma_h(c). That steady state is exact for the
penalty (the surface reaction stops with the flux), so the elastic case is checked tightly; the
plastic one carries the O(h) error of the surface cells' mean stress.
"""

from sifrac.solver import bootstrap  # noqa: F401

import math
from collections.abc import Callable

import pytest
from mpi4py import MPI

from sifrac.solver import diffusion
from sifrac.solver.case import resolve_case
from sifrac.solver.run import run

C_S = 0.98


def film(plasticity: str, coupled: bool = True) -> dict:
    """A 20 nm a-Si film on 10 nm of Cu, potentiostatic lithiation held until steady (50 s,
    against a diffusion time of ~4 s). Constant moduli, so that a plastic film stays on its
    yield surface (a softening E(c) would unload it below yield)."""
    return resolve_case({
        "geometry": {"kind": "thin_film", "dim": 2, "thickness": 20.0, "width": 20.0,
                     "substrate_thickness": 10.0, "mesh_size": 5.0},
        "active": {"material": "a-Si", "E_lithiated": 80.0, "nu_lithiated": 0.22},
        "mechanics": {"displacement_degree": 2 if plasticity == "J2" else 1, "plasticity": plasticity},
        "loading": {"mode": "potentiostatic", "soc_end": 0.99, "surface_concentration": C_S,
                    "surface_stress_coupling": coupled},
        "time": {"t_end": 50.0, "dt_initial": 0.01, "dt_max": 5.0},
        "output": {"fields": False}}, "surface_equilibrium")


def bisect(f, lo: float, hi: float) -> float:
    """The root of an increasing f on [lo, hi]."""
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def steady_soc(case: dict, tmp_path, spread: float) -> float:
    """The SOC at the end of a run that must have reached a steady state; `spread` bounds
    c_max - c_min (a plastic film's surface cells differ in mean stress by the discretisation
    error, and so in c_eq: Li then circulates along the surface)."""
    result = run(case, MPI.COMM_WORLD, tmp_path)
    assert result.status == "complete", result.reason
    hist = result.history
    assert abs(hist[-1]["soc"] - hist[-2]["soc"]) < 1e-6  # steady
    assert hist[-1]["c_max"] - hist[-1]["c_min"] < spread
    return hist[-1]["soc"]


def _balance(case: dict, sigma_h: Callable[[float], float]) -> Callable[[float], float]:
    """c -> ln(c/(1-c)) - ln(c_s/(1-c_s)) - kappa sigma_h(c): zero at the steady state."""
    act = case.active
    kappa = diffusion.stress_coupling(act.partial_molar_volume, case.loading.temperature)
    return lambda c: math.log(c / (1 - c)) - math.log(C_S / (1 - C_S)) - kappa * sigma_h(c)


def test_elastic_film_takes_up_what_its_compression_allows(tmp_path):
    """Elastic: sigma_xx = sigma_zz = -E beta c / (1 - nu), sigma_h = 2 sigma_xx / 3. The rigid
    lateral constraint leaves only ~5% of the stress-free uptake (kappa sigma_h = -240 c)."""
    case = film("none")
    act = case.active
    beta = act.expansion / 3
    exact = bisect(_balance(case, lambda c: -2 * act.E * beta * c / (3 * (1 - act.nu))), 1e-9, C_S)
    soc = steady_soc(case, tmp_path, 1e-4)
    assert exact == pytest.approx(0.0450, abs=1e-4)  # 0.0497 before the one partial molar volume (8.5e-6)
    assert soc == pytest.approx(exact, rel=1e-4)


def test_plastic_film_takes_up_what_its_yield_stress_allows(tmp_path):
    """J2, perfectly plastic: the in-plane stresses sit at -sigma_y(c), sigma_h = -2 sigma_y(c)/3
    with sigma_y linear in c (1.75 -> 1 GPa): c = 0.771 (measured 0.774 at h = 5 nm, 0.772 at
    h = 2.5 nm). Without the coupling the film fills to c_s."""
    case = film("J2")
    act = case.active
    assert case.mechanics.hardening == 0.0

    def sigma_h(c: float) -> float:
        return -2 * (act.yield_stress_pristine + (act.yield_stress - act.yield_stress_pristine) * c) / 3

    exact = bisect(_balance(case, sigma_h), 1e-9, C_S)
    assert steady_soc(case, tmp_path, 0.02) == pytest.approx(exact, rel=0.01)
    assert steady_soc(film("J2", coupled=False), tmp_path / "free", 1e-6) == pytest.approx(C_S, abs=1e-6)

