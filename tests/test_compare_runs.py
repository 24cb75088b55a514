"""tools/compare_runs.py, the frozen-behaviour check: it passes equal runs and runs that differ by
round-off, and fails a difference above the tolerance, a missing row or a changed status."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).parents[1] / "tools" / "compare_runs.py"


def _run_dir(path: Path, energy: float = 2.5, shear: float = 1e-17, rows: int = 3, status: str = "complete",
             wall: float = 10.0) -> Path:
    path.mkdir()
    lines = ["step,time,elastic_energy,sxz"] + [f"{i},{0.5 * i!r},{energy * i!r},{shear if i else 1.5!r}"
                                                 for i in range(rows)]
    (path / "history.csv").write_text("\n".join(lines) + "\n")
    summary = {"status": status, "reason": f"done; results in {path}", "final": {"elastic_energy": energy},
               "wall_time": wall, "timings": {"mesh": wall},
               "solver_stats": {"mechanics": {"solves": 4, "seconds": wall}}}
    (path / "summary.json").write_text(json.dumps(summary))
    return path


def _compare(a: Path, b: Path) -> int:
    return subprocess.run([sys.executable, str(TOOL), str(a), str(b)], capture_output=True, text=True).returncode


@pytest.mark.parametrize("change,code", [
    ({}, 0),
    ({"wall": 99.0}, 0),                       # timings and seconds are not results
    ({"energy": 2.5 * (1 + 1e-13)}, 0),        # round-off
    ({"shear": -3e-17}, 0),                    # a vanishing component, relative to its column
    ({"energy": 2.5 * (1 + 1e-8)}, 1),
    ({"rows": 2}, 1),
    ({"status": "stopped"}, 1),
])
def test_compare_runs(tmp_path, change, code):
    assert _compare(_run_dir(tmp_path / "a"), _run_dir(tmp_path / "b", **change)) == code
