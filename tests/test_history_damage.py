"""Zhang, Krischok & Linder's (2016) phase field beside today's AT1: AT2 driven by a history
field H (Miehe, Hofacker & Welschinger 2010: `[fracture] irreversibility = "history"`), the
spectral split on Hencky principal elastic strains (`split = "spectral"` in finite strain), and
their onset criterion (criterion = max_damage, threshold = 0.8).

The homogeneous bar (tests/test_phasefield.py: a film layer on rollers, uniform delithiation,
swelling along x only, nu = 0) has the closed form: the AT2 energy (1 - d)^2 H + Gc/(2 ell)
(d^2 + ell^2 |grad d|^2) is stationary at d = 2 ell H / (Gc + 2 ell H), so d = 0.8 at
H = 2 Gc / ell; with nu = 0 the tensile energy is H = E eps^2 / 2 of the elastic strain eps
(in finite strain per reference volume: J_c E eps^2 / 2 with Gc and ell pulled back as the damage
problem does).
"""

from sifrac.solver import bootstrap  # noqa: F401

import numpy as np
import pytest
import ufl
from dolfinx import fem, mesh
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver import elasticity
from sifrac.solver.case import resolve_case
from sifrac.solver.kinematics import Kinematics
from sifrac.solver.model import ChemoMechanicalModel
from sifrac.solver.run import run
from test_phasefield import E, ELL, GC, bar_raw

EXPANSION = 0.3  # of the bar, along x only


def history_bar(kinematics: str = "small", **loading) -> dict:
    raw = bar_raw("AT2", "spectral", dc_target=0.01, **loading)
    raw["fracture"].update(irreversibility="history", criterion="max_damage", threshold=0.8)
    raw["mechanics"]["kinematics"] = kinematics
    return resolve_case(raw, f"history_bar_{kinematics}")


def closed_form_damage(c: float, kinematics: str) -> float:
    """d of the homogeneous AT2 bar at the uniform concentration c (delithiated from 1)."""
    if kinematics == "small":
        eps, jc = EXPANSION * (1.0 - c), 1.0
    else:
        jc = 1.0 + EXPANSION * (c - 1.0)
        eps = -np.log(jc)
    h, gc, ell = jc * E * eps**2 / 2, GC * jc ** (2 / 3), ELL * jc ** (-1 / 3)
    return 2 * ell * h / (gc + 2 * ell * h)


@pytest.mark.parametrize("kinematics", ["small", "finite"])
def test_at2_history_bar_closed_form(tmp_path, kinematics):
    """Every step's damage is the closed form to 1e-6 up to d = 0.81, and the Zhang onset (max d
    first >= 0.8) is the first step past H = 2 Gc / ell. (Beyond, the bar's softening makes the
    uniform state unstable: round-off differences grow five- to sixfold per step and the damage
    localises, at SOC 0.46 in finite strain.)"""
    result = run(history_bar(kinematics, soc_end=0.45), MPI.COMM_WORLD, tmp_path)
    assert result.status == "complete", result.reason
    errors = [abs(r["max_damage"] - closed_form_damage(r["soc"], kinematics)) for r in result.history
              if closed_form_damage(r["soc"], kinematics) <= 0.81]
    print(kinematics, "largest |d - closed form| over", len(errors), "steps:", max(errors))
    assert max(errors) < 1e-6
    onset = next(r for r in result.history if closed_form_damage(r["soc"], kinematics) >= 0.8)
    s = result.summary
    assert s["fractured"] and s["fractured_by"] == "max_damage"
    assert s["crack_initiation_soc"] == onset["soc"]
    if kinematics == "small":  # H = E eps^2 / 2 = 2 Gc / ell at eps = sqrt(4 Gc / (E ell))
        assert 1.0 - (4 * GC / (E * ELL)) ** 0.5 / EXPANSION == pytest.approx(onset["soc"], abs=0.011)


