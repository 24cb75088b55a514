"""Point probes: concentration and stress at fixed points, gathered on rank 0.

Ownership of each point is settled once (dolfinx's point-ownership search), so each point is
evaluated by exactly one rank whatever the partition, and rank 0 receives the values in the
order the case lists the points.
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem
from dolfinx.geometry import determine_point_ownership
from mpi4py import MPI

from sifrac.solver.case import CaseError

COMPONENTS = ("sxx", "syy", "szz", "sxy", "sxz", "syz")
_INDEX = (0, 4, 8, 1, 2, 5)  # positions of the components in a flattened 3x3 tensor


class Probes:
    """Evaluates functions at the case's probe points."""

    def __init__(self, mesh, points: list[list[float]], strict: bool = True) -> None:
        """strict: a point outside the mesh is an input error; otherwise it evaluates to NaN."""
        self.comm = mesh.comm
        self.points = np.asarray(points, dtype=float).reshape(-1, 3)
        mine = self.points if self.comm.rank == 0 else np.zeros((0, 3))
        extent = np.ptp(mesh.geometry.x, axis=0).max(initial=0.0)
        pad = 1e-8 * float(self.comm.allreduce(extent, op=MPI.MAX))  # points on facets stay found
        own = determine_point_ownership(mesh, np.ascontiguousarray(mine), pad)  # always 3 columns
        self._x = own.dest_points
        self._cells = own.dest_cells
        missing = np.flatnonzero(np.asarray(own.src_owner) < 0) if self.comm.rank == 0 else np.array([], int)
        self.missing = missing = self.comm.bcast(missing, root=0)  # indices of the points no rank owns
        if len(missing) and strict:
            i = int(missing[0])
            raise CaseError(f"[output] probes[{i}] = {self.points[i].tolist()}: outside the mesh; "
                            "allowed: points inside the solid regions")
        # Rank 0 sent the points in order and each owner receives its share in that order, so the
        # rows gathered rank by rank belong to the found points sorted (stably) by owner.
        if self.comm.rank == 0:
            owner = np.asarray(own.src_owner)
            order = np.argsort(owner, kind="stable")
            self._gathered = order[owner[order] >= 0]

    def __len__(self) -> int:
        return len(self.points)

    def values(self, functions: list[fem.Function], widths: list[int]) -> np.ndarray | None:
        """The functions' values (flattened, `widths` columns each) per point on rank 0, NaN for
        points outside the mesh; None on the other ranks."""
        cols = sum(widths)
        if len(self._x):
            local = np.hstack([f.eval(self._x, self._cells).reshape(len(self._x), w)
                               for f, w in zip(functions, widths)])
        else:
            local = np.zeros((0, cols))
        parts = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        ordered = np.full((len(self.points), cols), np.nan)
        ordered[self._gathered] = np.vstack(parts)
        return ordered

    def evaluate(self, c: fem.Function, stress: fem.Function, damage: fem.Function | None = None) -> np.ndarray | None:
        """Rows (c, sxx, syy, szz, sxy, sxz, syz[, damage]) per point on rank 0, None elsewhere."""
        functions, widths = [c, stress], [1, 9]
        if damage is not None:
            functions.append(damage)
            widths.append(1)
        rows = self.values(functions, widths)
        if rows is None:
            return None
        return np.hstack([rows[:, :1], rows[:, 1:10][:, _INDEX], rows[:, 10:]])

