"""Small against finite strain on the c-Si hoop-stress case (issue 4), in a sphere (or a-Si, or
a plane-strain nanowire).

The first-lithiation case of cases/particle_first_lithiation.toml (c-Si library values,
regular-solution front, J2 plasticity, surface held at c = 0.98) solved by the spherically
symmetric model (solver/radial.py) with both kinematics, to SOC 0.9. Potentiostatic lithiation of
a sphere is self-similar in R^2/D and the mechanics has no length scale, so stresses against SOC
do not depend on the diameter (only the mesh-to-radius ratio does).

Per step: the surface Cauchy hoop stress, and the outer tensile layer (sigma_theta > 0 from the
surface inwards) in the current configuration: its thickness t / r and
G_layer = (1 - nu^2) / E int sigma_theta^2 dr over it (GPa nm), the elastic energy a crack
through that layer could release per unit area, up to an order-one factor. With G_layer
proportional to the size, D_c scales as 1 / max(G_layer / R), so the ratio of those maxima is a
scaling estimate of how finite strain would move the critical size, not a prediction of it.

    .venv/bin/python benchmarks/finite_strain_hoop.py [--out benchmarks/results/finite_strain]
        [--cell 0.25] [--material c-Si|a-Si] [--shape sphere|cylinder]
"""

from __future__ import annotations

from sifrac.solver import bootstrap  # noqa: F401

import argparse
import csv
import json
import time
from pathlib import Path

import matplotlib
import numpy as np
from mpi4py import MPI

from sifrac.solver import materials
from sifrac.solver.radial import SHAPES, RadialParticle, RadialSettings

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RADIUS = 75.0  # nm: D = 150 nm
SOC_MARKS = (0.3, 0.6, 0.9)


def tensile_layer(p: RadialParticle, prof: dict) -> tuple[float, float]:
    """(thickness / current radius, G_layer) of the outer tensile layer."""
    r, st = prof["r"], prof["sigma_theta"]
    compressed = np.flatnonzero(st <= 0.0)
    i0 = compressed[-1] + 1 if compressed.size else 0
    if i0 >= r.size:
        return 0.0, 0.0
    m, c = p.s.material, prof["c"][-1]
    E, nu = m["E"] + (m["E_lithiated"] - m["E"]) * c, m["nu"] + (m["nu_lithiated"] - m["nu"]) * c
    return (r[-1] - r[i0]) / r[-1], (1 - nu ** 2) / E * float(np.trapezoid(st[i0:] ** 2, r[i0:]))


def one(material: str, shape: str, kinematics: str, cell: float) -> tuple[dict, dict, float]:
    m = materials.get(material).values() | {"diffusivity_law": "regular_solution"}
    p = RadialParticle(RadialSettings(m, RADIUS, kinematics=kinematics, shape=shape, soc_end=0.9, cell_size=cell),
                       MPI.COMM_SELF)
    layer, profiles = [], {}

    def on_step(q: RadialParticle) -> None:
        prof = q.profile()
        layer.append(tensile_layer(q, prof))
        soc = q.soc()
        for mark in SOC_MARKS:
            if soc >= mark and mark not in profiles:
                profiles[mark] = prof | {"soc": soc}

    t0 = time.perf_counter()
    h = p.run(on_step).as_arrays()
    h["layer_thickness"], h["G_layer"] = (np.array(v) for v in zip(*layer))
    return h, profiles, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "finite_strain")
    ap.add_argument("--cell", type=float, default=0.25, help="cell size, nm")
    ap.add_argument("--material", default="c-Si", choices=materials.names("active"),
                    help="active material (its library values, regular-solution front)")
    ap.add_argument("--shape", default="sphere", choices=SHAPES, help="particle, or nanowire in plane strain")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {k: one(args.material, args.shape, k, args.cell) for k in ("small", "finite")}
    summary = {"material": args.material, "shape": args.shape, "radius_nm": RADIUS, "cell_nm": args.cell}
    with open(args.out / "history.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kinematics", "time", "soc", "surface_hoop", "surface_stretch", "max_plastic_strain",
                    "tensile_layer_thickness", "G_layer"])
        for k, (h, _, wall) in runs.items():
            for i in range(len(h["time"])):
                w.writerow([k] + [f"{h[c][i]:.8g}" for c in ("time", "soc", "hoop", "stretch", "plastic",
                                                            "layer_thickness", "G_layer")])
            g = h["G_layer"] / RADIUS
            summary[k] = {"steps": int(len(h["time"])), "wall_s": round(wall, 2),
                          "surface_hoop_min": float(h["hoop"].min()), "surface_hoop_end": float(h["hoop"][-1]),
                          "soc_hoop_tensile": float(h["soc"][np.argmax(h["hoop"] > 0)]),
                          "surface_stretch_end": float(h["stretch"][-1]),
                          "max_G_layer_per_R": float(g.max()), "soc_at_max_G": float(h["soc"][np.argmax(g)]),
                          "at_soc": {str(s): {"surface_hoop": float(np.interp(s, h["soc"], h["hoop"])),
                                              "layer_thickness": float(np.interp(s, h["soc"], h["layer_thickness"])),
                                              "G_layer_per_R": float(np.interp(s, h["soc"], g))}
                                     for s in SOC_MARKS}}
    summary["Dc_ratio_finite_over_small"] = summary["small"]["max_G_layer_per_R"] / summary["finite"]["max_G_layer_per_R"]
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, (h, prof, _) in runs.items():
        a1.plot(h["soc"], h["hoop"], label=f"{k} strain")
        for mark, pr in prof.items():
            a2.plot(pr["r"] / pr["r"][-1], pr["sigma_theta"], ls="-" if k == "finite" else "--",
                    label=f"{k}, SOC {pr['soc']:.2f}")
    a1.set(xlabel="SOC", ylabel="surface hoop stress (GPa)", title=f"{args.material} {args.shape}, first lithiation")
    a2.set(xlabel="r / r_surface (current)", ylabel="hoop stress (GPa)", title="hoop stress profiles")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "hoop.png", dpi=130)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
