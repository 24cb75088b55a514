"""Solver statistics: how many solves, Newton and Krylov iterations, and seconds, per solver role.

Researchers compare runs by cost as much as by result; these counters go to `summary.json`
(`solver_stats`) and feed `benchmarks/`. Seconds are per rank (the slowest rank is reported).
"""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

from mpi4py import MPI


@dataclass
class RoleStats:
    """Totals of one solver role (diffusion, coupled, mechanics, damage)."""

    solves: int = 0
    failed: int = 0
    nonlinear_iterations: int = 0
    linear_iterations: int = 0
    seconds: float = 0.0
    preconditioner_builds: int = 0  # counted where the preconditioner is kept between solves
    jacobian_assemblies: int = 0
    proximal_rescues: int = 0  # solves that Newton failed and proximal continuation finished


@dataclass
class SolverStats:
    """Totals per role, plus the alternate-minimisation loop as a whole (`equilibrium`)."""

    roles: dict[str, RoleStats] = field(default_factory=dict)
    staggered_iterations: int = 0
    equilibrium_seconds: float = 0.0
    anderson_mixes: int = 0  # staggered iterations that took the Anderson iterate
    anderson_rejected: int = 0  # ... that computed one and kept the plain iterate

    def add(self, role: str, nonlinear: int, linear: int, seconds: float, ok: bool) -> None:
        r = self.roles.setdefault(role, RoleStats())
        r.solves += 1
        r.failed += not ok
        r.nonlinear_iterations += nonlinear
        r.linear_iterations += linear
        r.seconds += seconds

    def built_preconditioner(self, role: str, count: int) -> None:
        self.roles.setdefault(role, RoleStats()).preconditioner_builds += count

    def rescued(self, role: str) -> None:
        self.roles.setdefault(role, RoleStats()).proximal_rescues += 1

    def assembled_jacobian(self, role: str) -> None:
        self.roles.setdefault(role, RoleStats()).jacobian_assemblies += 1

    @contextmanager
    def equilibrium(self) -> Iterator[None]:
        """Time one alternate-minimisation loop (the caller counts its iterations)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.equilibrium_seconds += time.perf_counter() - t0

    def summary(self, comm: MPI.Comm) -> dict:
        """Counts (the same on every rank) and the slowest rank's seconds, for summary.json."""
        out = {}
        for role, r in sorted(self.roles.items()):
            d = asdict(r)
            d["seconds"] = comm.allreduce(r.seconds, op=MPI.MAX)
            out[role] = d
        out["equilibrium"] = {"staggered_iterations": self.staggered_iterations,
                              "anderson_mixes": self.anderson_mixes, "anderson_rejected": self.anderson_rejected,
                              "seconds": comm.allreduce(self.equilibrium_seconds, op=MPI.MAX)}
        return out


def peak_memory_mb(comm: MPI.Comm) -> list[float]:
    """Peak resident memory of each rank in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mb = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    return comm.allgather(round(mb, 1))
