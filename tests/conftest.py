"""Test session set-up. Under mpiexec (`make test-mpi`) only rank 0 reports: the other ranks' terminal
reporters are removed, their failed reports go to rank 0 at the end of the session and are shown
there (marked with the rank), and every rank exits with the worst status of all, so a failure on
rank 1 alone still fails the run."""

from sifrac.solver import bootstrap  # noqa: F401

import pytest
from mpi4py import MPI

_WORLD = MPI.COMM_WORLD
_failed: list[dict] = []  # failed reports of this rank (> 0), serialised for rank 0


@pytest.hookimpl(trylast=True)  # after pytest's own configure has registered the reporter
def pytest_configure(config: pytest.Config) -> None:
    if _WORLD.rank > 0:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _WORLD.rank > 0 and report.failed:
        report.nodeid = f"{report.nodeid} [rank {_WORLD.rank}]"
        _failed.append(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collective: every rank ends its session here."""
    if _WORLD.size == 1:
        return
    hook = session.config.hook
    mine = [hook.pytest_report_to_serializable(config=session.config, report=r) for r in _failed]
    gathered = _WORLD.gather(mine, root=0)
    session.exitstatus = _WORLD.allreduce(int(session.exitstatus), op=MPI.MAX)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if _WORLD.rank == 0 and reporter is not None:
        for data in (d for part in gathered[1:] for d in part):  # into the summary and its FAILURES section
            report = hook.pytest_report_from_serializable(config=session.config, data=data)
            reporter.stats.setdefault("failed", []).append(report)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Rank 0 has printed its summary before any rank exits: `python -m mpi4py` aborts the job as
    soon as one rank exits with a failure status."""
    import sys

    sys.stdout.flush()
    _WORLD.Barrier()
