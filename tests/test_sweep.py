"""Threshold studies: bisection/grid/variants logic with a fake runner (no FE), restart by case
hash, bad study files through the CLI, and one real bisection of the notched film through the CLI."""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from mpi4py import MPI

from sifrac.solver.case import CaseError, case_sha256
from sifrac.solver.studies.plan import load_study, run_case, run_spec
from sifrac.solver.studies.strategies import Bisection, Record
from sifrac.solver.studies.sweep import sweep

ROOT = Path(__file__).parents[1]
STUDY = ROOT / "cases" / "studies" / "film_notch_soc_end.toml"

BASE = """
[geometry]
kind = "particle"
diameter = 150.0

[fracture]
model = "AT1"
"""


def write_study(tmp_path: Path, sweep_text: str, base: str = BASE) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(f"[sweep]\n{sweep_text}\n{base}")
    return path


class FakeRunner:
    """Fractured iff `rule(diameter)`; writes a summary.json as a real run does (for restarts)."""

    def __init__(self, rule, status: str = "complete", fails=lambda d: False) -> None:
        self.rule, self.status, self.fails, self.calls = rule, status, fails, []

    def __call__(self, case, comm, outdir: Path) -> dict:
        d = case.geometry.diameter
        self.calls.append(d)
        fractured = bool(self.rule(d))
        summary = {"status": "failed" if self.fails(d) else self.status, "reason": "fake", "case_sha256": case_sha256(case),
                   "fractured": fractured, "crack_initiation_soc": 0.5 if fractured else None,
                   "final": {"max_damage": 1.0 if fractured else 0.1}, "extremes": {},
                   "ranks": comm.size, "wall_time": 0.0}
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "summary.json").write_text(json.dumps(summary))
        return summary


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


BISECT = 'parameter = "geometry.diameter"\nbracket = [50.0, 450.0]\ntolerance = 10.0\n'


def test_bisection_finds_threshold_and_restart_reuses_runs(tmp_path):
    study = load_study(write_study(tmp_path, BISECT))
    fake = FakeRunner(lambda d: d >= 173.3)
    result = sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=fake)
    assert result.status == "complete"
    lo, hi = result.summary["bracket"]
    assert lo < 173.3 <= hi and hi - lo <= 10.0
    assert result.summary["critical_value"] == pytest.approx(173.3, abs=5.0)
    # 400 nm halved to <= 10 nm: 6 rounds of one point after the two ends
    assert len(fake.calls) == 2 + math.ceil(math.log2(40)) and fake.calls[:2] == [50.0, 450.0]
    table = rows(tmp_path / "out" / "sweep.csv")
    assert [float(r["value"]) for r in table] == fake.calls
    assert all((r["criterion"] == "True") == (float(r["value"]) >= 173.3) for r in table)
    assert table[0]["run"] == "diameter_50" and Path(table[0]["outdir"]).name == "diameter_50"
    for name in ("sweep.csv", "summary.json", "study.toml", "criterion.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0

    again = FakeRunner(lambda d: d >= 173.3)
    second = sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=again)
    assert again.calls == [] and second.summary["runs_reused"] == len(fake.calls)
    assert second.summary["bracket"] == [lo, hi]

    (tmp_path / "out" / "runs" / table[3]["run"] / "summary.json").unlink()
    partial = FakeRunner(lambda d: d >= 173.3)
    sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=partial)
    assert partial.calls == [float(table[3]["value"])]

    # a changed base case has other case hashes: nothing is reused
    changed = load_study(tmp_path / "study.toml", ["fracture.model=AT2"])
    fresh = FakeRunner(lambda d: d >= 173.3)
    sweep(changed, MPI.COMM_SELF, tmp_path / "out", runner=fresh)
    assert len(fresh.calls) == len(fake.calls)


def test_study_lists_its_parameters_with_sources(tmp_path):
    """parameters.csv: the base case's material values with their sources, the swept one marked;
    summary.json names what differs from the library and what lies outside its published range."""
    path = write_study(tmp_path, 'parameter = "active.Gc_lithiated"\nbracket = [5.4, 6.9]\ntolerance = 1.0\n',
                       BASE + '\n[active]\nmaterial = "a-Si"\nE_lithiated = 54.0\n')
    study = load_study(path, ["active.yield_stress=2.2"])
    sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=FakeRunner(lambda d: True))
    params = {r["key"]: r for r in rows(tmp_path / "out" / "parameters.csv") if r["section"] == "active"}
    assert params["Gc_lithiated"]["origin"] == "varied by the study"
    assert params["E_lithiated"]["origin"] == "case" and params["E_lithiated"]["library_value"] == "41.0"
    assert params["Gc"]["origin"] == "library" and "Pharr" in params["Gc"]["source"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())["parameters"]
    assert summary["changed_from_library"] == ["active.E_lithiated", "active.yield_stress"]
    assert summary["outside_published_range"] == ["active.yield_stress = 2.2 (published 0.5-2)"]


