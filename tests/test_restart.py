"""Runs that survive being killed: SIGTERM stops at the end of a step with a checkpoint, `--resume`
continues bit for bit (on the same number of ranks; on another, up to MPI round-off), periodic
checkpoints survive SIGKILL, and result files are never truncated."""

from sifrac.solver import bootstrap  # noqa: F401

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpi4py import MPI

from sifrac.solver.case import load_case, resolve_case
from sifrac.solver.run import run

ROOT = Path(__file__).parents[1]
FILM = ROOT / "cases" / "film_delithiation_notch.toml"
# The notched film, coarse (about 1 s of solving): 32 steps, the crack initiates near step 16.
SMALL = ["geometry.mesh_size=16.0", "geometry.mesh_size_surface=8.0", "loading.soc_end=0.9", "time.dc_target=0.004"]


def sifrac(*args: str, mpi: int = 0, wait: bool = True):
    """The CLI in a subprocess (under mpiexec -n `mpi` when mpi > 0)."""
    sets = [a for s in SMALL for a in ("--set", s)]
    cmd = [sys.executable, "-m", "sifrac.solver.cli", "-q", *args, *sets]
    if mpi:
        cmd = [str(Path(sys.executable).parent / "mpiexec"), "-n", str(mpi), *cmd]
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def rows(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def kill_after(proc: subprocess.Popen, history: Path, n_rows: int, sig: int) -> int:
    """Send `sig` once history.csv holds n_rows data rows; returns the exit status."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if history.exists() and len(history.read_text().splitlines()) > n_rows:
            proc.send_signal(sig)
            break
        time.sleep(0.01)
    proc.communicate(timeout=240)
    return proc.returncode


def assert_same_history(a: Path, b: Path, rel: float = 1e-10) -> None:
    ra, rb = rows(a), rows(b)
    assert len(ra) == len(rb) > 20
    for x, y in zip(ra, rb):
        assert x.keys() == y.keys()
        for key in x:
            assert y[key] == pytest.approx(x[key], rel=rel, abs=1e-300), (key, x["step"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted run, in process."""
    out = tmp_path_factory.mktemp("reference")
    result = run(load_case(FILM, SMALL), MPI.COMM_SELF, out)
    assert result.status == "complete" and result.summary["fractured"]
    assert not (out / "checkpoint").exists()  # a complete run keeps no checkpoint
    return out


def test_sigterm_then_resume_gives_the_uninterrupted_history(tmp_path, reference):
    out = tmp_path / "run"
    code = kill_after(sifrac("run", str(FILM), "--output", str(out), wait=False), out / "history.csv", 8,
                      signal.SIGTERM)
    assert code == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["reason"].startswith("SIGTERM received")
    stopped_at = summary["steps"]
    assert 7 <= stopped_at < 30
    assert len(rows(out / "history.csv")) == stopped_at + 1
    latest = json.loads((out / "checkpoint" / "latest.json").read_text())
    assert latest["step"] == stopped_at and latest["ranks"] == 1

    # refused: another case
    proc = sifrac("run", str(FILM), "--resume", str(out), "--set", "fracture.length_scale=17.0")
    assert proc.returncode == 2 and "the case differs" in proc.stderr and "Traceback" not in proc.stderr

    # the same checkpoint resumed on 2 ranks: the uninterrupted history up to MPI round-off
    shutil.copytree(out, tmp_path / "on_two")
    proc = sifrac("run", str(FILM), "--resume", str(tmp_path / "on_two"), mpi=2)
    assert proc.returncode == 0, proc.stderr
    assert_same_history(reference / "history.csv", tmp_path / "on_two" / "history.csv", rel=1e-8)
    assert json.loads((tmp_path / "on_two" / "summary.json").read_text())["ranks"] == 2

    proc = sifrac("run", str(FILM), "--resume", str(out))  # on 1 rank: bit for bit
    assert proc.returncode == 0, proc.stderr
    assert_same_history(reference / "history.csv", out / "history.csv")
    assert_same_history(reference / "probes.csv", out / "probes.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "complete" and summary["resumed_at_steps"] == [stopped_at]
    assert (out / f"fields_from_step_{stopped_at}.bp").is_dir() and (out / "fields.bp").is_dir()

    proc = sifrac("run", str(FILM), "--resume", str(out))  # nothing left to do
    assert proc.returncode == 2 and "the run is complete" in proc.stderr


def test_wall_time_limit_stops_with_a_checkpoint_and_resume_may_raise_it(tmp_path, reference):
    """`[time] max_wall_time` is checked before every step: a limit shorter than the setup stops
    the run before its first step (exit 4, a checkpoint), and `--resume` with the limit raised
    (left out of the case hash) finishes it as if it had never stopped."""
    out = tmp_path / "run"
    proc = sifrac("run", str(FILM), "--output", str(out), "--set", "time.max_wall_time=1e-6")
    assert proc.returncode == 4, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["steps"] == 0
    assert summary["reason"].startswith("max_wall_time = 1e-06 s reached at t = 0 s")
    assert json.loads((out / "checkpoint" / "latest.json").read_text())["step"] == 0

    proc = sifrac("run", str(FILM), "--resume", str(out), "--set", "time.max_wall_time=600")
    assert proc.returncode == 0, proc.stderr
    assert_same_history(reference / "history.csv", out / "history.csv")
    assert json.loads((out / "summary.json").read_text())["resumed_at_steps"] == [0]


def test_periodic_checkpoints_survive_sigkill(tmp_path, reference):
    """SIGKILL gives no chance to clean up: the run goes on from its last periodic checkpoint, a
    half-written newer checkpoint is ignored, and history.csv / probes.csv are whole files."""
    out = tmp_path / "run"
    proc = sifrac("run", str(FILM), "--output", str(out), "--set", "output.checkpoint_every=3", wait=False)
    assert kill_after(proc, out / "history.csv", 11, signal.SIGKILL) == -signal.SIGKILL
    assert not (out / "summary.json").exists()
    for name in ("history.csv", "probes.csv"):  # written to a temporary file, then renamed
        lines = (out / name).read_text().splitlines()
        assert len(lines) > 2 and len({line.count(",") for line in lines}) == 1, name
    latest = json.loads((out / "checkpoint" / "latest.json").read_text())
    assert latest["step"] % 3 == 0 and latest["step"] >= 9
    partial = out / "checkpoint" / "step_999999"  # as if killed while writing the next checkpoint
    partial.mkdir()
    (partial / "rank_0.npz").write_bytes(b"PK\x03\x04 truncated")

    proc = sifrac("run", str(FILM), "--resume", str(out), "--set", "output.checkpoint_every=3")
    assert proc.returncode == 0, proc.stderr
    assert_same_history(reference / "history.csv", out / "history.csv")
    assert not (out / "checkpoint").exists()


def test_resume_without_checkpoint_is_refused(tmp_path):
    from sifrac.solver.cli import main

    proc = sifrac("run", str(FILM), "--resume", str(tmp_path))
    assert proc.returncode == 2 and "no checkpoint" in proc.stderr
    assert main(["run", str(FILM), "--resume", str(tmp_path), "--output", str(tmp_path / "x")]) == 2
    assert os.listdir(tmp_path) == []


def test_resume_of_the_coupled_surface_equilibrium(tmp_path):
    """A particle in Li6PS5Cl whose interface concentration follows the stress (monolithic c, u and
    cell-mean sigma_h, all checkpointed): stopped by max_steps at step 6 and resumed, it repeats
    the uninterrupted history exactly."""
    spec = {"geometry": {"kind": "particle", "dim": 2, "diameter": 100.0, "mesh_size": 10.0, "matrix": True},
            "electrolyte": {"material": "Li6PS5Cl"},
            "loading": {"mode": "potentiostatic", "surface_concentration": 0.98, "surface_stress_coupling": True},
            "time": {"t_end": 20.0}, "output": {"fields": False}}
    full = run(resolve_case(spec, "coupled"), MPI.COMM_SELF, tmp_path / "full")
    stopped = run(resolve_case({**spec, "time": {"t_end": 20.0, "max_steps": 6}}, "coupled"), MPI.COMM_SELF,
                  tmp_path / "part")
    assert stopped.status == "stopped"
    resumed = run(resolve_case(spec, "coupled"), MPI.COMM_SELF, tmp_path / "part", resume=True)
    assert resumed.status == full.status == "complete"
    a, b = rows(tmp_path / "full" / "history.csv"), rows(tmp_path / "part" / "history.csv")
    assert len(a) == len(b) > 10
    for x, y in zip(a, b):
        for key in x:
            assert y[key] == pytest.approx(x[key], rel=1e-10, abs=1e-14), (key, x["step"])
