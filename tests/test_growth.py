"""Growth thresholds over a size grid (postprocess/growth.py, benchmarks/crack_growth_vs_size.py):
synthetic histories with known answers, no FE."""

import csv
import subprocess
import sys
from pathlib import Path

from sifrac.postprocess.growth import GrowthRun, changes, threshold_row

ROOT = Path(__file__).parents[1]
SOC = [0.0, 0.3, 0.6, 0.9]


def run(value: float, lengths: list[float], complete: bool = True) -> GrowthRun:
    return GrowthRun(value, complete, SOC[: len(lengths)], lengths)


def test_first_soc_and_failed_runs():
    r = run(100.0, [8.0, 12.0, 17.0, 20.0])
    assert r.first_soc(16.0) == 0.6 and r.first_soc(30.0) is None
    assert r.reached(16.0) is True and r.reached(30.0) is False
    failed = run(150.0, [8.0, 18.0], complete=False)
    assert failed.reached(16.0) is True        # reached before the run failed: decided
    assert failed.reached(24.0) is None        # not reached, but loading did not end: undecided


def test_monotone_grid_gives_the_bracket():
    runs = [run(80.0, [8, 10, 12, 14]), run(100.0, [8, 10, 15, 15.9]), run(120.0, [8, 12, 18, 25]),
            run(140.0, [8, 16, 30, 40], complete=False)]
    row = threshold_row(runs, 16.0)
    assert row["bracket"] == [100.0, 120.0]
    assert row["reached"] == [120.0, 140.0] and row["not_reached"] == [80.0, 100.0]
    assert row["verdict"] == "critical size in [100, 120]"
    assert threshold_row(runs, 30.0)["bracket"] == [120.0, 140.0]


def test_arrest_near_the_threshold_is_reported_not_monotone():
    # the measured c-Si pattern: 80 no, 90 yes, 105 no, 120 yes (flaw arrests near the threshold)
    runs = [run(80.0, [8, 15.8]), run(90.0, [8, 18.0]), run(105.0, [8, 15.3]), run(120.0, [8, 25.0])]
    row = threshold_row(runs, 16.0)
    assert row["bracket"] is None
    assert row["changes"] == [(80.0, 90.0), (90.0, 105.0), (105.0, 120.0)]
    assert row["verdict"].startswith("not monotone")
    assert threshold_row(runs, 20.0)["bracket"] == [105.0, 120.0]
    assert threshold_row(runs, 30.0)["verdict"] == "reached at no size"
    assert threshold_row(runs, 5.0)["verdict"] == "reached at every size"


def test_changes_skip_undecided_points():
    assert changes([(1.0, False), (2.0, None), (3.0, True)]) == [(1.0, 3.0)]
    # a downward change alone is no critical bracket
    assert threshold_row([run(1.0, [20.0]), run(2.0, [10.0])], 16.0)["bracket"] is None


def _grid(sweep: Path, runs: list[tuple[str, float, str, list[float]]]) -> None:
    """A grid sweep directory: sweep.csv and one history per (run, value, status, lengths)."""
    for name, _, _, lengths in runs:
        (sweep / "runs" / name).mkdir(parents=True)
        with open(sweep / "runs" / name / "history.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["step", "soc", "crack_length"])
            w.writerows([[i, s, a] for i, (s, a) in enumerate(zip(SOC, lengths))])
    with open(sweep / "sweep.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "value", "status"])
        w.writerows([[name, value, status] for name, value, status, _ in runs])


def test_script_reads_a_grid_sweep(tmp_path):
    sweep = tmp_path / "grid"
    _grid(sweep, [("diameter_80", 80.0, "complete", [8, 12]), ("diameter_120", 120.0, "complete", [8, 30])])
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "crack_growth_vs_size.py"), str(sweep),
                        "--thresholds", "16", "40", "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "crack_length >= 16: critical size in [80, 120]" in p.stdout
    assert "crack_length >= 40: reached at no size" in p.stdout
    with open(out / "growth.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["max_crack_length"]) for r in rows] == [12.0, 30.0]
    assert rows[1]["soc_at_16"] == "0.3" and rows[0]["soc_at_16"] == ""
    assert (out / "thresholds.md").read_text().count("\n") == 4 and (out / "growth.png").stat().st_size > 0
    # --relative: thresholds on the growth ratio to the initial (measured) flaw, 1.5 and 3.75 here
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "crack_growth_vs_size.py"), str(sweep),
                        "--relative", "--thresholds", "2", "--out", str(out)], capture_output=True, text=True)
    assert "crack_length_ratio >= 2: critical size in [80, 120]" in p.stdout, p.stdout + p.stderr


