"""Flaw growth against particle size from grid sweeps, read against several growth thresholds.

Input: one or more `sifrac sweep` output directories of grid studies over a size (runs with
`fracture.stop_at_fracture = false`, so every history goes to the end of loading). Output in OUT:
growth.csv (one row per size: status, largest crack length, the SOC at which each threshold is
first reached), thresholds.md (per threshold: the sizes that reach it and the critical bracket, or
why there is none) and growth.png (largest length against size; length against SOC per size).

    .venv/bin/python benchmarks/crack_growth_vs_size.py SWEEP_DIR [SWEEP_DIR ...]
        [--column crack_length] [--relative] [--by KEY] [--thresholds 16 20 24 32] [--out DIR]

--by reads the size from each run instead of the sweep's varied value, so that grids over
another parameter (one yield-stress run per size, say) or single runs that differ in a mesh key
can be read together: a top-level key of the run's summary.json (`reference_length`, the
diameter of a particle) or a dotted key of its resolved case.toml (`geometry.mesh_size`).

Why: a bisection needs a criterion that is monotone in size; this shows whether it is, and how
much the critical size moves with the threshold (postprocess/growth.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sifrac.postprocess.growth import GrowthRun, threshold_row  # noqa: E402
from sifrac.postprocess.keys import dig  # noqa: E402
from sifrac.postprocess.plots import read_history  # noqa: E402


def run_value(run_dir: Path, key: str) -> float:
    """The run's `key`: a top-level summary.json key, or a dotted key of its case.toml."""
    source = run_dir / ("case.toml" if "." in key else "summary.json")
    if not source.exists():
        sys.exit(f"{source} is missing: --by {key} reads it")
    read = json.loads if source.name == "summary.json" else tomllib.loads
    table = read(source.read_text())
    try:
        node = dig(table, key)
    except KeyError:
        hint = f"; keys: {', '.join(table)}" if source.name == "summary.json" else ""
        sys.exit(f"{source}: no key {key!r}{hint}")
    if not isinstance(node, (int, float)) or isinstance(node, bool):
        sys.exit(f"{source}: {key} = {node!r} is not a number")
    return float(node)


def load_runs(dirs: list[Path], column: str, relative: bool = False, by: str | None = None) -> list[GrowthRun]:
    """Every run of the grids with a history; one run per size. A complete run of a later grid
    replaces a failed run of the same size (a rerun, e.g. with a solver fix); any other repeated
    size is an error.

    relative: the column divided by its first value (the flaw as meshed and measured at the
    start, which differs by a few percent between sizes), so thresholds read as growth ratios.
    by: read each run's value with `run_value` instead of the sweep.csv value."""
    runs: dict[float, GrowthRun] = {}
    for d in dirs:
        if not (d / "sweep.csv").exists():
            sys.exit(f"{d}: no sweep.csv (not a sweep output directory)")
        with open(d / "sweep.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            history = d / "runs" / row["run"] / "history.csv"
            if not history.exists():
                print(f"{d}: run {row['run']} has no history.csv; left out", file=sys.stderr)
                continue
            value = run_value(history.parent, by) if by else float(row["value"])
            complete = row["status"] == "complete"
            if value in runs:
                if runs[value].complete or not complete:
                    sys.exit(f"size {value:g} appears twice (again in {d}): pass grids of one setting only")
                print(f"{d}: run {row['run']} replaces the failed run of size {value:g}", file=sys.stderr)
            h = read_history(history)
            if column not in h:
                sys.exit(f"{history}: no column {column!r}; columns: {', '.join(h)}")
            length = [a / h[column][0] for a in h[column]] if relative else h[column]
            runs[value] = GrowthRun(value, complete, h["soc"], length)
    return [runs[v] for v in sorted(runs)]


def write_outputs(runs: list[GrowthRun], column: str, thresholds: list[float], out: Path,
                  xlabel: str = "size") -> list[dict]:
    """growth.csv, thresholds.md and growth.png; returns the threshold rows."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "growth.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["value", "status", f"max_{column}", "final_soc"] + [f"soc_at_{t:g}" for t in thresholds])
        for r in runs:
            w.writerow([r.value, "complete" if r.complete else "failed", max(r.length), r.soc[-1]]
                       + ["" if (soc := r.first_soc(t)) is None else soc for t in thresholds])
    rows = [threshold_row(runs, t) for t in thresholds]
    fmt = lambda vs: ", ".join(f"{v:g}" for v in vs) or "-"  # noqa: E731
    lines = [f"| {column} >= | reached at | not reached at | undecided (failed runs) | verdict |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['threshold']:g} | {fmt(r['reached'])} | {fmt(r['not_reached'])} | "
              f"{fmt(r['undecided'])} | {r['verdict']} |" for r in rows]
    (out / "thresholds.md").write_text("\n".join(lines) + "\n")

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = plt.cm.viridis([i / max(1, len(runs) - 1) for i in range(len(runs))])
    for r, color in zip(runs, colors):
        a1.plot(r.value, max(r.length), "o" if r.complete else "x", color=color)
        a2.plot(r.soc, r.length, color=color, ls="-" if r.complete else "--",
                label=f"{r.value:g}" + ("" if r.complete else " (failed)"))
    for t in thresholds:
        a1.axhline(t, color="tab:red", lw=0.8, ls="--")
    a1.set_xlabel(xlabel)
    a1.set_ylabel(f"largest {column} (x: failed run)")
    a2.set_xlabel("SOC")
    a2.set_ylabel(column)
    a2.legend(fontsize=7, ncol=2)
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "growth.png", dpi=120)
    plt.close(fig)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweeps", nargs="+", type=Path, help="grid sweep output directories")
    p.add_argument("--column", default="crack_length", help="history.csv column (default crack_length)")
    p.add_argument("--thresholds", nargs="+", type=float, default=[16.0, 20.0, 24.0, 32.0])
    p.add_argument("--relative", action="store_true",
                   help="thresholds on the column divided by its initial value (growth ratio)")
    p.add_argument("--by", metavar="KEY",
                   help="the size of each run: a summary.json key (reference_length) or a dotted "
                        "case.toml key (geometry.mesh_size); default: the sweep's varied value")
    p.add_argument("--out", type=Path, default=Path("results/crack_growth"))
    args = p.parse_args(argv)
    runs = load_runs(args.sweeps, args.column, args.relative, args.by)
    column = f"{args.column}_ratio" if args.relative else args.column
    if not runs:
        sys.exit("no run with a history.csv in the given sweeps")
    for r in write_outputs(runs, column, args.thresholds, args.out, args.by or "size"):
        print(f"{column} >= {r['threshold']:g}: {r['verdict']}")
    print(f"tables and figure in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
