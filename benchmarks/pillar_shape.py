"""Front shape, swelling anisotropy and surface hoop stress of a pillar run (cases/pillar_100.toml,
cases/pillar_110.toml; issue 32 validation), read from the run's gathered snapshots
(state_step_N.vtu: reference coordinates, displacement, concentration, hoop stress).

Per snapshot, for the quarter section (x, y >= 0) of radius R:
- the lithiated depth R - r_core along mesh x and along the fast direction (the diagonal of the
  <100> pillar, mesh y of the <110> pillar), r_core where c falls to front_composition / 2 on
  the ray from the centre; their ratio is the front anisotropy;
- the deformed outline: the current radius of the surface against the angle; the aspect ratio is
  the current radius along the fast direction over that along mesh x (the lobes);
- the Cauchy hoop stress on the surface against the angle: its largest value, where, and its
  value on mesh x (between the <110> lobes) and in the lobe;
- the energy-release rate G(a) of a straight surface crack along each symmetry line (mesh x and
  mesh y, which stay straight: their material lines are mirror lines), by the edge-cracked-disc
  weight function (solver/energy_release.py) on the uncracked hoop (crack-normal) stress sampled
  in the current configuration, E and nu read at the tip (linear in c, `modulus_law =
  "interpolated"`); its maximum over a <= ALPHA_MAX D, D the current diameter on that line.

    .venv/bin/python benchmarks/pillar_shape.py RUN_DIR [RUN_DIR ...] [--soc 0.3] [--out FILE.json]

Writes one JSON object per run (the snapshot nearest `--soc` and the last one) to stdout or --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pyvista as pv

from sifrac.solver.energy_release import ALPHA_MAX, peak_energy_release_rate

#: Fast direction of the section (angle from mesh x, degrees) by the crystal direction along mesh z.
FAST_ANGLE = {(0, 0, 1): 45.0, (1, 1, 0): 90.0}


def _ray_depth(mesh: pv.UnstructuredGrid, radius: float, angle: float, level: float, n: int = 2001) -> float:
    """Lithiated depth from the surface along the ray at `angle` (degrees, reference configuration):
    R minus the largest radius at which the concentration is below `level`."""
    a = math.radians(angle)
    # stay a hair inside the quarter so the probe finds a cell on the symmetry lines
    eps = 1e-6 * radius
    end = ((radius - eps) * math.cos(a) + (eps if angle >= 89.99 else 0.0),
           (radius - eps) * math.sin(a) + (eps if angle <= 0.01 else 0.0), 0.0)
    start = (eps if angle >= 89.99 else 0.0, eps if angle <= 0.01 else 0.0, 0.0)
    line = mesh.sample_over_line(start, end, resolution=n - 1)
    c = np.asarray(line["concentration"])
    r = np.linalg.norm(np.asarray(line.points)[:, :2], axis=1)
    valid = np.asarray(line["vtkValidPointMask"]).astype(bool)
    below = np.where(valid & (c < level))[0]
    if below.size == 0:
        return radius
    i = below[-1]
    if i + 1 < len(c) and valid[i + 1]:  # interpolate the crossing
        r_core = r[i] + (level - c[i]) / (c[i + 1] - c[i]) * (r[i + 1] - r[i])
    else:
        r_core = r[i]
    return float(radius - r_core)


def _line(mesh: pv.UnstructuredGrid, radius: float, angle: float, n: int = 1601) -> dict[str, np.ndarray]:
    """Fields on the symmetry line at `angle` (0: mesh x, 90: mesh y) from the surface to the
    centre, with the current distance from the surface (the line stays straight)."""
    eps = 1e-6 * radius
    a = math.radians(angle)
    e = np.array([math.cos(a), math.sin(a), 0.0])
    inset = np.array([0.0, eps, 0.0]) if angle <= 0.01 else np.array([eps, 0.0, 0.0])
    line = mesh.sample_over_line(tuple((radius - eps) * e + inset), tuple(inset), resolution=n - 1)
    valid = np.asarray(line["vtkValidPointMask"]).astype(bool)
    x = np.asarray(line.points) + np.asarray(line["displacement"])
    pos = x @ e
    depth = pos[0] - pos
    keep = valid & np.concatenate([[True], np.diff(depth) > 0])
    return {"depth": depth[keep] - depth[keep][0], "hoop": np.asarray(line["hoop_stress"])[keep],
            "c": np.asarray(line["concentration"])[keep], "diameter": 2 * pos[keep][0]}


def energy_release(mesh: pv.UnstructuredGrid, radius: float, angle: float, act: dict) -> dict:
    """Peak weight-function G over crack depth on one symmetry line (GPa nm = J/m^2)."""
    line = _line(mesh, radius, angle)
    c = np.clip(line["c"], 0.0, 1.0)
    E = act["E"] + (act["E_lithiated"] - act["E"]) * c
    nu = act["nu"] + (act["nu_lithiated"] - act["nu"]) * c
    a_max = min(ALPHA_MAX * line["diameter"], line["depth"][-1]) * (1 - 1e-9)
    peak = peak_energy_release_rate((line["depth"], line["hoop"]), E, nu, a_max, "disc", line["diameter"])
    return {"G_max": round(peak.G, 4), "a_at_G_max_nm": round(peak.a, 3)}


def _surface(mesh: pv.UnstructuredGrid, radius: float) -> dict[str, np.ndarray]:
    """Surface nodes by angle: reference angle, current radius, hoop stress."""
    x = np.asarray(mesh.points)[:, :2]
    r = np.linalg.norm(x, axis=1)
    on = r > radius * (1 - 1e-6)
    theta = np.degrees(np.arctan2(x[on, 1], x[on, 0]))
    u = np.asarray(mesh.point_data["displacement"])[on, :2]
    current = np.linalg.norm(x[on] + u, axis=1)
    hoop = np.asarray(mesh.point_data["hoop_stress"])[on]
    order = np.argsort(theta)
    return {"theta": theta[order], "radius": current[order], "hoop": hoop[order]}


def _at(curve: dict[str, np.ndarray], key: str, angle: float) -> float:
    return float(np.interp(angle, curve["theta"], curve[key]))


def measure(path: Path, radius: float, fast: float, level: float, act: dict) -> dict:
    """The shape, surface stress and energy-release rates of one snapshot."""
    mesh = pv.read(path)
    surf = _surface(mesh, radius)
    i = int(np.argmax(surf["hoop"]))
    d_x, d_fast = _ray_depth(mesh, radius, 0.0, level), _ray_depth(mesh, radius, fast, level)
    return {
        "depth_x_nm": round(d_x, 3), "depth_fast_nm": round(d_fast, 3),
        "depth_ratio_fast_over_x": round(d_fast / d_x, 4) if d_x > 0 else None,
        "radius_x_nm": round(_at(surf, "radius", 0.0), 3), "radius_fast_nm": round(_at(surf, "radius", fast), 3),
        "aspect_fast_over_x": round(_at(surf, "radius", fast) / _at(surf, "radius", 0.0), 4),
        "hoop_surface_x_GPa": round(_at(surf, "hoop", 0.0), 4),
        "hoop_surface_fast_GPa": round(_at(surf, "hoop", fast), 4),
        "hoop_surface_max_GPa": round(float(surf["hoop"][i]), 4),
        "hoop_surface_max_angle_deg": round(float(surf["theta"][i]), 2),
        "energy_release_x": energy_release(mesh, radius, 0.0, act),
        "energy_release_y": energy_release(mesh, radius, 90.0, act),
    }


def analyse(run: Path, soc_target: float) -> dict:
    case = tomllib.loads((run / "case.toml").read_text())
    radius = case["geometry"]["diameter"] / 2
    axis = tuple(case["active"]["crystal_axis"])
    fast = FAST_ANGLE[axis]
    level = 0.5 * case["active"]["front_composition"]
    with open(run / "history.csv") as f:
        rows = {int(r["step"]): r for r in csv.DictReader(f)}
    snaps = sorted(run.glob("state_step_*.vtu"))
    steps = [int(p.stem.rsplit("_", 1)[1]) for p in snaps]
    socs = [float(rows[s]["soc"]) if s in rows else 0.0 for s in steps]
    near = int(np.argmin([abs(s - soc_target) for s in socs]))
    out = {"run": run.name, "radius_nm": radius, "crystal_axis": list(axis), "fast_angle_deg": fast}
    act = case["active"]
    out["snapshots"] = [{"step": s, "soc": round(q, 4), **measure(p, radius, fast, level, act)}
                        for s, q, p in zip(steps, socs, snaps) if s > 0]
    out["near_soc"] = out["snapshots"][near - 1] if near else None
    g = {k: max(s[f"energy_release_{k}"]["G_max"] for s in out["snapshots"]) for k in "xy"}
    out["G_max_over_lithiation"] = g
    summary = run / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        out["summary"] = {k: s.get(k) for k in ("status", "reason", "steps", "time", "soc", "wall_time")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--soc", type=float, default=0.3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = [analyse(run, args.soc) for run in args.runs]
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
