"""Result files: history.csv and probes.csv grow by appended lines, and a resumed run rewrites
them from its checkpoint, so that the files are those an uninterrupted run writes."""

from sifrac.solver import bootstrap  # noqa: F401

import numpy as np
from mpi4py import MPI

from sifrac.solver.outputs import ResultWriter, csv_text


def _writer(outdir):
    return ResultWriter(outdir, MPI.COMM_SELF, "", [], None, None, ("damage",))


def test_appended_files_equal_the_whole_rewrite_also_after_a_resume(tmp_path):
    rows = [{"step": i, "time": 0.1 * i, "soc": i / 3, "max_damage": 1e-300 * i} for i in range(6)]
    points = np.array([[0.0, 1.0, 0.0], [2.0, 3.0, 0.0]])
    values = [np.random.default_rng(i).normal(size=(2, 8)) for i in range(6)]
    writer = _writer(tmp_path)
    for row, vals in zip(rows[:5], values):  # a run that reaches step 4 ...
        writer.record(row, vals, points)
    probe_rows = list(writer.probe_rows)
    history, probes = tmp_path / "history.csv", tmp_path / "probes.csv"
    assert history.read_text() == csv_text(list(rows[0]), rows[:5])
    assert probes.read_text() == csv_text(writer.probe_columns, probe_rows)
    assert len(probe_rows) == 10

    resumed = _writer(tmp_path)  # ... is killed, and resumed from its checkpoint at step 2
    resumed.restore(rows[:3], probe_rows[:6])
    assert history.read_text() == csv_text(list(rows[0]), rows[:3])
    for row, vals in zip(rows[3:], values[3:]):
        resumed.record(row, vals, points)
    uninterrupted = _writer(tmp_path / "full")
    for row, vals in zip(rows, values):
        uninterrupted.record(row, vals, points)
    for name in ("history.csv", "probes.csv"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name
    read = [float(line.split(",")[2]) for line in history.read_text().splitlines()[1:]]
    assert read == [r["soc"] for r in rows]  # floats are written to read back exactly
