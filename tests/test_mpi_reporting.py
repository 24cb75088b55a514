"""`make test-mpi` reports once: a pytest run under mpiexec -n 2 (a subprocess, on a throw-away test
file beside a copy of tests/conftest.py) prints one progress line and one summary, from rank 0, and a
test failing on rank 1 alone is shown there and fails the run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PROBE = '''
import os
from mpi4py import MPI


def test_everywhere():
    assert MPI.COMM_WORLD.size == 2


def test_on_one_rank():
    assert MPI.COMM_WORLD.rank != int(os.environ.get("FAIL_ON_RANK", "-1")), "fails here on purpose"
'''


@pytest.mark.parametrize("fail_on_rank", [None, 1])
def test_mpi_run_reports_once_from_rank_0(tmp_path, fail_on_rank):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {**os.environ, **({"FAIL_ON_RANK": str(fail_on_rank)} if fail_on_rank is not None else {})}
    mpiexec = Path(sys.executable).parent / "mpiexec"
    proc = subprocess.run([str(mpiexec), "-n", "2", sys.executable, "-m", "mpi4py", "-m", "pytest", "-q",
                           "-p", "no:cacheprovider", "test_probe.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    summaries = [line for line in proc.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    assert len(summaries) == 1, proc.stdout
    assert sum("[100%]" in line for line in proc.stdout.splitlines()) == 1, proc.stdout
    if fail_on_rank is None:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert summaries[0].startswith("2 passed"), summaries
    else:
        assert proc.returncode != 0
        assert summaries[0].startswith("1 failed, 2 passed"), summaries
        assert "FAILED test_probe.py::test_on_one_rank [rank 1] - AssertionError" in proc.stdout
        assert "fails here on purpose" in proc.stdout  # the FAILURES section of rank 1
