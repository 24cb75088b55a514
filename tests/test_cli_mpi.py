"""Under mpiexec -n 2: bad paths end every rank with exit status 2 and one line from rank 0, before
any collective call (a missing mesh file used to raise on every rank and end in MPI_Abort)."""

from sifrac.solver import bootstrap  # noqa: F401

from pathlib import Path

import pytest
from mpi4py import MPI

from sifrac.solver.cli import main

pytestmark = pytest.mark.mpi
CASE = Path(__file__).parents[1] / "cases" / "demo_particle.toml"


@pytest.mark.parametrize("what", ["missing_mesh", "output_is_a_file"])
def test_bad_path_exits_2_on_every_rank_with_one_line(tmp_path_factory, capfd, what):
    comm = MPI.COMM_WORLD
    assert comm.size == 2, "run under mpiexec -n 2"
    base = Path(comm.bcast(str(tmp_path_factory.mktemp(what)) if comm.rank == 0 else None, root=0))
    out, sets = base / "out", ["--set", "time.t_end=10.0"]
    if what == "missing_mesh":
        sets += ["--set", "geometry.kind=file", "--set", f"geometry.file={base / 'no_such.msh'}"]
        expected = f"[geometry] file = \"{base / 'no_such.msh'}\": no such file"
    else:
        if comm.rank == 0:
            out.write_text("")
        expected = f"output directory {out}: exists and is not a directory"
    comm.barrier()
    code = main(["-q", "run", str(CASE), "--output", str(out), *sets])
    assert comm.allgather(code) == [2, 2]
    err = capfd.readouterr().err
    if comm.rank == 0:
        assert err.startswith("sifrac: error: ") and expected in err and len(err.strip().splitlines()) == 1, err
        assert sorted(p.name for p in base.iterdir()) == ([] if what == "missing_mesh" else ["out"])
        assert what == "missing_mesh" or out.read_text() == ""
    else:
        assert err == ""
