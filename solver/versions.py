"""What code a run used: package versions and the git commit, for summary.json and sweep.json."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from sifrac.solver import __version__


def versions() -> dict[str, str]:
    import dolfinx
    import gmsh
    from petsc4py import PETSc

    return {"sifrac": __version__, "dolfinx": dolfinx.__version__,
            "petsc": ".".join(map(str, PETSc.Sys.getVersion())), "gmsh": gmsh.__version__}


@functools.cache
def git_commit() -> str:
    """The commit of the code this process runs, "-dirty" if tracked files differ from it. Cached
    at the first call (run() makes it before stepping), so a long run that outlives a later commit
    still names the code it started with."""
    try:
        here = Path(__file__).parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip()
        if not commit:
            return "unknown"
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=here, capture_output=True, timeout=5)
        return commit + ("-dirty" if dirty.returncode == 1 else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
