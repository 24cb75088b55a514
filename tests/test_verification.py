"""Verification of the chemo-elastic solver against closed forms.

Norm used throughout: the largest pointwise error over probe points on a radius (0 <= r <= 0.95 R),
divided by the largest magnitude of the reference profile (a relative max norm).
"""

from sifrac.solver import bootstrap  # noqa: F401

import csv
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from sifrac.solver import analytic
from sifrac.solver.case import load_case, resolve_case
from sifrac.solver.run import run

CASE = Path(__file__).parents[1] / "cases" / "verify_sphere_cv.toml"


def radial_run(tmp_path: Path, overrides: list[str], n_points: int = 20):
    """Run the verification case with probes along the diagonal; return x = r/R, probes, case."""
    case = load_case(CASE, overrides)
    dim = case.geometry.dim
    R = case.geometry.diameter / 2
    direction = np.ones(dim) / np.sqrt(dim)
    x = np.linspace(0.0, 0.95, n_points)
    pts = np.zeros((n_points, 3))
    pts[:, :dim] = x[:, None] * R * direction
    case.output.probes = pts.tolist()
    result = run(case, MPI.COMM_WORLD, tmp_path / "out")
    assert result.status == "complete", result.reason
    probes = MPI.COMM_WORLD.bcast(result.probes, root=0)
    sig = np.zeros((n_points, 3, 3))
    idx = {"sxx": (0, 0), "syy": (1, 1), "szz": (2, 2), "sxy": (0, 1), "sxz": (0, 2), "syz": (1, 2)}
    for k, (i, j) in enumerate(idx.values(), start=1):
        sig[:, i, j] = sig[:, j, i] = probes[:, k]
    n3 = np.zeros(3)
    n3[:dim] = direction
    sigma_r = np.einsum("i,nij,j->n", n3, sig, n3)
    return x, probes[:, 0], sigma_r, sig, case, result


def rel_max_error(numeric: np.ndarray, exact: np.ndarray) -> float:
    return float(np.abs(numeric - exact).max() / np.abs(exact).max())


def sphere_errors(tmp_path: Path, mode: str, overrides: tuple[str, ...] = ()) -> tuple[dict, np.ndarray, tuple]:
    """Run the Cheng & Verbrugge sphere (3D, or any model of it the overrides select) and return
    the relative max errors of c, sigma_r and sigma_theta, the closed-form hoop stress on the
    probes, and the raw (sig, case, result) for further checks."""
    x, c, sigma_r, sig, case, result = radial_run(tmp_path, [f"loading.mode={mode}", *overrides])
    act = case.active
    R, D, t = case.geometry.diameter / 2, act.diffusivity, result.summary["time"]
    tau = D * t / R**2
    if mode == "potentiostatic":
        profile = lambda s: analytic.sphere_c_potentiostatic(s, tau)  # noqa: E731
    else:
        j = case.loading.c_rate / 3600 * R / 3  # influx giving d(SOC)/dt = c_rate/3600 (V/A = R/3)
        profile = lambda s: analytic.sphere_c_galvanostatic(s, tau, j * R / D)  # noqa: E731
    sr, st = analytic.sphere_stress(x, profile, act.E, act.nu, act.expansion)
    sigma_t = 0.5 * (np.trace(sig, axis1=1, axis2=2) - sigma_r)
    errors = {"c": rel_max_error(c, profile(x)), "sigma_r": rel_max_error(sigma_r, sr),
              "sigma_theta": rel_max_error(sigma_t, st)}
    print(mode, *overrides, "tau", tau, "relative max errors", errors)
    return errors, st, (sig, case, result)


@pytest.mark.parametrize("mode", ["potentiostatic", "galvanostatic"])
def test_sphere_cheng_verbrugge(tmp_path, mode):
    errors, _, _ = sphere_errors(tmp_path, mode)
    assert errors["c"] < 0.02
    assert errors["sigma_r"] < 0.02
    assert errors["sigma_theta"] < 0.02


