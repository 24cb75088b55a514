"""Under mpiexec -n 2: a run stopped on one rank resumes on two. Each case runs uninterrupted on
rank 0 alone, then again on rank 0 alone until `[time] max_steps` stops it with a checkpoint, and
is resumed from that checkpoint on both ranks: the history must match the uninterrupted run to 1e-8
relative. The cases cover every kind of state field: P1 (c, d), vector P2 (u), quadrature points
(plastic strain and equivalent plastic strain, finite strain), DG0 (the cell-mean hydrostatic
stress of the surface-coupled solve, the axial strain of generalised plane strain)."""

from sifrac.solver import bootstrap  # noqa: F401

import pytest
from mpi4py import MPI

from sifrac.solver.case import resolve_case
from sifrac.solver.run import run
from test_mpi_run import CASES

pytestmark = pytest.mark.mpi
STOP_AT = 4


# The cases of test_mpi_run.py, shortened (t_end, s): 17, 15 and 9 history rows.
SHORT = {"particle-2d-finite-strain-plastic-flaw": 20.0, "particle-2d-embedded-surface-coupling": 4.0,
         "nanowire-2d-generalized-plane-strain": 40.0}


@pytest.mark.parametrize("name", SHORT)
def test_stopped_on_one_rank_resumed_on_two(tmp_path_factory, name):
    comm = MPI.COMM_WORLD
    assert comm.size == 2, "run under mpiexec -n 2"
    base = comm.bcast(str(tmp_path_factory.mktemp(name)) if comm.rank == 0 else None, root=0)
    spec = {**CASES[name], "output": {"fields": False}}
    spec["time"] = {**spec["time"], "t_end": SHORT[name]}
    if comm.rank == 0:
        full = run(resolve_case(spec, name), MPI.COMM_SELF, f"{base}/full")
        assert full.status == "complete", full.reason
        stopped = run(resolve_case({**spec, "time": {**spec["time"], "max_steps": STOP_AT}}, name), MPI.COMM_SELF,
                      f"{base}/part")
        assert stopped.status == "stopped" and stopped.summary["ranks"] == 1
    comm.barrier()
    resumed = run(resolve_case(spec, name), comm, f"{base}/part", resume=True)
    assert resumed.status == "complete", resumed.reason
    assert resumed.summary["ranks"] == 2 and resumed.summary["resumed_at_steps"] == [STOP_AT]
    if comm.rank == 0:
        a, b = full.history, resumed.history
        assert len(a) == len(b) > STOP_AT + 3
        for x, y in zip(a, b):
            assert x.keys() == y.keys()
            for key in x:
                assert y[key] == pytest.approx(x[key], rel=1e-8, abs=1e-12), (key, x["step"])