def test_a_complete_rerun_replaces_a_failed_run(tmp_path):
    """A later grid's complete run of a size replaces the earlier grid's failed one; a size
    repeated otherwise (two complete runs) is refused."""
    _grid(tmp_path / "first", [("diameter_80", 80.0, "complete", [8, 12]), ("diameter_120", 120.0, "failed", [8, 9])])
    _grid(tmp_path / "rerun", [("diameter_120", 120.0, "complete", [8, 30])])
    script = str(ROOT / "benchmarks" / "crack_growth_vs_size.py")
    p = subprocess.run([sys.executable, script, str(tmp_path / "first"), str(tmp_path / "rerun"), "--thresholds",
                        "16", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "replaces the failed run of size 120" in p.stderr
    assert "crack_length >= 16: critical size in [80, 120]" in p.stdout
    p = subprocess.run([sys.executable, script, str(tmp_path / "rerun"), str(tmp_path / "rerun"), "--out",
                        str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode != 0 and "size 120 appears twice" in p.stderr


def test_by_reads_the_size_from_each_run(tmp_path):
    """Grids over another parameter (one yield stress, one run each) are read by the size each
    run records: summary.json's reference_length, or a dotted key of its case.toml."""
    script = str(ROOT / "benchmarks" / "crack_growth_vs_size.py")
    for d, (size, mesh, lengths) in {"a": (870.0, 58.0, [8, 12]), "b": (1300.0, 20.0, [8, 30])}.items():
        _grid(tmp_path / d, [("yield_stress_0.8", 0.8, "complete", lengths)])
        run_dir = tmp_path / d / "runs" / "yield_stress_0.8"
        (run_dir / "summary.json").write_text(f'{{"reference_length": {size}}}')
        (run_dir / "case.toml").write_text(f"[geometry]\nmesh_size = {mesh}\n")
    grids = [str(tmp_path / "a"), str(tmp_path / "b")]
    p = subprocess.run([sys.executable, script, *grids, "--thresholds", "16", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "size 0.8 appears twice" in p.stderr
    p = subprocess.run([sys.executable, script, *grids, "--by", "reference_length", "--thresholds", "16",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert "crack_length >= 16: critical size in [870, 1300]" in p.stdout, p.stdout + p.stderr
    p = subprocess.run([sys.executable, script, *grids, "--by", "geometry.mesh_size", "--thresholds", "16",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert "changes between 20-58" in p.stdout, p.stdout + p.stderr
    p = subprocess.run([sys.executable, script, *grids, "--by", "geometry.diameter", "--out",
                        str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode != 0 and "no key 'geometry.diameter'" in p.stderr
    p = subprocess.run([sys.executable, script, *grids, "--by", "diameter", "--out",
                        str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode != 0 and "no key 'diameter'; keys: reference_length" in p.stderr
    (tmp_path / "b" / "runs" / "yield_stress_0.8" / "summary.json").unlink()
    p = subprocess.run([sys.executable, script, *grids, "--by", "reference_length", "--out",
                        str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode != 0 and "summary.json is missing" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, script, str(tmp_path), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "no sweep.csv" in p.stderr and "Traceback" not in p.stderr
