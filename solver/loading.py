"""Loading: the electrochemical load (`Loading`) and the mechanical loading modes without chemistry.

Electrochemical: galvanostatic (a uniform Li flux through the lithiation surfaces at the C-rate),
potentiostatic (a surface concentration, stepped or ramped), or uniform (an imposed uniform
concentration rate).

Mechanical, for the fracture benchmarks: prescribed boundary displacements that grow with the
(pseudo-)time. `[loading] mode = "displacement"`: the `loaded` boundaries move by t *
`displacement`, the `clamped` ones are fixed (every component). `mode = "surfing"` (Hossain, Hsueh,
Bourdin & Bhattacharya, JMPS 73 (2014) 173): the `loaded` boundaries follow the plane-strain mode-I
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

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from dolfinx.fem.petsc import assemble_vector
from mpi4py import MPI
from petsc4py import PETSc

from sifrac.solver.case import MECHANICAL_MODES, Case, CaseError
from sifrac.solver.case import Loading as LoadingSection
from sifrac.solver.domain import Domain


@dataclass(frozen=True)
class Loading:
    """The electrochemical load resolved against the mesh."""

    mode: str
    sign: float  # +1 lithiation, -1 delithiation
    rate: float  # d(SOC)/dt magnitude in 1/s for galvanostatic loading
    surface_concentration: float
    surfaces: tuple[str, ...]
    start: float = 0.0  # the initial (stress-free) concentration
    ramp_time: float = 0.0  # potentiostatic: time over which the surface value moves from start

    def surface_value(self, t: float) -> float:
        """The potentiostatic surface concentration at time t: a step, or a linear ramp."""
        if self.ramp_time <= 0.0 or t >= self.ramp_time:
            return self.surface_concentration
        return self.start + (self.surface_concentration - self.start) * t / self.ramp_time


def electrochemical(load: LoadingSection, default_surfaces: tuple[str, ...]) -> Loading:
    """The `[loading]` section as a `Loading`; in a mechanical mode no Li enters (c stays at
    soc_start). The surfaces are checked against the mesh by `check_surfaces`."""
    if load.mode in MECHANICAL_MODES:
        return Loading(load.mode, 1.0, 0.0, load.soc_start, ())
    surfaces = tuple(default_surfaces if load.surfaces is None else load.surfaces)
    sign = 1.0 if load.direction == "lithiation" else -1.0
    return Loading(load.mode, sign, load.c_rate / 3600.0, load.surface_concentration, surfaces,
                   load.soc_start, load.ramp_time)


def check_boundaries(load: LoadingSection, default_surfaces: tuple[str, ...], boundaries: dict[str, int]) -> None:
    """The boundaries `[loading]` names exist in this mesh: the lithiation surfaces, or the
    `loaded` and `clamped` ones of a mechanical mode (CaseError otherwise)."""
    allowed = ", ".join(sorted(boundaries))
    if load.mode in MECHANICAL_MODES:
        for key in ("loaded", "clamped"):
            for name in getattr(load, key) or []:
                if name not in boundaries:
                    raise CaseError(f"[loading] {key} = {getattr(load, key)}: no boundary {name!r} in this mesh; "
                                    f"allowed: {allowed}")
        return
    surfaces = tuple(default_surfaces if load.surfaces is None else load.surfaces)
    if not surfaces:
        raise CaseError(f"[loading] surfaces: this mesh has no default lithiation surface; allowed: {allowed}")
    for name in surfaces:
        if name not in boundaries:
            raise CaseError(f"[loading] surfaces = {list(surfaces)}: no boundary {name!r} in this mesh; "
                            f"allowed: {allowed}")


def k_field(x: np.ndarray, K: float, E: float, nu: float, x_tip: float) -> np.ndarray:
    """Plane-strain mode-I crack-tip displacement (Williams' leading term) about (x_tip, 0),
    the crack along y = 0, x < x_tip; x has shape (3, n), the result (2, n)."""
    mu, kappa = E / (2 * (1 + nu)), 3 - 4 * nu
    dx, dy = x[0] - x_tip, x[1]
    r, theta = np.hypot(dx, dy), np.arctan2(dy, dx)
    a = K / (2 * mu) * np.sqrt(r / (2 * np.pi)) * (kappa - np.cos(theta))
    return np.vstack([a * np.cos(theta / 2), a * np.sin(theta / 2)])


class BoundaryData:
    """The Dirichlet data of a mechanical loading mode: the `loaded` boundaries follow g(t), the
    `clamped` ones are fixed. `advance(dt)` sets the data at the accepted time plus dt (a rejected
    step simply advances again); `BoundaryLoading.accept` commits it."""

    def __init__(self, domain: Domain, case: Case) -> None:
        self.load = case.loading
        self.mode = self.load.mode
        self.dim = domain.dim
        V = domain.Vu
        fdim = domain.dim - 1
        act = case.active
        c0 = self.load.soc_start  # the concentration stays here: moduli of that state
        self.E = act.E + (act.E_lithiated - act.E) * c0
        self.nu = act.nu + (act.nu_lithiated - act.nu) * c0
        self.g = fem.Function(V, name="boundary_displacement")
        loaded = np.concatenate([domain.facets(name) for name in self.load.loaded])
        loaded_dofs = fem.locate_dofs_topological(V, fdim, np.unique(loaded))
        self.bcs = [fem.dirichletbc(self.g, loaded_dofs)]
        for name in self.load.clamped or []:
            dofs = fem.locate_dofs_topological(V, fdim, domain.facets(name))
            zero = np.zeros(domain.dim, dtype=default_scalar_type)
            self.bcs.append(fem.dirichletbc(zero, dofs, V))
        bs = V.dofmap.index_map_bs
        n_owned = V.dofmap.index_map.size_local * bs
        unrolled = (loaded_dofs[:, None] * bs + np.arange(bs)).ravel()
        self.owned = unrolled[unrolled < n_owned]  # loaded dofs this rank owns (each counted once)
        self.time, self.pending = 0.0, 0.0
        self.set(0.0)

    def load_parameter(self, t: float) -> float:
        """Displacement magnitude (displacement mode) or K-field centre x (surfing) at time t."""
        if self.mode == "displacement":
            return t * float(np.linalg.norm(self.load.displacement))
        return self.load.surfing_start + self.load.surfing_speed * t

    def set(self, t: float) -> None:
        """The data at time t."""
        if self.mode == "displacement":
            u = np.asarray(self.load.displacement[:self.dim]) * t
            self.g.interpolate(lambda x: np.tile(u[:, None], (1, x.shape[1])))
        else:
            K, x_tip = self.load.stress_intensity, self.load_parameter(t)
            self.g.interpolate(lambda x: k_field(x, K, self.E, self.nu, x_tip))
        self.g.x.scatter_forward()

    def advance(self, dt: float) -> None:
        """Boundary data at the last accepted time plus dt."""
        self.pending = self.time + dt
        self.set(self.pending)


class BoundaryLoading:
    """A mechanical loading mode: its data (`BoundaryData`) and the boundary measures it yields,
    from `internal_work` (the equilibrium residual without Dirichlet rows) and, for surfing, the
    damage field. It keeps no reference to the model: a cycle would leave the model's parallel
    PETSc objects to the cyclic garbage collector, which runs at different times on different
    ranks, and their collective destruction would deadlock."""

    def __init__(self, data: BoundaryData, internal_work: ufl.Form, damage: fem.Function | None,
                 threshold: float) -> None:
        self.data = data
        V = data.g.function_space
        self.comm = V.mesh.comm
        self._bs = V.dofmap.index_map_bs
        self._d = damage
        self._threshold = threshold
        if damage is not None:
            n = damage.function_space.dofmap.index_map.size_local
            self._x_damage = damage.function_space.tabulate_dof_coordinates()[:n, 0]
        direction = [0.0, 1.0, 0.0] if data.load.displacement is None else data.load.displacement
        self._direction = np.asarray(direction[:data.dim])
        norm = np.linalg.norm(self._direction)
        self._direction = self._direction / norm if norm > 0 else self._direction
        self._residual = fem.form(internal_work)
        self.work = 0.0
        self._f_old: np.ndarray | None = None
        self._g_old = np.zeros(data.owned.size)

    @property
    def bcs(self) -> list[fem.DirichletBC]:
        return self.data.bcs

    def advance(self, dt: float) -> None:
        self.data.advance(dt)

    def accept(self) -> None:
        """Commit the step (u is in equilibrium with the current data) and add its work."""
        owned = self.data.owned
        vec = assemble_vector(self._residual)
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)  # owned entries complete
        f = vec.getArray(readonly=True)[owned].copy()
        vec.destroy()
        g = self.data.g.x.array[owned]
        if self._f_old is not None:
            self.work += self.comm.allreduce(float(0.5 * (self._f_old + f) @ (g - self._g_old)), op=MPI.SUM)
        self._f_old, self._g_old = f, g.copy()
        self.data.time = self.data.pending

    def restore(self, t: float, work: float) -> None:
        """Continue from a checkpoint: the data at time t, the forces of the restored (equilibrium)
        state as the start of the next work increment, and the work done so far."""
        self._f_old = None
        self.data.pending = t
        self.data.set(t)
        self.accept()
        self.work = work

    # -- measures -----------------------------------------------------------------------------
    def reaction_force(self) -> float:
        """Force of the loaded boundaries along the loading direction (per unit depth in 2D)."""
        if self._f_old is None:
            return 0.0
        local = float(self._f_old @ self._direction[self.data.owned % self._bs])
        return self.comm.allreduce(local, op=MPI.SUM)

    def crack_tip_x(self) -> float:
        """Largest x where the damage reaches the case's threshold (nan without such a point)."""
        x = self._x_damage
        cracked = self._d.x.array[:x.size] >= self._threshold
        tip = self.comm.allreduce(float(x[cracked].max(initial=-np.inf)), op=MPI.MAX)
        return tip if np.isfinite(tip) else float("nan")

    def measures(self) -> dict[str, float]:
        """History columns of the committed state."""
        row = {"load": self.data.load_parameter(self.data.time), "external_work": self.work}
        if self.data.mode == "displacement":
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