@pytest.mark.parametrize("threshold, met", [(173.3, True), (120.0, False)])
def test_target_is_reported_and_a_miss_is_said(tmp_path, monkeypatch, caplog, threshold, met):
    """A published target range: the summary says whether the critical value lies in it, and the
    CLI verb's log warns on a miss."""
    from sifrac.solver.studies import cli, executor
    from sifrac.solver.studies.outputs import target_met

    path = write_study(tmp_path, BISECT + 'target = [150.0, 200.0]\ntarget_source = "paper, fig. 1"\n')
    monkeypatch.setattr(executor, "run_or_resume", FakeRunner(lambda d: d >= threshold))
    with caplog.at_level("WARNING"):
        assert cli.sweep_command(str(path), [], str(tmp_path / "out"), 1, MPI.COMM_SELF) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["target"] == [150.0, 200.0] and summary["target_source"] == "paper, fig. 1"
    assert summary["target_met"] is met
    missed = [r.getMessage() for r in caplog.records if "outside the target [150, 200] (paper, fig. 1)" in r.getMessage()]
    assert len(missed) == (0 if met else 1)
    assert target_met([150.0, 200.0], None) is None
    assert target_met(None, 170.0) is None
    # stopped early: only a bracket wholly inside (outside) the target decides
    target = [105.0, 195.0]
    assert target_met(target, 170.0, [40.0, 300.0]) is None
    assert target_met(target, 88.0, [78.5, 97.8]) is False
    assert target_met(target, 150.0, [140.0, 160.0]) is True


def _drive(strategy: Bisection, study, rule) -> list[list[float]]:
    """Run a strategy against a criterion without any runner; the values of each round."""
    records, rounds, values = [], [], strategy.first()
    while values:
        rounds.append(values)
        for v in values:
            met = bool(rule(v))
            records.append(Record(run_spec(study, v), {"status": "complete", "fractured": met},
                                  Path("."), False, len(rounds), met, met))
        values = strategy.next(records)
    return rounds


def test_bisection_with_three_groups_and_either_orientation(tmp_path):
    study = load_study(write_study(tmp_path, BISECT))
    for rule in (lambda d: d >= 301.0, lambda d: d < 301.0):  # fracture above, or below, 301 nm
        strategy = Bisection(study, groups=3)
        rounds = _drive(strategy, study, rule)
        assert rounds[1] == [150.0, 250.0, 350.0]  # G = 3: quarters of the bracket
        assert rounds[2] == [275.0, 300.0, 325.0]
        assert strategy.status == "complete"
        lo, hi = strategy.bracket
        assert lo < 301.0 <= hi and hi - lo <= 10.0
        assert len(rounds) == 1 + math.ceil(math.log(40) / math.log(4))


def test_non_monotone_criterion_is_detected(tmp_path):
    study = load_study(write_study(tmp_path, BISECT))
    strategy = Bisection(study, groups=3)
    _drive(strategy, study, lambda d: 100.0 < d < 200.0 or d > 400.0)
    assert strategy.status == "non_monotone"
    assert "not monotone" in strategy.message and "150: true" in strategy.message


def test_bracket_without_change_is_a_study_result(tmp_path):
    study = load_study(write_study(tmp_path, BISECT))
    fake = FakeRunner(lambda d: True)
    result = sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=fake)
    assert result.status == "no_sign_change" and len(fake.calls) == 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "no_sign_change" and summary["critical_value"] is None
    assert "true at both ends" in summary["message"]


def test_failed_run_stops_bisection(tmp_path):
    study = load_study(write_study(tmp_path, BISECT))
    result = sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=FakeRunner(lambda d: d > 99, "failed"))
    assert result.status == "failed" and "diameter_50" in result.message


def test_failed_run_keeps_the_bracket_of_the_decided_runs(tmp_path):
    """A run failing late in a bisection (here the fifth, at 100) leaves the bracket that the
    runs before it established, [50, 150], in summary.json, not the initial one."""
    study = load_study(write_study(tmp_path, BISECT))
    fake = FakeRunner(lambda d: d > 120, fails=lambda d: d == 100)
    result = sweep(study, MPI.COMM_SELF, tmp_path / "out", runner=fake)
    assert fake.calls == [50, 450, 250, 150, 100]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert result.status == "failed" and summary["bracket"] == [50, 150]
    assert summary["critical_value"] == 100 and "diameter_100" in summary["message"]
    assert summary["target_met"] is None  # no target in BISECT
    assert "bracket the critical value in [50, 150]" in summary["message"]