def _cylinder_errors(tmp_path, h: float, out_of_plane: str) -> dict[str, float]:
    overrides = ["geometry.kind=nanowire", "geometry.dim=2", f"geometry.mesh_size={h}",
                 "loading.mode=galvanostatic", "time.t_end=50.0", "loading.c_rate=18.0",
                 f"mechanics.out_of_plane={out_of_plane}"]
    x, c, sigma_r, sig, case, result = radial_run(tmp_path / f"h{h}", overrides)
    act = case.active
    R, D, t = case.geometry.diameter / 2, act.diffusivity, result.summary["time"]
    j = case.loading.c_rate / 3600 * R / 2  # V/A = R/2 for a disk
    profile = lambda s: analytic.cylinder_c_galvanostatic_steady(s, D * t / R**2, j * R / D)  # noqa: E731
    sr, st, sz = analytic.cylinder_stress(x, profile, act.E, act.nu, act.expansion)
    if out_of_plane == "generalized":
        # Free ends: a uniform axial strain removes the mean axial stress and leaves the in-plane
        # stresses as they are (its Poisson contraction is a uniform radial strain).
        r = np.linspace(0.0, 1.0, 4001)
        sz_fine = analytic.cylinder_stress(r, profile, act.E, act.nu, act.expansion)[2]
        sz = sz - np.trapezoid(sz_fine * 2 * r, r)
    sigma_t = np.trace(sig[:, :2, :2], axis1=1, axis2=2) - sigma_r
    return {"c": rel_max_error(c, profile(x)), "sigma_r": rel_max_error(sigma_r, sr),
            "sigma_theta": rel_max_error(sigma_t, st), "sigma_z": rel_max_error(sig[:, 2, 2], sz)}


@pytest.mark.parametrize("out_of_plane", ["plane_strain", "generalized"])
def test_cylinder_plane_strain_convergence(tmp_path, out_of_plane):
    """2D analogue: long-time galvanostatic cylinder (tau = 0.5), held at its ends (plane strain)
    or free (generalised plane strain); errors fall as h halves."""
    coarse, fine = _cylinder_errors(tmp_path, 20.0, out_of_plane), _cylinder_errors(tmp_path, 10.0, out_of_plane)
    print(out_of_plane, "cylinder relative max errors, h = R/5:", coarse, "h = R/10:", fine)
    for key in ("sigma_r", "sigma_theta", "sigma_z"):
        assert fine[key] < 0.02
        assert fine[key] < coarse[key]


def test_mass_balance(tmp_path):
    """Li inserted equals flux x area x time to 1e-8 relative (backward Euler conserves exactly)."""
    case = load_case(CASE, ["loading.mode=galvanostatic", "geometry.dim=2", "geometry.mesh_size=20.0",
                            "active.diffusivity_law=log_linear", "active.diffusivity_lithiated=1500.0"])
    result = run(case, MPI.COMM_WORLD, tmp_path / "out")
    s = result.summary
    inserted = s["soc"] * s["si_volume"]
    expected = case.loading.c_rate / 3600 * s["time"] * s["si_volume"]
    assert abs(inserted - expected) <= 1e-8 * expected


def test_stress_assisted_flux_relieves_stress(tmp_path):
    """Hydrostatic tension in the core draws Li in, evening out c and lowering the peak stress
    (Zhang, Shyy & Sastry, J. Electrochem. Soc. 154 (2007) A910); Li stays conserved."""
    base = ["loading.mode=galvanostatic", "geometry.dim=2", "geometry.mesh_size=10.0", "time.t_end=20.0"]
    peaks = {}
    for flag in ("false", "true"):
        case = load_case(CASE, [*base, f"loading.stress_assisted={flag}"])
        result = run(case, MPI.COMM_WORLD, tmp_path / flag)
        assert result.status == "complete"
        peaks[flag] = result.summary["extremes"]["max_principal_stress"]
        s = result.summary
        assert s["soc"] == pytest.approx(case.loading.c_rate / 3600 * s["time"], rel=1e-8)
    print("peak max principal stress without/with stress-assisted flux:", peaks)
    assert peaks["true"] < 0.95 * peaks["false"]


