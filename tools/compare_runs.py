"""Compare the results of two runs: every numeric column of history.csv and probes.csv and every
numeric leaf of summary.json (wall-clock and environment entries excepted).

    python tools/compare_runs.py REFERENCE_DIR OTHER_DIR [--tol 1e-10]

Prints the largest relative difference per file and exits 1 if one exceeds the tolerance or the
files differ in shape, in their columns or keys, or in a non-numeric entry. A summary.json value
is compared relative to itself, |a - b| / max(|a|, |b|); a CSV value relative to the largest
magnitude of its column in either file, since a component that vanishes by symmetry (a shear
stress of 1e-17 GPa) has no relative precision of its own; the largest difference relative to the
value itself is printed too. Equal values (NaN and NaN included) differ by 0. Used to show that a
restructuring left results unchanged (docs/notes/solver-design.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

#: summary.json entries that measure the machine, not the computation.
SKIPPED = ("timings", "wall_time", "peak_memory_mb", "versions", "git_commit")
CSV_FILES = ("history.csv", "probes.csv")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _relative(a: float, b: float, scale: float | None = None) -> float:
    """|a - b| relative to `scale`, or to the larger of |a| and |b|."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / (max(abs(a), abs(b)) if scale is None else scale)


class Comparison:
    """The largest relative difference of one file and where it occurs, plus structural problems."""

    def __init__(self, name: str) -> None:
        self.name, self.largest, self.where, self.problems, self.values = name, 0.0, "", [], 0
        self.own: float | None = None  # CSV: the largest difference relative to the value itself

    def number(self, a: float, b: float, where: str, scale: float | None = None) -> None:
        """Record the difference of a and b relative to `scale` (default: to themselves)."""
        self.values += 1
        rel = _relative(a, b) if scale is None else _relative(a, b, scale)
        if scale is not None:
            self.own = max(self.own or 0.0, _relative(a, b))
        if rel > self.largest:
            self.largest, self.where = rel, where

    def other(self, a, b, where: str) -> None:
        if a != b:
            self.problems.append(f"{where}: {a!r} != {b!r}")

    def line(self) -> str:
        where = f" at {self.where}" if self.largest > 0 else ""
        own = f" (to the value itself: {self.own:.3e})" if self.own is not None else ""
        return f"{self.name:14s} {self.values:7d} values, largest relative difference {self.largest:.3e}{where}{own}"


def compare_csv(a: Path, b: Path, out: Comparison) -> None:
    with open(a, newline="") as fa, open(b, newline="") as fb:
        ra, rb = list(csv.DictReader(fa)), list(csv.DictReader(fb))
    if len(ra) != len(rb):
        out.problems.append(f"{len(ra)} rows vs {len(rb)}")
    scale: dict[str, float] = {}  # the largest finite magnitude of each column in either file
    for row in (*ra, *rb):
        for key, text in row.items():
            value = _number(text)
            if value is not None and math.isfinite(value):
                scale[key] = max(scale.get(key, 0.0), abs(value))
    for i, (x, y) in enumerate(zip(ra, rb)):
        if list(x) != list(y):
            out.problems.append(f"row {i}: columns {list(x)} vs {list(y)}")
            return
        for key in x:
            nx, ny = _number(x[key]), _number(y[key])
            if nx is not None and ny is not None:
                out.number(nx, ny, f"row {i} {key}", scale.get(key) or None)
            else:
                out.other(x[key], y[key], f"row {i} {key}")


def _leaves(obj, path: str = ""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, obj


def _skipped(path: str) -> bool:
    top = path.split(".")[0].split("[")[0]
    return top in SKIPPED or (top == "solver_stats" and path.endswith(".seconds"))


def compare_summary(a: Path, b: Path, out: Comparison) -> None:
    la = {k: v for k, v in _leaves(json.loads(a.read_text())) if not _skipped(k)}
    lb = {k: v for k, v in _leaves(json.loads(b.read_text())) if not _skipped(k)}
    for key in sorted(set(la) ^ set(lb)):
        out.problems.append(f"{key}: only in {'the first' if key in la else 'the second'}")
    for key in (k for k in la if k in lb):
        x, y = la[key], lb[key]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        if numeric:
            out.number(float(x), float(y), key)
        elif isinstance(x, str) and isinstance(y, str):  # messages may name the run's own directory
            out.other(x.replace(str(a.parent), "<outdir>"), y.replace(str(b.parent), "<outdir>"), key)
        else:
            out.other(x, y, key)


def compare(first: Path, second: Path, tol: float) -> bool:
    """Print one line per file; True if the two runs agree to `tol`."""
    ok = True
    for name in (*CSV_FILES, "summary.json"):
        fa, fb = first / name, second / name
        if not fa.exists() and not fb.exists():
            continue
        out = Comparison(name)
        if not (fa.exists() and fb.exists()):
            out.problems.append(f"only in {first if fa.exists() else second}")
        elif name.endswith(".csv"):
            compare_csv(fa, fb, out)
        else:
            compare_summary(fa, fb, out)
        print(out.line())
        for problem in out.problems[:10]:
            print(f"    {problem}")
        ok = ok and not out.problems and out.largest <= tol
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("first", type=Path)
    p.add_argument("second", type=Path)
    p.add_argument("--tol", type=float, default=1e-10, help="largest relative difference allowed (default 1e-10)")
    args = p.parse_args(argv)
    ok = compare(args.first, args.second, args.tol)
    print(f"{'agree' if ok else 'DIFFER'} to {args.tol:g}: {args.first} vs {args.second}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