def test_grid_criterion_table_and_variants(tmp_path):
    text = ('mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100, 200.0, 300.0]\n'
            'criterion = {key = "max_damage", op = ">=", value = 0.5}\n')
    study = load_study(write_study(tmp_path, text))
    result = sweep(study, MPI.COMM_SELF, tmp_path / "grid", runner=FakeRunner(lambda d: d > 150))
    assert result.status == "complete" and result.summary["critical_value"] is None
    assert result.summary["bracket"] == [100, 200.0]
    assert [r["criterion"] for r in rows(tmp_path / "grid" / "sweep.csv")] == ["False", "True", "True"]

    text = ('mode = "variants"\ncriterion = {key = "crack_initiation_soc", op = "<=", value = 0.9}\n'
            '[sweep.variants.llzo_cap]\n"electrolyte.material" = "LLZO"\n"geometry.diameter" = 300.0\n'
            '[sweep.variants.liquid]\ngeometry.diameter = 100.0\n')
    study = load_study(write_study(tmp_path, text))
    assert run_case(study, run_spec(study, "llzo_cap"), tmp_path).electrolyte.material == "LLZO"
    result = sweep(study, MPI.COMM_SELF, tmp_path / "var", runner=FakeRunner(lambda d: d > 150))
    table = rows(tmp_path / "var" / "sweep.csv")
    assert [(r["run"], r["criterion"]) for r in table] == [("llzo_cap", "True"), ("liquid", "False")]
    assert (tmp_path / "var" / "runs" / "liquid" / "summary.json").exists()


def test_study_overrides_and_limits(tmp_path):
    path = write_study(tmp_path, BISECT)
    study = load_study(path, ["sweep.tolerance=1.0", "geometry.kind=nanowire"])
    assert study.sweep.tolerance == 1.0
    assert run_case(study, run_spec(study, 200.0), tmp_path).geometry.kind == "nanowire"
    with pytest.raises(CaseError, match=r"\[sweep\] max_runs"):
        sweep(load_study(path, ["sweep.max_runs=5"]), MPI.COMM_SELF, tmp_path / "x", runner=FakeRunner(bool))
    assert not (tmp_path / "x").exists()


def test_mode_set_on_the_command_line_leaves_out_the_files_keys_of_other_modes(tmp_path):
    """A bisection study run as a grid (`--set sweep.mode=grid --set sweep.values=[...]`) drops the
    file's bracket and tolerance instead of refusing them; the same keys given with --set are
    still refused, and a file whose own mode disagrees with its keys still fails."""
    path = write_study(tmp_path, BISECT)
    study = load_study(path, ["sweep.mode=grid", "sweep.values=[100.0, 300.0]"])
    assert study.sweep.mode == "grid" and study.sweep.values == [100.0, 300.0]
    assert "bracket" not in study.sweep.to_dict() and "tolerance" not in study.sweep.to_dict()
    result = sweep(study, MPI.COMM_SELF, tmp_path / "grid", runner=FakeRunner(lambda d: d > 150))
    assert [r["criterion"] for r in rows(tmp_path / "grid" / "sweep.csv")] == ["False", "True"]
    assert result.status == "complete"
    with pytest.raises(CaseError, match=r"\[sweep\] tolerance = 5.0: is used by mode = \"bisection\" only"):
        load_study(path, ["sweep.mode=grid", "sweep.values=[100.0]", "sweep.tolerance=5.0"])
    with pytest.raises(CaseError, match=r"\[sweep\] bracket"):
        load_study(write_study(tmp_path, 'mode = "grid"\nvalues = [100.0]\n' + BISECT))


