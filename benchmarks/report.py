"""Tabulate benchmarks/results/*.json (written by benchmarks/scaling.py): a CSV of every run and
the markdown table of benchmarks/README.md, regenerated between its `<!-- scaling table -->`
markers.

    .venv/bin/python benchmarks/report.py [--machine "2-core developer VM"]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"
MARK = "<!-- scaling table -->"

COLUMNS = [
    ("run", lambda r: r["label"]),
    ("ranks", lambda r: r["ranks"]),
    ("cells", lambda r: r["cells"]),
    ("DOFs u + c + d", lambda r: f"{r['dofs']['displacement']:,} + {r['dofs']['concentration']:,} x 2"),
    ("steps", lambda r: r["steps"]),
    ("max d", lambda r: f"{r['max_damage']:.2f}"),
    ("s/step", lambda r: f"{r['seconds_per_step']:.2f}"),
    ("staggered its", lambda r: r["staggered_iterations"]),
    ("s/staggered it", lambda r: f"{r['seconds_per_staggered_iteration']:.2f}"),
    ("s mech + dmg linear solve", lambda r: f"{r['seconds_linear_mechanics']:.2f} + {r['seconds_linear_damage']:.3f}"
     if "ratio" in r else "-"),  # complete runs leave no checkpoint to time the bare solves at
    ("ratio", lambda r: f"{r['ratio']:.2f}" if "ratio" in r else "-"),
    ("Krylov/solve mech, dmg, diff", lambda r: ", ".join(
        f"{_per(r, role):.1f}" for role in ("mechanics", "damage", "diffusion"))),
    ("Newton/solve dmg, diff", lambda r: ", ".join(
        f"{_newton(r, role):.1f}" for role in ("damage", "diffusion"))),
    ("PC builds mech", lambda r: r["solver_stats"].get("mechanics", {}).get("preconditioner_builds", "-")),
    ("Jacobians mech, dmg", lambda r: ", ".join(
        str(r["solver_stats"].get(role, {}).get("jacobian_assemblies", "-")) for role in ("mechanics", "damage"))),
    ("peak MiB/rank", lambda r: f"{max(r['peak_memory_mb']):,.0f}"),
]


def _per(r: dict, role: str) -> float:
    s = r["solver_stats"].get(role, {})
    return s.get("linear_iterations", 0) / max(s.get("nonlinear_iterations", 0), 1)


def _newton(r: dict, role: str) -> float:
    s = r["solver_stats"].get(role, {})
    return s.get("nonlinear_iterations", 0) / max(s.get("solves", 0), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="the project's 2-core developer VM (shared, timings +-30%)")
    args = ap.parse_args()
    runs = sorted((json.loads(p.read_text()) for p in RESULTS.glob("*.json")),
                  key=lambda r: (r["dofs"]["displacement"], r["ranks"]))
    with open(RESULTS / "scaling.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([name for name, _ in COLUMNS])
        w.writerows([[fn(r) for _, fn in COLUMNS] for r in runs])
    lines = [f"Machine: {args.machine}.", "",
             "| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(fn(r)) for _, fn in COLUMNS) + " |" for r in runs]
    table = "\n".join(lines)
    readme = HERE / "README.md"
    text = readme.read_text()
    pattern = re.compile(f"{re.escape(MARK)}.*?{re.escape(MARK)}", re.S)
    readme.write_text(pattern.sub(lambda _: f"{MARK}\n{table}\n{MARK}", text))
    print(table)


if __name__ == "__main__":
    main()
