"""Phase-field damage: the field d, the bound-constrained damage problem, crack measures and the
initial crack geometry.

The damage step minimises the energy in d at fixed u (and fixed plastic strain), d_prev <= d <= 1
(irreversibility), as a PETSc variational inequality; or, with `[fracture] irreversibility =
"history"`, 0 <= d <= 1 with the driving energy replaced by its largest value over the accepted
steps (Miehe, Hofacker & Welschinger, CMAME 199 (2010) 2765; the scheme of Zhang, Krischok &
Linder, CMAME 312 (2016) 51). The driving energy is evaluated once per
damage solve at the quadrature points of the mechanics forms, so the VI's Newton iterations
assemble only g(d) H + crack density, whose Hessian in d is constant during a solve (assembled
once per solve; docs/notes/solver-design.md, "Damage solve").
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem

from sifrac.meshes.common import top_mesh_size
from sifrac.solver import elasticity, phasefield
from sifrac.solver.case import Case, Fracture, Geometry
from sifrac.solver.concentration import Concentration
from sifrac.solver.domain import Domain
from sifrac.solver.elasticity import Material
from sifrac.solver.kinematics import volume_ratio
from sifrac.solver.nonlinear import NonlinearSolver
from sifrac.solver.solvers import linear_options, nonlinear_problem
from sifrac.solver.stats import SolverStats


#: Newton iterations of one damage (VI) solve; its Jacobian is assembled once per solve.
DAMAGE_MAX_IT = 50


class PhaseField:
    """The damage d (P1), its value at the last accepted step (the VI's lower bound), the iterate
    of the staggered loop, and the degradation g(d) that the mechanics reads."""

    def __init__(self, domain: Domain, residual_stiffness: float) -> None:
        self.d = fem.Function(domain.Vc, name="damage")
        self.d_prev, self.d_iter = fem.Function(domain.Vc), fem.Function(domain.Vc)
        self.g = phasefield.degradation(self.d, residual_stiffness)


def initial_crack_nodes(x: np.ndarray, frac: Fracture, geometry: Geometry, center, reference_length: float) -> np.ndarray:
    """Which points x (n, 3) lie in the case's initial crack: within 0.6 surface element sizes of
    its segment (2D), disc (3D), or of the surface flaw: the part of the plane x = centre within
    `surface_flaw` of the top point of the outer surface (a segment in 2D, a half-penny disc in 3D)."""
    seg, disc, flaw = frac.initial_crack, frac.initial_disc, frac.surface_flaw
    width = 0.6 * (top_mesh_size(geometry) if flaw > 0 else geometry.mesh_size_surface)
    if seg is not None:
        a, b = np.asarray(seg[0]), np.asarray(seg[1])
        t = np.clip((x - a) @ (b - a) / max((b - a) @ (b - a), 1e-300), 0.0, 1.0)
        return np.linalg.norm(x - (a + t[:, None] * (b - a)), axis=1) <= width
    if disc is not None:
        center, normal = np.asarray(disc[0], dtype=float), np.asarray(disc[1], dtype=float)
        normal /= np.linalg.norm(normal)
        off = (x - center) @ normal
        radial = np.linalg.norm(x - center - off[:, None] * normal, axis=1)
        return (np.abs(off) <= width) & (radial <= frac.initial_disc_radius)
    if flaw > 0:
        center = np.asarray(center, dtype=float)
        top = center + [0.0, reference_length / 2, 0.0]
        return (np.abs(x[:, 0] - center[0]) <= width) & (np.linalg.norm(x - top, axis=1) <= flaw)
    return np.zeros(len(x), dtype=bool)


class Damage:
    """The damage problem of an AT1/AT2 phase field in the regions `[fracture] regions`, driven by
    the crack driving energy of the displacement u in the (mechanics') `material`: the split's
    psi_plus, or the Rankine energy."""

    def __init__(self, domain: Domain, case: Case, phase: PhaseField, conc: Concentration, u: fem.Function,
                 material: Material, stats: SolverStats) -> None:
        frac, act, sol = case.fracture, case.active, case.solver
        self.domain, self.phase = domain, phase
        self._frac, self._geometry = frac, case.geometry
        regions = [r for r in frac.regions if r in domain.regions]
        gc0, gc1, ell = {"si": act.Gc}, {"si": act.Gc_lithiated}, {"si": frac.length_scale}
        for r in regions:
            if r != "si":  # that the region's material has a Gc is checked with the mesh (model.py)
                gc0[r] = gc1[r] = case.section(r).Gc
                ell[r] = frac.length_scale if frac.length_scale_electrolyte is None else frac.length_scale_electrolyte
        Gc0, Gc1, ell = domain.region_field(gc0), domain.region_field(gc1), domain.region_field(ell)
        Gc = Gc0 + (Gc1 - Gc0) * conc.c
        if material.kin.finite:
            # Gc and ell belong to the lithiated material: pulled back to the reference
            # configuration through the chemical stretch J_c^(1/3), a crack face's area per
            # reference area is J_c^(2/3) and the regularisation width shrinks by J_c^(-1/3), so the
            # strength sqrt(3 Gc E / (8 ell)) of the lithiated material is kept (the elastic
            # energy per reference volume carries J_c too). crack_length is the reference length.
            jc = volume_ratio(conc.change, material.beta, material.kin)
            Gc, ell = Gc * jc ** (2 / 3), ell * jc ** (-1 / 3)
        model, d = frac.model, phase.d
        frac_ids = tuple(domain.regions[r] for r in regions)
        surface = phasefield.surface_energy_density(d, Gc, ell, model) * domain.dx(frac_ids)
        self._dissipation_form = fem.form(surface)
        # The crack measure is a length in the section even when axisymmetric (the ring crack's
        # depth), so that a criterion such as crack_length_min means the same as in plane strain.
        self._crack_measure_form = fem.form(phasefield.surface_energy_density(d, 1.0, ell, model)
                                            * domain.dx_section(frac_ids))
        self._crack_factor = phasefield.effective_gc_factor(model, case.geometry.mesh_size_surface,
                                                            frac.length_scale)
        q = ufl.TestFunction(domain.Vc)
        driving = elasticity.crack_driving_energy(u, conc.change, material)
        self.driving = fem.Function(domain.quadrature_space(()), name="crack_driving_energy")
        self._driving_expr = fem.Expression(driving, self.driving.function_space.element.interpolation_points)
        # History: H (the largest driving energy of the accepted steps) and the current energy.
        self.history = fem.Function(self.driving.function_space, name="crack_driving_history") \
            if frac.irreversibility == "history" else None
        self._current = fem.Function(self.driving.function_space) if self.history is not None else None
        total = phase.g * self.driving * domain.dx_mech + surface
        self._energy_form = fem.form(total)
        F = ufl.derivative(total, d, q)
        self.outside = domain.dofs_outside(regions)
        bcs = [fem.dirichletbc(default_scalar_type(0.0), self.outside, domain.Vc)]
        size = domain.Vc.dofmap.index_map.size_global
        opts = {"snes_type": "vinewtonrsls", "snes_rtol": 1e-9, "snes_atol": 1e-9 * domain.atol_scale,
                "snes_stol": 0.0, "snes_max_it": DAMAGE_MAX_IT, "snes_lag_jacobian": DAMAGE_MAX_IT + 1,
                **linear_options(sol.damage, size, True, sol.linear_rtol)}
        problem = nonlinear_problem(F, d, bcs, "sifrac_damage_", opts, sol)
        self.solver = NonlinearSolver(problem, "damage", stats)
        self.solver.set_bounds(phase.d_prev if self.history is None else fem.Function(domain.Vc), 1.0)

    def initialise(self) -> None:
        """d = 1 on the nodes of the initial crack (`initial_crack_nodes`) in the fracture regions;
        the irreversibility bound starts there."""
        bundle = self.domain.bundle
        band = initial_crack_nodes(self.domain.Vc.tabulate_dof_coordinates(), self._frac, self._geometry,
                                   bundle.center, bundle.reference_length)
        band[self.outside] = False
        self.phase.d.x.array[band] = 1.0
        self.phase.d_prev.x.array[:] = self.phase.d.x.array

    def update_driving_energy(self) -> None:
        """Evaluate the driving energy at the current u (before a damage solve); with a history,
        the larger of it and H."""
        if self.history is None:
            self.driving.interpolate(self._driving_expr)
            return
        self._current.interpolate(self._driving_expr)
        np.maximum(self.history.x.array, self._current.x.array, out=self.driving.x.array)

    def commit(self) -> None:
        """Take the driving energy of the state just accepted into the history H (the initial
        state and every accepted step)."""
        if self.history is not None:
            self._current.interpolate(self._driving_expr)
            np.maximum(self.history.x.array, self._current.x.array, out=self.history.x.array)

    def state(self) -> dict[str, fem.Function]:
        """The damage problem's own state besides d (checkpoints): the history H, if any."""
        return {"crack_driving_history": self.history} if self.history is not None else {}

    def solve(self) -> int:
        return self.solver.solve()

    def energy(self) -> float:
        """The energy the damage step minimises at the current u (its own driving force, e.g.
        the Rankine one, and the plastic strain frozen at the last mechanics solve)."""
        return self.domain.integral(self._energy_form)

    # -- scalars ------------------------------------------------------------------------------
    def dissipated_energy(self) -> float:
        """Crack surface energy: Gc times the regularised crack length (area in 3D)."""
        return self.domain.integral(self._dissipation_form)

    def crack_length(self) -> float:
        """Regularised crack length (area in 3D) over the discretisation's effective-Gc factor."""
        return self.domain.integral(self._crack_measure_form) / self._crack_factor

    def max_damage(self) -> float:
        return self.domain.max_abs(self.phase.d.x.array)

    def increment(self) -> float:
        """Largest growth of damage in the current step."""
        return self.domain.max_abs(self.phase.d.x.array - self.phase.d_prev.x.array)