def sifrac(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sifrac.solver.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


BAD_STUDIES = [
    (BISECT + "bracket_width = 3\n", "[sweep] bracket_width"),
    (BISECT.replace("[50.0, 450.0]", "[450.0, 50.0]"), "[sweep] bracket"),
    (BISECT.replace("10.0", "\"fine\""), "[sweep] tolerance"),
    (BISECT.replace("geometry.diameter", "geometry.diamter"), "[sweep] parameter"),
    (BISECT.replace("geometry.diameter", "geometry.kind"), "[sweep] parameter"),
    (BISECT.replace("[50.0, 450.0]", "[-50.0, 450.0]"), "[geometry] diameter"),
    (BISECT.replace("[50.0, 450.0]", "[50.0, 1" + "0" * 400 + "]"), "[sweep] bracket"),  # beyond float
    ('mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100.0, "big"]\n', "[geometry] diameter"),
    ('mode = "grid"\nparameter = "geometry.diameter"\n', "[sweep] values"),
    (BISECT + 'values = [1.0]\n', "[sweep] values"),
    (BISECT + 'criterion = {key = "fractured", op = "~"}\n', "[sweep] criterion.op"),
    ('mode = "variants"\n[sweep.variants.a]\n"electrolyte.material" = "LLZ"\n', "[electrolyte] material"),
    ('mode = "sideways"\n', "[sweep] mode"),
]


@pytest.mark.parametrize("text,key", BAD_STUDIES)
def test_bad_study_exits_2_with_one_message(tmp_path, text, key):
    out = tmp_path / "out"
    proc = sifrac("sweep", str(write_study(tmp_path, text)), "--output", str(out))
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()


def test_criterion_needs_fracture_and_ranks_must_divide(tmp_path):
    proc = sifrac("sweep", str(STUDY), "--set", "fracture.model=none", "--output", str(tmp_path / "a"))
    assert proc.returncode == 2 and "[sweep] criterion" in proc.stderr, proc.stderr
    proc = sifrac("sweep", str(STUDY), "--ranks-per-run", "2", "--output", str(tmp_path / "b"))
    assert proc.returncode == 2 and "--ranks-per-run 2" in proc.stderr, proc.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_film_soc_end_bisection_through_the_cli(tmp_path):
    """The notched film cracks when delithiated below SOC ~0.944: the bisection's critical soc_end
    lies within half its bracket (0.005) plus one SOC step of the run (dc_target 0.01) of the crack
    initiation SOC of its longest run (measured 0.0114)."""
    out = tmp_path / "study"
    proc = sifrac("-q", "sweep", str(STUDY), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    lo, hi = summary["bracket"]
    assert summary["status"] == "complete" and summary["parameter"] == "loading.soc_end"
    assert 0.0 < hi - lo <= 0.01 + 1e-12 and summary["critical_value"] == pytest.approx(0.5 * (lo + hi))
    table = rows(out / "sweep.csv")
    assert len(table) == summary["runs"] == 5
    by_value = {float(r["value"]): r for r in table}
    assert by_value[lo]["fractured"] == "True" and by_value[hi]["fractured"] == "False"
    for r in table:  # delithiation: the runs going further than the bracket crack, the others do not
        assert (r["criterion"] == "True") == (float(r["value"]) <= lo)
        assert r["status"] == "complete" and (Path(r["outdir"]) / "history.csv").exists()
    initiation = float(by_value[0.9]["crack_initiation_soc"])
    assert abs(summary["critical_value"] - initiation) <= 0.005 + 0.01
    for name in ("criterion.png", "compare_cod_normalized.png", "compare_dissipated_energy.png", "study.toml"):
        assert (out / name).stat().st_size > 0
    # the resolved study repeats the study: every run is reused
    proc = sifrac("-q", "sweep", str(out / "study.toml"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    again = json.loads((out / "summary.json").read_text())
    assert again["runs_reused"] == 5 and again["bracket"] == [lo, hi]


def test_runs_stopped_by_the_wall_time_limit_continue_when_the_sweep_is_run_again(tmp_path):
    """`[time] max_wall_time` stops a stalled run with a checkpoint, not the machine: the study
    reports it undecided and says how to go on; run again (the limit, left out of the case hash,
    raised) the run continues from its checkpoint instead of starting over, and decides."""
    path = tmp_path / "study.toml"
    path.write_text(f'[sweep]\nbase = "{ROOT / "cases" / "film_delithiation_notch.toml"}"\nmode = "grid"\n'
                    'parameter = "loading.soc_end"\nvalues = [0.9]\ncriterion = "fractured"\n'
                    '[geometry]\nmesh_size = 16.0\nmesh_size_surface = 8.0\n[output]\nfields = false\nprobes = []\n')
    out = tmp_path / "out"
    first = sweep(load_study(path, ["time.max_wall_time=1e-6"]), MPI.COMM_SELF, out)
    assert first.status == "incomplete" and "continue stopped runs from their checkpoints" in first.message
    assert first.records[0].status == "stopped" and first.records[0].met is None
    assert "max_wall_time = 1e-06 s reached" in first.records[0].summary["reason"]

    second = sweep(load_study(path, ["time.max_wall_time=600"]), MPI.COMM_SELF, out)
    run_summary = second.records[0].summary
    assert second.status == "complete" and run_summary["status"] == "complete"
    assert run_summary["resumed_at_steps"] == [0] and second.records[0].met is True  # cracks below SOC 0.944
    assert run_summary["steps"] > 10


def test_study_reference_is_current():
    """docs/sweep-reference.md is generated from the [sweep] schema (`make docs`); it must not drift."""
    from sifrac.solver.studies.schema import reference_markdown

    assert (ROOT / "docs" / "sweep-reference.md").read_text() == reference_markdown(), "run `make docs`"
