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

from solver.case import CaseError

COMPONENTS = ("sxx", "syy", "szz", "sxy", "sxz", "syz")
_INDEX = (0, 4, 8, 1, 2, 5)  # positions of the components in a flattened 3x3 tensor


class Probes:
    """Evaluates functions at the case's probe points."""

    def __init__(self, mesh, points: list[list[float]]) -> None:
        self.comm = mesh.comm
        self.points = np.asarray(points, dtype=float).reshape(-1, 3)
        mine = self.points if self.comm.rank == 0 else np.zeros((0, 3))
        extent = np.ptp(mesh.geometry.x, axis=0).max(initial=0.0)
        pad = 1e-8 * float(self.comm.allreduce(extent, op=MPI.MAX))  # points on facets stay found
        own = determine_point_ownership(mesh, np.ascontiguousarray(mine), pad)  # always 3 columns
        self._x = own.dest_points
        self._cells = own.dest_cells
        missing = np.flatnonzero(np.asarray(own.src_owner) < 0) if self.comm.rank == 0 else np.array([], int)
        missing = self.comm.bcast(missing, root=0)
        if len(missing):
            i = int(missing[0])
            raise CaseError(f"[output] probes[{i}] = {self.points[i].tolist()}: outside the mesh; "
                            "allowed: points inside the solid regions")
        # Rank 0 sent the points in order; each receiver gets its share in that order, so the
        # global order is recovered from the source owners.
        self._order = np.argsort(own.src_owner, kind="stable") if self.comm.rank == 0 else None

    def __len__(self) -> int:
        return len(self.points)

    def evaluate(self, c: fem.Function, stress: fem.Function, damage: fem.Function | None = None) -> np.ndarray | None:
        """Rows (c, sxx, syy, szz, sxy, sxz, syz[, damage]) per point on rank 0, None elsewhere."""
        if len(self._x):
            cols = [c.eval(self._x, self._cells).reshape(-1, 1),
                    stress.eval(self._x, self._cells).reshape(-1, 9)[:, _INDEX]]
            if damage is not None:
                cols.append(damage.eval(self._x, self._cells).reshape(-1, 1))
            local = np.hstack(cols)
        else:
            local = np.zeros((0, 7 + (damage is not None)))
        parts = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        rows = np.vstack(parts)
        out = np.empty_like(rows)
        out[self._order] = rows
        return out
