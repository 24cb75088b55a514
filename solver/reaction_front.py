"""The reaction-controlled lithiation front (`[active] front_law = "reaction"`): an Allen-Cahn order
parameter phi, one solve per step, moved at the speed of the rate law (`solver/front.py`).

phi = 0 is pristine Si, 1 the lithiated phase, whose composition is c_L (`front_composition`, per
Li3.75Si): the Li content follows the front, c = c_L h(phi) at the nodes, and no Li moves into
pristine Si, so the Li balance needs no equation. Each step solves

    tau dphi/dt = l0^2 lap phi - W'(phi) + tilt h'(phi),   1 / tau = v_n / (SPEED_FACTOR tilt l0 + l0^2 K)

by BDF2 with lumped storage, v_n = v_110 r(n) exp(-B p / kT) f(c_L) from the last accepted
mechanics (lagged): p = -tr(sigma) / 3 of the Cauchy stress (compression positive), lumped onto
the nodes; n the lumped projection of grad logit(phi_old), its component across symmetry planes
zeroed; K = div n (+ n_r / r axisymmetric) the curvature that the mobility compensates. The step is
at most 0.1 l0 over the fastest front speed (a global max). The lithiation surfaces nucleate the
front: phi there follows the travelling-wave profile of a planar front that starts FRONT_START
widths outside the surface and moves in at front_speed.

Two stages: 0, the front; 1, the front-free second step of a-Si (c_L < soc_end): once the front
has consumed the core (or stalled), c diffuses from c_L to the loading's surface value in the
lithiated body (`solver/transport.py` with D h(phi)), the front frozen. A c-Si run ends when its
front stalls. Design and measurements: docs/notes/front-model.md.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem, la
from mpi4py import MPI

from sifrac.solver import axisymmetry, diffusion, front
from sifrac.solver.case import Case
from sifrac.solver.domain import Domain
from sifrac.solver.loading import Loading
from sifrac.solver.nonlinear import NonlinearSolver
from sifrac.solver.solvers import linear_options, nonlinear_problem
from sifrac.solver.stats import SolverStats

#: The tilt of the double well (numerical: the physics is in the mobility), Nagumo a = 1/8.
TILT = 4.0
#: Largest front advance per step, in widths l0 (BDF2 keeps the speed within 0.5% there).
ADVANCE = 0.1
#: The nucleating planar front starts this many widths outside the lithiation surfaces.
FRONT_START = 1.0
#: Nodes with phi in this open interval are on the front (the speed and pressure it reports).
ON_FRONT = (0.05, 0.95)
#: The pristine core is consumed when no Si node has phi below this.
CONSUMED = 0.95
#: Material flows plastically only where the lithiated phase fraction h exceeds this: the
#: pristine core stays elastic (c-Si does not flow), the front zone flows.
PHASE_SWITCH = 1e-2


def lumped_projection(form: fem.Form, inverse_mass: np.ndarray, target: fem.Function) -> None:
    """target = the assembled `form` times the inverse lumped mass at the owned nodes (nodal
    averages), then shared with the ghosts."""
    vec = fem.assemble_vector(form)
    vec.scatter_reverse(la.InsertMode.add)
    bs = target.function_space.dofmap.index_map_bs
    n = target.function_space.dofmap.index_map.size_local
    target.x.array[:n * bs] = (vec.array[:n * bs].reshape(n, bs) * inverse_mass[:, None]).ravel()
    target.x.scatter_forward()


def inverse_lumped_mass(form: fem.Form, space: fem.FunctionSpace) -> np.ndarray:
    """1 / the lumped mass of the owned nodes of `space` (a scalar form, or for a vector space one
    whose first component carries the mass): 0 where a node touches no cell of the measure."""
    vec = fem.assemble_vector(form)
    vec.scatter_reverse(la.InsertMode.add)
    bs, n = space.dofmap.index_map_bs, space.dofmap.index_map.size_local
    mass = vec.array[:n * bs].reshape(n, bs)[:, 0]
    out = np.zeros_like(mass)
    out[mass > 0] = 1.0 / mass[mass > 0]
    return out


class FrontField:
    """phi with its history, and what the mechanics and transport read from it: the lithiated
    phase fraction h(phi) and the composition x of the lithiated phase (c_L in stage 0, c in the
    second step). Made before the mechanics, whose moduli depend on them; the stage and the time
    at which stage 1 started are DG0 fields so that checkpoints keep them."""

    def __init__(self, domain: Domain, case: Case) -> None:
        self.c_lithiated = case.active.front_composition
        self.phi = fem.Function(domain.Vc, name="front_phase")
        self.phi_old, self.phi_older = fem.Function(domain.Vc), fem.Function(domain.Vc)
        self.stage_field = fem.Function(domain.DG0, name="front_stage")
        self.stage_start = fem.Function(domain.DG0, name="front_stage_start")

    @property
    def h(self) -> ufl.core.expr.Expr:
        """The lithiated phase fraction h(phi) at any point (UFL)."""
        return front.interpolation(self.phi)

    def composition(self, c) -> ufl.core.expr.Expr:
        """x of the lithiated phase (per Li3.75Si): c_L, or c itself in the second step."""
        s = self.stage_field
        return (1 - s) * self.c_lithiated + s * ufl.min_value(ufl.max_value(c, 0.0), 1.0)

    @property
    def stage(self) -> int:
        return int(round(float(self.stage_field.x.array[0]))) if self.stage_field.x.array.size else 0

    def state(self) -> dict[str, fem.Function]:
        return {"phi": self.phi, "phi_old": self.phi_old, "phi_older": self.phi_older,
                "front_stage": self.stage_field, "front_stage_start": self.stage_start}


class ReactionFront:
    """The Allen-Cahn front problem: its law, the lagged pressure and normal, the nucleating
    surface value, one Newton solve per step, the step limit and the stall rule."""

    def __init__(self, domain: Domain, case: Case, field: FrontField, c: fem.Function, sigma, loading: Loading,
                 stats: SolverStats) -> None:
        act, sol = case.active, case.solver
        self.domain, self.field, self.c = domain, field, c
        self.law = front.FrontLaw(act.front_speed, act.front_barrier_100, act.front_barrier_110,
                                  act.front_barrier_111, act.front_bond_fraction, front.SI_ATOMIC_VOLUME,
                                  act.front_temperature, act.front_threshold, act.front_steepness,
                                  act.front_orientation)
        self.axes = front.axes_from_keys(act.crystal_axis, act.crystal_x)
        self.l0, self.stall = act.front_width, act.front_stall
        self.soc_end = case.loading.soc_end
        mesh, V, dim = domain.mesh, domain.Vc, domain.dim
        si = domain.regions["si"]
        vertex = {"quadrature_rule": "vertex", "quadrature_degree": 1}
        section_lumped = domain.dx_section(si, metadata=vertex)
        # The lagged normal: lumped projection of grad s, s the nodal logit of phi_old.
        self.distance = fem.Function(V)
        W = fem.functionspace(mesh, ("Lagrange", 1, (dim,)))
        self.gradient = fem.Function(W, name="front_normal")
        w = ufl.TestFunction(W)
        g_form, m_form = front.gradient_projection(self.distance, w, section_lumped)
        self._gradient_form = fem.form(g_form)
        self._gradient_inverse = inverse_lumped_mass(fem.form(m_form), W)
        self._across_symmetry = self._symmetry_dofs(W)
        # The lagged pressure at the nodes: lumped projection of -tr(sigma) / 3 over Si (the
        # section measure: nodes on an axisymmetric axis keep their weight).
        self.pressure = fem.Function(V, name="front_pressure")
        q = ufl.TestFunction(V)
        dx_p = domain.dx_section(si, metadata=domain.dx_mech.metadata())
        self._pressure_form = fem.form(-ufl.tr(sigma) / 3 * q * dx_p)
        self._pressure_inverse = inverse_lumped_mass(fem.form(q * dx_p), V)
        # The Allen-Cahn residual.
        self.dt = fem.Constant(mesh, default_scalar_type(1.0))
        self.bdf = [fem.Constant(mesh, default_scalar_type(x)) for x in (1.0, -1.0, 0.0)]
        n = front.front_normal(self.gradient)
        speed = front.front_speed(self.law, self.pressure, n, self.field.c_lithiated, self.axes)
        curvature = front.total_curvature(self.gradient, domain.radius)
        weight = axisymmetry.lumped_weight(V) if domain.axisymmetric else None
        F = front.residual(field.phi, (field.phi_old, field.phi_older), self.bdf, q, self.dt, speed, self.l0, TILT,
                           domain.dx_si, section_lumped if weight is not None else domain.dx_si(metadata=vertex),
                           curvature, weight)
        others = [tag for name, tag in domain.regions.items() if name != "si"]
        if others:  # reserve the diagonal of the pinned dofs outside Si (see transport.py)
            zero = fem.Constant(mesh, default_scalar_type(0.0))
            F += sum(zero * field.phi * q * domain.dx(tag) for tag in others)
        # The nucleating surfaces, and phi = 0 outside Si.
        self.surface_value = fem.Constant(mesh, default_scalar_type(self.nucleation(0.0)))
        facets = np.concatenate([domain.facets(name) for name in loading.surfaces])
        self.surface_dofs = fem.locate_dofs_topological(V, dim - 1, facets)
        self.outside = domain.dofs_outside(["si"])
        bcs = [fem.dirichletbc(self.surface_value, self.surface_dofs, V),
               fem.dirichletbc(default_scalar_type(0.0), self.outside, V)]
        size = V.dofmap.index_map.size_global
        # The mobility scales the residual by 1 / (M dt): a step tolerance as well as a residual
        # one, so that a slow (compressed) front, whose residual floor is large, still converges.
        opts = {"snes_type": "newtonls", "snes_linesearch_type": "basic", "snes_rtol": sol.newton_rtol,
                "snes_atol": sol.newton_atol * domain.atol_scale, "snes_stol": 1e-12,
                "snes_max_it": sol.newton_max_it,
                **linear_options(sol.diffusion, size, True, sol.linear_rtol)}
        problem = nonlinear_problem(F, field.phi, bcs, "sifrac_front_", opts, sol)
        self.solver = NonlinearSolver(problem, "front", stats, keep_preconditioner=True)
        self._si_volume = domain.assemble(1.0 * domain.dx_si)
        self._lithiated_form = fem.form(field.h * domain.dx_si)
        n_owned = V.dofmap.index_map.size_local
        mask = np.ones(n_owned, dtype=bool)
        mask[self.outside[self.outside < n_owned]] = False
        self._si_owned = np.flatnonzero(mask)

    def _symmetry_dofs(self, W: fem.FunctionSpace) -> list[np.ndarray]:
        """Per mesh axis k, the unrolled dofs of the normal's component k on the symmetry plane
        normal to axis k (where it must vanish by symmetry)."""
        domain, bs = self.domain, W.dofmap.index_map_bs
        out = []
        for k, name in enumerate(("symmetry_x", "symmetry_y", "symmetry_z")[:domain.dim]):
            if name not in domain.boundaries:
                continue
            blocks = fem.locate_dofs_topological(W, domain.dim - 1, domain.facets(name))
            out.append(blocks * bs + k)
        return out

    def nucleation(self, t: float) -> float:
        """phi at the lithiation surfaces at time t: the profile of a planar front that starts
        FRONT_START l0 outside them and moves in at front_speed."""
        return float(front.front_profile(self.law.speed_110 * t - FRONT_START * self.l0, self.l0))

    # -- the step -----------------------------------------------------------------------------
    def initialise(self) -> None:
        """Pristine Si, the surfaces at their first nucleation value, c from phi."""
        f = self.field
        f.phi.x.array[:] = 0.0
        f.phi.x.array[self.surface_dofs] = self.nucleation(0.0)
        f.phi_old.x.array[:] = f.phi.x.array
        f.phi_older.x.array[:] = f.phi.x.array
        f.stage_field.x.array[:] = 0.0
        f.stage_start.x.array[:] = 0.0
        self.set_concentration()

    def set_concentration(self) -> None:
        """c = c_L h(phi) at the nodes (zero outside Si, where phi is)."""
        phi = self.field.phi.x.array
        self.c.x.array[:] = self.field.c_lithiated * phi**2 * (3 - 2 * phi)

    def solve(self, dt: float, dt_old: float | None, t_end: float) -> int:
        """One BDF2 step of the front to time t_end; c follows. Returns Newton iterations."""
        for constant, value in zip(self.bdf, diffusion.bdf_coefficients(dt, dt_old)):
            constant.value = value
        self.dt.value = dt
        self.surface_value.value = self.nucleation(t_end)
        its = self.solver.solve()
        self.set_concentration()
        return its

    def accept(self) -> None:
        f = self.field
        f.phi_older.x.array[:] = f.phi_old.x.array
        f.phi_old.x.array[:] = f.phi.x.array

    def reject(self) -> None:
        self.field.phi.x.array[:] = self.field.phi_old.x.array
        self.set_concentration()

    def commit(self) -> None:
        """After an accepted equilibrium: the pressure and the normal the next step reads."""
        lumped_projection(self._pressure_form, self._pressure_inverse, self.pressure)
        phi_old = self.field.phi_old.x.array
        self.distance.x.array[:] = front.logit(phi_old, self.l0)
        g = fem.assemble_vector(self._gradient_form)
        g.scatter_reverse(la.InsertMode.add)
        bs = self.gradient.function_space.dofmap.index_map_bs
        n = self.gradient.function_space.dofmap.index_map.size_local
        values = g.array[:n * bs].reshape(n, bs) * self._gradient_inverse[:, None]
        self.gradient.x.array[:n * bs] = values.ravel()
        for dofs in self._across_symmetry:
            self.gradient.x.array[dofs] = 0.0
        self.gradient.x.scatter_forward()

    # -- what the step control and the outputs read -------------------------------------------
    def _front_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """(speeds, pressures) at the owned Si nodes on the front (phi in ON_FRONT)."""
        idx = self._si_owned
        phi = self.field.phi_old.x.array[idx]
        on = idx[(phi > ON_FRONT[0]) & (phi < ON_FRONT[1])]
        bs = self.gradient.function_space.dofmap.index_map_bs
        g = self.gradient.x.array.reshape(-1, bs)[on]
        normal = g / np.sqrt(np.sum(g * g, axis=1) + front.NORMAL_FLOOR**2)[:, None]
        p = self.pressure.x.array[on]
        return self.law.speeds(p, normal, self.axes, self.field.c_lithiated), p

    def front_state(self) -> dict[str, float]:
        """The fastest front speed (nm/s), the largest pressure on the front (GPa), both 0 while no
        node is on the front, and the smallest phi in Si: global reductions, the same on every
        rank."""
        v, p = self._front_nodes()
        comm = self.domain.comm
        local = np.array([v.max(initial=0.0), p.max(initial=-np.inf),
                          -self.field.phi_old.x.array[self._si_owned].min(initial=np.inf)])
        out = np.empty(3)
        comm.Allreduce(local, out, op=MPI.MAX)
        return {"speed": float(out[0]), "pressure": float(out[1]) if np.isfinite(out[1]) else 0.0,
                "phi_min": -float(out[2])}

    def nucleating(self, t: float) -> bool:
        """Whether the surfaces are still on their way to phi = 1 (the front forms)."""
        return self.nucleation(t) < ON_FRONT[1]

    def time_step_limit(self, t: float) -> float:
        """0.1 l0 over the fastest front speed (front_speed while the surfaces nucleate)."""
        state = self.front_state()
        fastest = max(state["speed"], self.law.speed_110 if self.nucleating(t) else 0.0)
        return ADVANCE * self.l0 / fastest if fastest > 0 else float("inf")

    def status(self, t: float) -> str | None:
        """Why the front has ended at time t ("consumed", "stalled"), or None while it moves."""
        state = self.front_state()
        if state["phi_min"] >= CONSUMED:
            return "consumed"
        if not self.nucleating(t) and state["speed"] < self.stall * self.law.speed_110:
            return "stalled"
        return None

    def measures(self) -> dict[str, float]:
        """History columns: the fastest front speed over front_speed (the speed factor), the
        largest pressure on the front, the lithiated volume fraction, the stage."""
        state = self.front_state()
        return {"front_speed_factor": state["speed"] / self.law.speed_110, "front_pressure": state["pressure"],
                "lithiated_fraction": self.domain.integral(self._lithiated_form) / self._si_volume,
                "front_stage": float(self.field.stage)}

    def second_step(self, loading: Loading) -> Loading:
        """The loading of the second step: the surface value ramps from c_L (ramp_time)."""
        return replace(loading, start=self.field.c_lithiated)

    def state(self) -> dict[str, fem.Function]:
        """The front's share of the checkpointed state (the lagged fields are derived, but the next
        step reads them as they were)."""
        return {**self.field.state(), "front_pressure": self.pressure, "front_normal": self.gradient}
