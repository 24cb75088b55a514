"""Mechanical loading without chemistry: prescribed boundary displacements that grow with the
(pseudo-)time, for the fracture benchmarks.

`[loading] mode = "displacement"`: the `loaded` boundaries move by t * `displacement`, the
`clamped` ones are fixed (every component). `mode = "surfing"` (Hossain, Hsueh, Bourdin &
Bhattacharya, JMPS 73 (2014) 173): the `loaded` boundaries follow the plane-strain mode-I
K-field centred at (surfing_start + surfing_speed * t, 0), so a crack along y = 0 is driven at a
steady speed by a constant energy release rate K^2 (1 - nu^2) / E.

Measured on the loaded boundaries, from the equilibrium residual f_i = int sigma : eps(phi_i)
(no Dirichlet rows applied: at a constrained dof it is the force the support exerts, elsewhere
zero up to the Newton tolerance):
- `reaction_force`: sum of f_i . e over the loaded dofs, e the unit `displacement` direction
  (force per unit depth in 2D, GPa nm = N/m);
- `external_work`: the work of the supports, accumulated per step by the trapezoidal rule
  sum_i (f_i(old) + f_i(new)) / 2 * (g_i(new) - g_i(old)) (exact for a linear response);
- surfing also `crack_tip_x`, the largest x where damage reaches `[fracture] threshold`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from dolfinx.fem.petsc import assemble_vector
from mpi4py import MPI
from petsc4py import PETSc

from solver.case import CaseError

if TYPE_CHECKING:
    from solver.coupling import ChemoElasticProblem


def k_field(x: np.ndarray, K: float, E: float, nu: float, x_tip: float) -> np.ndarray:
    """Plane-strain mode-I crack-tip displacement (Williams' leading term) about (x_tip, 0),
    the crack along y = 0, x < x_tip; x has shape (3, n), the result (2, n)."""
    mu, kappa = E / (2 * (1 + nu)), 3 - 4 * nu
    dx, dy = x[0] - x_tip, x[1]
    r, theta = np.hypot(dx, dy), np.arctan2(dy, dx)
    a = K / (2 * mu) * np.sqrt(r / (2 * np.pi)) * (kappa - np.cos(theta))
    return np.vstack([a * np.cos(theta / 2), a * np.sin(theta / 2)])


class BoundaryLoading:
    """Dirichlet data of a mechanical loading mode and the boundary measures it yields.

    The load follows the problem's step cycle: `advance(dt)` sets the data at the accepted time
    plus dt (a rejected step simply advances again), `accept()` commits the step and updates the
    external work. It keeps no reference to the problem (which holds it): a cycle would leave the
    problem's parallel PETSc objects to the cyclic garbage collector, which runs at different
    times on different ranks, and their collective destruction would deadlock.
    """

    def __init__(self, problem: ChemoElasticProblem) -> None:
        case, bundle = problem.case, problem.bundle
        self.load = case["loading"]
        self.mode = self.load["mode"]
        self.comm = problem.comm
        self.dim = problem.dim
        V = problem.Vu
        self._bs = V.dofmap.index_map_bs
        self._d = problem.d if problem.fracture else None
        self._threshold = case["fracture"]["threshold"]
        n = problem.Vc.dofmap.index_map.size_local
        self._x_damage = problem.Vc.tabulate_dof_coordinates()[:n, 0]
        fdim = problem.dim - 1
        for key in ("loaded", "clamped"):
            for name in self.load.get(key, []):
                if name not in bundle.boundaries:
                    raise CaseError(f"[loading] {key} = {self.load[key]}: no boundary {name!r} in this mesh; "
                                    f"allowed: {', '.join(sorted(bundle.boundaries))}")
        act = case["active"]
        c0 = case["loading"]["soc_start"]  # the concentration stays here: moduli of that state
        self.E = act["E"] + (act["E_lithiated"] - act["E"]) * c0
        self.nu = act["nu"] + (act["nu_lithiated"] - act["nu"]) * c0
        self.g = fem.Function(V, name="boundary_displacement")
        loaded = np.concatenate([problem._facets(name) for name in self.load["loaded"]])
        self._loaded_dofs = fem.locate_dofs_topological(V, fdim, np.unique(loaded))
        self.bcs = [fem.dirichletbc(self.g, self._loaded_dofs)]
        for name in self.load.get("clamped", []):
            dofs = fem.locate_dofs_topological(V, fdim, problem._facets(name))
            zero = np.zeros(problem.dim, dtype=default_scalar_type)
            self.bcs.append(fem.dirichletbc(zero, dofs, V))
        bs = V.dofmap.index_map_bs
        n_owned = V.dofmap.index_map.size_local * bs
        unrolled = (self._loaded_dofs[:, None] * bs + np.arange(bs)).ravel()
        self._owned = unrolled[unrolled < n_owned]  # loaded dofs this rank owns (each counted once)
        self._direction = np.asarray(self.load.get("displacement", [0.0, 1.0, 0.0])[:problem.dim])
        norm = np.linalg.norm(self._direction)
        self._direction = self._direction / norm if norm > 0 else self._direction
        v = ufl.TestFunction(V)
        self._residual = fem.form(problem.internal_work(v))
        self.time, self._pending = 0.0, 0.0
        self.work = 0.0
        self._f_old: np.ndarray | None = None
        self._g_old = np.zeros(self._owned.size)
        self._set(0.0)

    # -- the data -----------------------------------------------------------------------------
    def load_parameter(self, t: float) -> float:
        """Displacement magnitude (displacement mode) or K-field centre x (surfing) at time t."""
        if self.mode == "displacement":
            return t * float(np.linalg.norm(self.load["displacement"]))
        return self.load["surfing_start"] + self.load["surfing_speed"] * t

    def _set(self, t: float) -> None:
        if self.mode == "displacement":
            u = np.asarray(self.load["displacement"][:self.dim]) * t
            self.g.interpolate(lambda x: np.tile(u[:, None], (1, x.shape[1])))
        else:
            K, x_tip = self.load["stress_intensity"], self.load_parameter(t)
            self.g.interpolate(lambda x: k_field(x, K, self.E, self.nu, x_tip))
        self.g.x.scatter_forward()

    def advance(self, dt: float) -> None:
        """Boundary data at the last accepted time plus dt."""
        self._pending = self.time + dt
        self._set(self._pending)

    def accept(self) -> None:
        """Commit the step (u is in equilibrium with the current data) and add its work."""
        vec = assemble_vector(self._residual)
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)  # owned entries complete
        f = vec.getArray(readonly=True)[self._owned].copy()
        vec.destroy()
        g = self.g.x.array[self._owned]
        if self._f_old is not None:
            self.work += self.comm.allreduce(float(0.5 * (self._f_old + f) @ (g - self._g_old)), op=MPI.SUM)
        self._f_old, self._g_old = f, g.copy()
        self.time = self._pending

    def restore(self, t: float, work: float) -> None:
        """Continue from a checkpoint: the data at time t, the forces of the restored (equilibrium)
        state as the start of the next work increment, and the work done so far."""
        self._f_old = None
        self._pending = t
        self._set(t)
        self.accept()
        self.work = work

    # -- measures -----------------------------------------------------------------------------
    def reaction_force(self) -> float:
        """Force of the loaded boundaries along the loading direction (per unit depth in 2D)."""
        if self._f_old is None:
            return 0.0
        local = float(self._f_old @ self._direction[self._owned % self._bs])
        return self.comm.allreduce(local, op=MPI.SUM)

    def crack_tip_x(self) -> float:
        """Largest x where the damage reaches the case's threshold (nan without such a point)."""
        x = self._x_damage
        cracked = self._d.x.array[:x.size] >= self._threshold
        tip = self.comm.allreduce(float(x[cracked].max(initial=-np.inf)), op=MPI.MAX)
        return tip if np.isfinite(tip) else float("nan")

    def measures(self) -> dict[str, float]:
        """History columns of the committed state."""
        row = {"load": self.load_parameter(self.time), "external_work": self.work}
        if self.mode == "displacement":
            row["reaction_force"] = self.reaction_force()
        elif self._d is not None:
            row["crack_tip_x"] = self.crack_tip_x()
        return row


def summary(history: list[dict]) -> dict:
    """`peak_load` (largest |reaction_force|) and the load parameter where it occurred."""
    if not history or "reaction_force" not in history[0]:
        return {}
    peak = max(history, key=lambda r: abs(r["reaction_force"]))
    return {"peak_load": abs(peak["reaction_force"]), "load_at_peak": peak["load"]}
