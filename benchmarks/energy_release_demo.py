"""Energy-release-rate criterion on today's c-Si particle model (a demonstration, no new physics).

Runs the critical-size base case (cases/particle_first_lithiation.toml) uncracked
(fracture.model = none) at a few diameters with the study's settings (finite strain, the
potential ramp and the 60 nm ball of h = 2 nm about the flaw's line of cases/critical_size_csi.toml;
--small: small strain), samples at every recorded step the
Cauchy hoop stress sigma_xx on the flaw's line (x = 0, from the top of the quarter disc to the
centre, current depths from the displacement in finite strain), and evaluates the weight-function G(a) of a
radial edge crack in the disc (solver/energy_release.py) with E, nu at the crack tip from the
local concentration. Reports max over a and over the state of charge against Gc of the lithiated
phase and the implied critical diameter, by scaling (G_max proportional to D when the profile is
self-similar) and by interpolation across the diameters.

The hook: solver.simulation.Simulation builds StressFields(model) and calls its update() at every
recorded step; this script swaps in a subclass that samples the line after each update. The coordinator's
wiring does the same inside Simulation.record (docs/notes/energy-release.md).

    .venv/bin/python benchmarks/energy_release_demo.py [--diameters 83 150 250] [--small] [--set K=V]
        [--out DIR] [--plot-only]

Writes per diameter history_G.csv (step, soc, G_max, a_star, ...), profiles.npz (current depth,
sigma_xx, c on the line at every step) and the run's outputs, plus summary.json and G.png in DIR (default benchmarks/results/energy_release/demo).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sifrac.solver import bootstrap  # noqa: E402,F401  (must precede dolfinx imports)

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
from mpi4py import MPI  # noqa: E402

import sifrac.solver.simulation as simulation_module  # noqa: E402
from sifrac.solver.case import load_case  # noqa: E402
from sifrac.solver.energy_release import (critical_size_by_interpolation, critical_size_by_scaling,  # noqa: E402
                                   energy_release_rate, peak_energy_release_rate)
from sifrac.solver.fields import StressFields  # noqa: E402
from sifrac.solver.profile import RadialLine  # noqa: E402
from sifrac.solver.run import run  # noqa: E402

CASE = Path(__file__).parents[1] / "cases" / "particle_first_lithiation.toml"
FLAW = 16.0  # nm, the base case's surface_flaw: G at this depth is the phase-field flaw's
# the settings of the critical-size study cases/critical_size_csi.toml (its fracture keys aside):
# finite strain, the ramped potential, the flaw's line meshed at h = 2 nm in a 60 nm ball
STUDY = ["mechanics.kinematics=finite", "loading.ramp_time=0.05", "geometry.top_refine_radius=60.0",
         "geometry.mesh_size_top=2.0"]


def sampling_stress_fields(rows: list[dict], profiles: list[np.ndarray]) -> type:
    """A StressFields that evaluates the flaw line's G after every stress update into `rows`
    (and keeps the sampled depth, sigma_xx, c in `profiles`)."""

    class Sampling(StressFields):
        def __init__(self, problem) -> None:
            super().__init__(problem)
            act = problem.case.active
            self.moduli = (act.E, act.E_lithiated, act.nu, act.nu_lithiated)
            radius = 0.5 * problem.case.geometry.diameter
            self.line = RadialLine(problem.bundle.mesh, (0.0, 0.0), (0.0, 1.0), radius,
                                   np.linspace(0.0, radius, 401), normal=(1.0, 0.0))

        def update(self) -> None:
            super().update()
            problem = self.problem
            finite = problem.case.mechanics.kinematics == "finite"  # small strain: reference depths
            depth = self.line.current_depths(problem.u) if finite else self.line.depths
            sigma = self.line.normal_stress(self.tensor)
            c = self.line.values([problem.c])[:, 0]
            profiles.append(np.stack([depth, sigma, c]))
            e0, e1, nu0, nu1 = self.moduli
            e_tip, nu_tip = e0 + (e1 - e0) * np.clip(c, 0, 1), nu0 + (nu1 - nu0) * np.clip(c, 0, 1)
            diameter_now = 2.0 * depth[-1]  # (current) diameter along the line (centre fixed)
            peak = peak_energy_release_rate((depth, sigma), e_tip, nu_tip, a_max=depth[-1], geometry="disc",
                                            width=diameter_now)
            flaw = min(FLAW, depth[-1])
            at_flaw = {f"G_flaw_{g}": float(energy_release_rate(flaw, (depth, sigma), e_tip, nu_tip, g, diameter_now))
                       for g in ("disc", "half_plane")}
            rows.append({"soc": problem.transport.soc(), "G_max": peak.G, "a_star": peak.a, "K_at_a_star": peak.K, **at_flaw,
                         "current_diameter": diameter_now, "surface_hoop": sigma[0],
                         "max_hoop_on_line": float(sigma.max()),
                         "tensile_depth": float(depth[np.argmax(sigma < 0)]) if np.any(sigma < 0) else float(depth[-1]),
                         "E_at_a_star": float(np.interp(peak.a, depth, e_tip))})

    return Sampling


def run_diameter(diameter: float, small: bool, out: Path, extra: list[str]) -> list[dict]:
    overrides = [f"geometry.diameter={diameter}", "fracture.model=none", "fracture.surface_flaw=0.0",
                 "output.fields=false", *(STUDY[2:] if small else STUDY), *extra]
    case = load_case(CASE, overrides)
    rows: list[dict] = []
    profiles: list[np.ndarray] = []
    original = simulation_module.StressFields
    simulation_module.StressFields = sampling_stress_fields(rows, profiles)
    try:
        result = run(case, MPI.COMM_WORLD, out)
    finally:
        simulation_module.StressFields = original
    for row, hist in zip(rows, result.history, strict=True):
        row["step"] = hist["step"]
    if MPI.COMM_WORLD.rank == 0:
        with open(out / "history_G.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["step", *[k for k in rows[0] if k != "step"]])
            writer.writeheader()
            writer.writerows(rows)
        np.savez_compressed(out / "profiles.npz", steps=np.array([r["step"] for r in rows]),
                            soc=np.array([r["soc"] for r in rows]), profiles=np.array(profiles))
    return rows


def plot(out: Path, diameters: list[float], gc: float) -> None:
    """G_max and G at the 16 nm flaw against SOC, and the hoop profile at SOC 0.9, per diameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_g, ax_p) = plt.subplots(1, 2, figsize=(11, 4.2))
    for diameter in diameters:
        run = out / f"D{diameter:g}"
        with open(run / "history_G.csv") as f:
            rows = list(csv.DictReader(f))
        soc = [float(r["soc"]) for r in rows]
        line, = ax_g.plot(soc, [float(r["G_max"]) for r in rows], label=f"D = {diameter:g} nm: max over a")
        ax_g.plot(soc, [float(r["G_flaw_disc"]) for r in rows], "--", color=line.get_color(),
                  label=f"D = {diameter:g} nm: a = {FLAW:g} nm")
        saved = np.load(run / "profiles.npz")
        i = int(np.argmin(np.abs(saved["soc"] - 0.9)))
        depth, sigma, _ = saved["profiles"][i]
        ax_p.plot(depth / (2 * depth[-1]), sigma, color=line.get_color(), label=f"D = {diameter:g} nm, SOC {saved['soc'][i]:.2f}")
    ax_g.axhline(gc, color="k", lw=0.8)
    ax_g.set(xlabel="SOC", ylabel="G (J/m$^2$), disc weight function", title="uncracked c-Si particle, flaw line")
    ax_g.legend(fontsize=7)
    ax_p.axhline(0.0, color="k", lw=0.8)
    ax_p.set(xlabel="current depth / current diameter", ylabel="hoop stress $\\sigma_{xx}$ (GPa)",
             title="profile on the flaw line")
    ax_p.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "G.png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diameters", type=float, nargs="+", default=[83.0, 150.0, 250.0])
    parser.add_argument("--small", action="store_true", help="small strain (the base case as written)")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="more case overrides")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "energy_release" / "demo")
    parser.add_argument("--plot-only", action="store_true", help="only redraw G.png from the runs in --out")
    args = parser.parse_args()
    gc = load_case(CASE).active.Gc_lithiated
    if args.plot_only:
        plot(args.out, args.diameters, gc)
        return
    results = []
    for diameter in args.diameters:
        rows = run_diameter(diameter, args.small, args.out / f"D{diameter:g}", args.extra)
        best = max(rows, key=lambda r: r["G_max"])
        results.append({"diameter": diameter, "G_max": best["G_max"], "soc_at_max": best["soc"],
                        **{k: max(r[k] for r in rows) for k in ("G_flaw_disc", "G_flaw_half_plane")},
                        "a_star": best["a_star"], "a_star_over_D": best["a_star"] / best["current_diameter"],
                        "D_c_by_scaling": critical_size_by_scaling(diameter, best["G_max"], gc),
                        "soc_end": rows[-1]["soc"]})
    summary = {"Gc": gc, "kinematics": "small" if args.small else "finite", "runs": results,
               "D_c_by_interpolation": critical_size_by_interpolation(
                   [r["diameter"] for r in results], [r["G_max"] for r in results], gc) if len(results) > 1 else None}
    if MPI.COMM_WORLD.rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
        plot(args.out, args.diameters, gc)
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