def test_stack_pressure_uniaxial_strain(tmp_path):
    """A film stack on rollers under stack pressure p: sigma_yy = -p through every layer and
    sigma_xx = nu / (1 - nu) sigma_yy in each (uniaxial strain), before any lithiation."""
    p = 0.05
    case = load_case(CASE, ["geometry.kind=thin_film", "geometry.dim=2", "geometry.thickness=100.0",
                            "geometry.width=200.0", "geometry.cap=true", "geometry.mesh_size=20.0",
                            "electrolyte.material=LLZO", f"loading.stack_pressure={p}", "time.t_end=0.1",
                            "output.probes=[[30.0, -20.0], [30.0, 50.0], [30.0, 120.0]]"])
    result = run(case, MPI.COMM_WORLD, tmp_path / "out")
    assert result.status == "complete"
    if MPI.COMM_WORLD.rank != 0:
        return
    rows = [r for r in csv.DictReader(open(tmp_path / "out" / "probes.csv")) if float(r["time"]) == 0.0]
    for row, mat in zip(rows, (case.collector, case.active, case.electrolyte)):
        assert float(row["syy"]) == pytest.approx(-p, rel=1e-6)
        assert float(row["sxx"]) == pytest.approx(-p * mat.nu / (1 - mat.nu), rel=1e-6)


@pytest.mark.slow
def test_sphere_convergence_study(tmp_path):
    """`make validate`: galvanostatic sphere errors at h = R/5, R/10, R/20 fall monotonically."""
    errors = []
    for h in (20.0, 10.0, 5.0):
        x, c, sigma_r, sig, case, result = radial_run(
            tmp_path / f"h{h}", ["loading.mode=galvanostatic", f"geometry.mesh_size={h}",
                                 f"geometry.mesh_size_surface={h}", "time.dc_target=0.005"])
        act = case.active
        R, D = case.geometry.diameter / 2, act.diffusivity
        tau = D * result.summary["time"] / R**2
        j = case.loading.c_rate / 3600 * R / 3
        profile = lambda s: analytic.sphere_c_galvanostatic(s, tau, j * R / D)  # noqa: E731
        sr, st = analytic.sphere_stress(x, profile, act.E, act.nu, act.expansion)
        sigma_t = 0.5 * (np.trace(sig, axis1=1, axis2=2) - sigma_r)
        errors.append((h, rel_max_error(sigma_r, sr), rel_max_error(sigma_t, st)))
    print("sphere convergence (h, sigma_r, sigma_theta):", errors)
    assert errors[1][1] < errors[0][1] and errors[2][1] < errors[1][1]
    assert errors[1][2] < errors[0][2] and errors[2][2] < errors[1][2]


@pytest.mark.parametrize("out_of_plane", ["generalized", "plane_strain"])
def test_free_disk_swells_stress_free_only_in_generalized_plane_strain(tmp_path, out_of_plane):
    """Uniform lithiation of a free a-Si disk. Generalised plane strain lets the section lengthen:
    no stress at all, and the axial strain equals the linear swelling (expansion / 3) dc. Plane
    strain holds the length: sigma_zz = -E(c) (expansion / 3) dc everywhere, the only stress."""
    case = resolve_case({"geometry": {"kind": "particle", "dim": 2, "diameter": 100.0, "mesh_size": 10.0},
                         "active": {"material": "a-Si"},
                         "mechanics": {"out_of_plane": out_of_plane, "displacement_degree": 1},
                         "loading": {"mode": "uniform", "c_rate": 1.0, "soc_end": 0.1},
                         "output": {"fields": False}}, "free_disk")
    result = run(case, MPI.COMM_WORLD, tmp_path)
    assert result.status == "complete"
    last = result.history[-1]
    act = case.active
    swelling = act.expansion / 3 * last["soc"]
    if out_of_plane == "generalized":
        assert last["axial_strain"] == pytest.approx(swelling, rel=1e-9)
        assert max(last["max_principal_stress"], -last["min_principal_stress"]) < 1e-9
    else:
        assert "axial_strain" not in last
        E = act.E + (act.E_lithiated - act.E) * last["soc"]  # linear in c
        assert last["min_principal_stress"] == pytest.approx(-E * swelling, rel=1e-9)
        assert last["max_principal_stress"] < 1e-9