def test_history_keeps_the_largest_driving_energy():
    """Unloading (relithiating) the bar leaves the driving energy at its largest accepted value:
    H at c = 0.7, not the smaller energy at c = 0.9; the damage stays the closed form at 0.7."""
    case = history_bar()
    model = ChemoMechanicalModel(meshes.build(case.geometry, MPI.COMM_WORLD), case)
    model.initialise(1.0)
    si = model.transport.outside_si

    def step(c: float) -> None:
        model.conc.c.x.array[:] = c
        model.conc.c.x.array[si] = 0.0
        model.solve_equilibrium()
        model.accept()

    step(0.7)
    h07 = E * (EXPANSION * 0.3) ** 2 / 2
    step(0.9)
    driving = model.damage.history.x.array
    assert driving.max() == pytest.approx(h07, rel=1e-6)  # the lateral swelling weights are 1e-9
    assert model.damage.driving.x.array.max() == pytest.approx(h07, rel=1e-6)
    assert model.damage.max_damage() == pytest.approx(closed_form_damage(0.7, "small"), abs=1e-7)
    assert "crack_driving_history" in model.state_functions()


def _hencky_driving_energy(F: np.ndarray, E_: float, nu: float) -> float:
    """The crack driving energy of the model (finite strain, spectral split, no swelling) for a
    uniform 2D deformation gradient F, assembled over the unit square."""
    domain = mesh.create_unit_square(MPI.COMM_SELF, 2, 2)
    V = fem.functionspace(domain, ("Lagrange", 1, (2,)))
    u = fem.Function(V)
    G = F - np.eye(2)
    u.interpolate(lambda x: G @ x[:2])
    zero = fem.Constant(domain, 0.0)
    mat = elasticity.Material(fem.Constant(domain, E_), fem.Constant(domain, nu), 0.1 * ufl.Identity(3),
                              Kinematics(finite=True), split="spectral")
    return fem.assemble_scalar(fem.form(elasticity.crack_driving_energy(u, zero, mat) * ufl.dx))


def _zhang(F: np.ndarray, E_: float, nu: float) -> float:
    """psi+ = lambda/2 <ln J>+^2 + mu sum <e_A>+^2 of the principal Hencky strains (plane strain)."""
    F3 = np.eye(3)
    F3[:2, :2] = F
    e = 0.5 * np.log(np.linalg.eigvalsh(F3.T @ F3))
    lmbda, mu = E_ * nu / ((1 + nu) * (1 - 2 * nu)), E_ / (2 * (1 + nu))
    pos = np.maximum(e, 0.0)
    return 0.5 * lmbda * max(e.sum(), 0.0) ** 2 + mu * (pos**2).sum()


@pytest.mark.parametrize("F", [np.diag([0.8, 0.9]), np.array([[0.85, 0.05], [0.02, 0.9]]), np.diag([1.2, 1.0]),
                               np.diag([1.05, 0.8]), np.array([[1.2, 0.1], [0.05, 0.95]])],
                         ids=["compression", "sheared-compression", "uniaxial-tension", "mixed", "sheared-tension"])
def test_hencky_spectral_split(F):
    """Zhang's split on Hencky principal elastic strains is the model's spectral split in finite
    strain: no driving energy under compression, lambda/2 (ln s)^2 + mu (ln s)^2 under uniaxial
    stretch s, and the closed form for any F."""
    got, expected = _hencky_driving_energy(F, 41.0, 0.24), _zhang(F, 41.0, 0.24)
    if np.all(np.linalg.eigvalsh(F.T @ F) <= 1.0):
        assert expected == 0.0 and abs(got) < 1e-14
    else:
        assert got == pytest.approx(expected, rel=1e-9)
    if np.allclose(F, np.diag([1.2, 1.0])):
        lmbda, mu = 41.0 * 0.24 / (1.24 * 0.52), 41.0 / 2.48
        assert got == pytest.approx((lmbda / 2 + mu) * np.log(1.2) ** 2, rel=1e-9)


def test_history_input():
    from sifrac.solver.case import CaseError

    raw = bar_raw("AT2", "spectral")
    raw["fracture"].update(irreversibility="history", acceleration="overrelaxation")
    with pytest.raises(CaseError, match="overrelaxation"):
        resolve_case(raw, "bad")
