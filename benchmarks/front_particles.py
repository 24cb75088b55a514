"""Table of the reaction-front particle runs (docs/notes/front-particles.md): for each run folder
under the given root, the material, D, front width, mesh size, G_max / Gc (summary.json
energy_release), the SOC, depth and time of the maximum, the outcome (cracks when G_max / Gc >= 1)
and the wall time; and D / (G_max / Gc), the critical diameter if G_max / Gc is proportional to D
(the model has no length scale but the numerical front width and mesh).

    .venv/bin/python benchmarks/front_particles.py benchmarks/results/front_particles
"""

from __future__ import annotations

import csv
import json
import sys
import tomllib
from pathlib import Path


def row(run: Path) -> dict | None:
    """One table row from a run folder (None if it has no summary.json yet)."""
    summary_path = run / "summary.json"
    if not summary_path.exists():
        return None
    summary = json.loads(summary_path.read_text())
    case = tomllib.loads((run / "case.toml").read_text())
    history = list(csv.DictReader((run / "history.csv").open()))
    peak = max(history, key=lambda r: float(r["max_energy_release_ratio"]))
    ratio = summary["energy_release"]["G_max_over_Gc"]
    diameter = case["geometry"]["diameter"]
    return {"run": run.name, "material": case["active"]["material"], "D": diameter,
            "l0": case["active"]["front_width"], "h": case["geometry"]["mesh_size"],
            "G_max/Gc": ratio, "soc_at_max": float(peak["soc"]), "depth_at_max": float(peak["energy_release_depth"]),
            "final_soc": float(history[-1]["soc"]), "outcome": "cracks" if ratio >= 1 else "intact",
            "D/(G/Gc)": diameter / ratio if ratio > 0 else float("inf"), "steps": summary["steps"],
            "status": summary["status"], "wall_s": summary["wall_time"]}


def main(root: str) -> None:
    rows = [r for run in sorted(Path(root).iterdir()) if run.is_dir() and (r := row(run))]
    keys = list(rows[0]) if rows else []
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
