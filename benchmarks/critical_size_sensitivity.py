"""Sensitivity of the predicted c-Si critical diameter to Gc, yield stress, ell, mesh size and flaw.

Each variant is a full bisection of cases/critical_size_csi.toml with one setting changed (every
value inside its published range, or a numerical parameter halved/doubled). Runs the studies one
after another with `mpiexec -n RANKS sifrac sweep` and writes sensitivity.csv and sensitivity.md
(a Markdown table) into OUT.

    .venv/bin/python benchmarks/critical_size_sensitivity.py [--out results/sensitivity] [--ranks 2]
        [--set mechanics.out_of_plane=axisymmetric ...]

`--set` overrides apply to every variant (e.g. the axisymmetric sphere instead of plane strain);
a variant the overrides make invalid (front mobility with the axisymmetric model) is refused by
`sifrac sweep` (exit 2) and left out of the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (what changes, --set overrides). Published ranges: physics brief section 3.
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "base": ("library values, ell = 8 nm, h = 2 nm, flaw 16 nm (the study as shipped)", []),
    "yield_0.5": ("lithiated yield stress 0.5 GPa (range 0.5-2)", ["active.yield_stress=0.5"]),
    "yield_2.0": ("lithiated yield stress 2.0 GPa (range 0.5-2)", ["active.yield_stress=2.0"]),
    "Gc_5.4": ("Gc of Li3.75Si 5.4 J/m^2 (range 5.4-6.9)", ["active.Gc_lithiated=5.4"]),
    "Gc_6.9": ("Gc of Li3.75Si 6.9 J/m^2 (range 5.4-6.9)", ["active.Gc_lithiated=6.9"]),
    "ell_4": ("ell 4 nm, h = 1 nm", ["fracture.length_scale=4.0", "geometry.mesh_size_surface=1.0",
                                     "geometry.mesh_size_top=1.0"]),
    "ell_16": ("ell 16 nm, h = 4 nm", ["fracture.length_scale=16.0", "geometry.mesh_size_surface=4.0",
                                       "geometry.mesh_size_top=4.0", "sweep.bracket=[70.0, 300.0]"]),
    "h_1": ("mesh h = 1 nm (ell/8) at the surface and along the crack path",
            ["geometry.mesh_size_surface=1.0", "geometry.mesh_size_top=1.0"]),
    # The study's criterion (the flaw's measured length doubles) follows the flaw's size.
    "flaw_8": ("flaw depth 8 nm", ["fracture.surface_flaw=8.0"]),
    "flaw_32": ("flaw depth 32 nm", ["fracture.surface_flaw=32.0", "sweep.bracket=[70.0, 400.0]"]),
    "front_mobility_6": ("<110> front mobility 6x (Yang et al. 2012; ratio to confirm)",
                         ["active.front_mobility_ratio=6"]),
    "surface_coupling": ("surface concentration follows sigma_h (loading.surface_stress_coupling)",
                         ["loading.surface_stress_coupling=true"]),
    "residual_0.005": ("residual stiffness k 0.005 (numerical; the study's 0.01 keeps the flaw band from "
                       "being crushed in finite strain)", ["fracture.residual_stiffness=0.005"]),
    "small_strain": ("small strain, the study otherwise unchanged", ["mechanics.kinematics=small"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/sensitivity")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="variant names (default: all)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override for every variant (repeatable)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, (_what, sets) in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        cmd = [str(ROOT / ".venv/bin/mpiexec"), "-n", str(args.ranks), str(ROOT / ".venv/bin/sifrac"), "-q", "sweep",
               str(ROOT / "cases/critical_size_csi.toml"), "--output", str(out / name)]
        for s in [*args.set, *sets]:
            cmd += ["--set", s]
        print(name, "exit", subprocess.run(cmd, cwd=ROOT).returncode, flush=True)
    rows = []  # every variant measured so far in OUT (runs of earlier invocations included)
    for name, (what, _sets) in VARIANTS.items():
        path = out / name / "summary.json"
        if not path.exists():
            continue
        summary = json.loads(path.read_text())
        rows.append({"variant": name, "change": what, "status": summary["status"],
                     "critical_diameter": summary.get("critical_value"), "bracket": summary.get("bracket"),
                     "runs": summary.get("runs"), "wall_time": round(summary.get("wall_time", float("nan")), 1)})
    with open(out / "sensitivity.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = ["| variant | change | D_c (nm) | bracket (nm) | runs | wall (s) |", "|---|---|---|---|---|---|"]
    for r in rows:
        # A failed study still reports the midpoint of the bracket it had narrowed: not a D_c.
        dc = f"{r['critical_diameter']:.0f}" if r["status"] == "complete" else r["status"]
        br = "-" if not r["bracket"] else f"{r['bracket'][0]:.0f}-{r['bracket'][1]:.0f}"
        lines.append(f"| {r['variant']} | {r['change']} | {dc} | {br} | {r['runs']} | {r['wall_time']} |")
    (out / "sensitivity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
