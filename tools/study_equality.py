"""Compare two trees written by tools/study_equality.sh (a reference checkout and a changed one).

Byte-equal: every sweep.csv with its wall_time column blanked, study.toml, parameters.csv,
bad_inputs.txt, the exit statuses and the file names of every study (figures included).
summary.json: equal but for wall_time, versions and git_commit. Logs: equal once the run times
"(1.2 s)" are masked. Prints one line per compared item and exits 1 on any difference.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

_VOLATILE = ("wall_time", "versions", "git_commit")


def _sweep_csv(path: Path) -> str:
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    col = rows[0].index("wall_time")
    return "\n".join(",".join(r[:col] + ["-"] + r[col + 1:]) for r in rows)


def _summary(path: Path) -> dict:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in _VOLATILE}


def _log(path: Path) -> str:
    return re.sub(r"\d+\.\d+ s\)", "T s)", path.read_text())


def _files(study: Path) -> list[str]:
    """The study's own files and its runs' file names (run file contents are not compared)."""
    return sorted(str(p.relative_to(study)) for p in study.rglob("*") if p.is_file())


def compare(ref: Path, new: Path) -> list[str]:
    """The differing items; prints one line per item checked."""
    bad = []

    def check(what: str, a, b) -> None:
        same = a == b
        print(f"{'same' if same else 'DIFFERENT'}: {what}")
        if not same:
            bad.append(what)

    check("bad_inputs.txt", (ref / "bad_inputs.txt").read_text(), (new / "bad_inputs.txt").read_text())
    studies = sorted(p.name for p in ref.iterdir() if (p / "summary.json").is_file())
    check("studies", studies, sorted(p.name for p in new.iterdir() if (p / "summary.json").is_file()))
    for name in studies:
        a, b = ref / name, new / name
        check(f"{name}: exit status", (ref / f"{name}.rc").read_text(), (new / f"{name}.rc").read_text())
        check(f"{name}: log (run times masked)", _log(ref / f"{name}.log"), _log(new / f"{name}.log"))
        check(f"{name}: file names", _files(a), _files(b))
        check(f"{name}: sweep.csv (wall_time blanked)", _sweep_csv(a / "sweep.csv"),
              _sweep_csv(b / "sweep.csv"))
        for file in ("study.toml", "parameters.csv"):
            check(f"{name}: {file}", (a / file).read_bytes(), (b / file).read_bytes())
        check(f"{name}: summary.json (but {', '.join(_VOLATILE)})", _summary(a / "summary.json"),
              _summary(b / "summary.json"))
    return bad


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/study_equality.py REF_DIR NEW_DIR")
    differing = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{len(differing)} difference(s)" + (": " + "; ".join(differing) if differing else ""))
    sys.exit(1 if differing else 0)
