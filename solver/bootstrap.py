"""Load the pip DOLFINx's MPI ordering before anything touches dolfinx or petsc4py.

The `dolfinx-solver-real` wheel must be imported before `dolfinx`/`petsc4py` so that
`mpi4py.MPI` is initialised from the wheel's MPICH. A conda or Docker DOLFINx does not have
the module, so it is imported only when installed. Import this module first in every entry
point (CLI, test configuration, package roots).
"""

import importlib.util

if importlib.util.find_spec("dolfinx_solver") is not None:
    import dolfinx_solver  # noqa: F401  (side effect: MPI ordering)
