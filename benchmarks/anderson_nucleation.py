"""Staggered iterations at crack nucleation: plain alternate minimisation against Anderson.

Runs each case through `sifrac run` (1 rank, no field output) with `[fracture] acceleration =
"none"`, `"overrelaxation"` and `"anderson"` (Anderson includes the over-relaxed plain steps
where the map does not contract, so the middle row tells the two apart), and tabulates from
history.csv and summary.json: staggered iterations at the step with the most of them (where the
crack runs) and at the step where the fracture criterion first holds, over the run, damage
solves, Anderson mixes taken and rejected, wall time, and the outcome (fractured, final crack
length, SOC of crack initiation, peak load). The table of docs/notes/anderson.md.

    .venv/bin/python benchmarks/anderson_nucleation.py [--out benchmarks/results/anderson]
        [--only film particle_150 sent_short] [--rerun]

Cases: the notched film as shipped; the c-Si particle of the critical-size study
(cases/critical_size_csi.toml: its base case with the study's own sections, finite strain) at
D = 150 nm, which fractures; the short SENT of tests/test_benchmarks.py. A run whose
summary.json exists is read, not repeated (unless --rerun). Iteration counts do not depend on the
machine's load, wall times do: the load average before and after each run goes into the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
METHODS = ("none", "overrelaxation", "anderson")


def _study_overrides(study: Path) -> list[str]:
    """The sections of a study file other than [sweep] as --set overrides of its base case."""
    table = tomllib.loads(study.read_text())
    out = []
    for section, keys in table.items():
        if section != "sweep":
            out += [f"{section}.{key}={json.dumps(value) if isinstance(value, str) else value}"
                    for key, value in keys.items()]
    return out


#: name -> (case file, overrides, what it is).
RUNS: dict[str, tuple[Path, list[str], str]] = {
    "film": (CASES / "film_delithiation_notch.toml", [], "notched film as shipped"),
    "particle_150": (CASES / "particle_first_lithiation.toml",
                     [*_study_overrides(CASES / "critical_size_csi.toml"), "geometry.diameter=150.0"],
                     "c-Si particle D = 150 nm, the critical-size study's settings (finite strain)"),
    "sent_short": (CASES / "sent_miehe2010.toml",
                   ["fracture.length_scale=30.0", "geometry.mesh_size_surface=15.0", "geometry.band_width=120.0",
                    "geometry.mesh_size=100.0", "time.t_end=8.0", "time.dt_initial=0.25", "time.dt_max=0.25",
                    "fracture.max_iterations=3000"],
                   "short SENT of tests/test_benchmarks.py"),
}


def _run(name: str, method: str, out: Path, rerun: bool) -> Path:
    case, overrides, _ = RUNS[name]
    outdir = out / f"{name}_{method}"
    if rerun or not (outdir / "summary.json").exists():
        sets = [*overrides, "output.fields=false", "output.probes=[]", f"fracture.acceleration={method}"]
        load = os.getloadavg()[0]
        subprocess.run([str(Path(sys.executable).with_name("sifrac")), "run", str(case),
                        *[a for s in sets for a in ("--set", s)], "--output", str(outdir)], check=True)
        (outdir / "load.json").write_text(json.dumps({"before": load, "after": os.getloadavg()[0]}))
    return outdir


def _row(name: str, method: str, outdir: Path) -> dict:
    summary = json.loads((outdir / "summary.json").read_text())
    with open(outdir / "history.csv") as f:
        history = list(csv.DictReader(f))
    its = [int(r["staggered_iterations"]) for r in history]
    peak = max(range(len(its)), key=its.__getitem__)
    initiation = next((i for i, r in enumerate(history) if float(r["time"]) >= summary["crack_initiation_time"]),
                      None) if summary.get("crack_initiation_time") is not None else None
    eq = summary["solver_stats"]["equilibrium"]
    load = json.loads((outdir / "load.json").read_text()) if (outdir / "load.json").exists() else {}
    return {"case": name, "method": method, "steps": summary["steps"],
            "max_step": peak, "its_max": its[peak], "initiation_step": initiation,
            "its_initiation": its[initiation] if initiation is not None else "-",
            "its_total": eq["staggered_iterations"], "damage_solves": summary["solver_stats"]["damage"]["solves"],
            "mixes": eq.get("anderson_mixes", 0), "rejected": eq.get("anderson_rejected", 0),
            "wall_s": summary["wall_time"], "load": f"{load.get('before', float('nan')):.1f}-"
                                                     f"{load.get('after', float('nan')):.1f}",
            "fractured": summary["fractured"], "crack_length": float(history[-1]["crack_length"]),
            "initiation_soc": summary.get("crack_initiation_soc") or "-",  # 0 without lithiation (SENT)
            "peak_load": summary.get("peak_load", "-"),
            "status": summary["status"]}


def _markdown(rows: list[dict]) -> str:
    cols = ["case", "method", "steps", "max_step", "its_max", "initiation_step", "its_initiation", "its_total",
            "damage_solves", "mixes", "rejected", "wall_s", "load", "status", "fractured", "crack_length",
            "initiation_soc", "peak_load"]

    def fmt(v):
        return f"{v:.7g}" if isinstance(v, float) else str(v)
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
                      *("| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows)]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "anderson")
    parser.add_argument("--only", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--rerun", action="store_true", help="repeat runs whose summary.json exists")
    args = parser.parse_args()
    rows = [_row(name, method, _run(name, method, args.out, args.rerun)) for name in args.only for method in METHODS]
    table = _markdown(rows)
    (args.out / "table.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
