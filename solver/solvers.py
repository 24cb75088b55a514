"""PETSc solver presets, options and the objects built around a nonlinear problem.

The physics problems (transport, mechanics, damage) write UFL forms and say which preset they
want; this layer turns them into PETSc objects: `NonlinearProblem`s, each with its own options
prefix (`sifrac_diffusion_`, `sifrac_coupled_`, `sifrac_mechanics_`, `sifrac_damage_`, `sifrac_front_`) so that
PETSc options from the case or the command line reach exactly one of them, and the null spaces of
rigid motions. The solve, retry and rescue machinery is `solver/nonlinear.py`.
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem
from dolfinx.fem.petsc import NonlinearProblem
from dolfinx.la.petsc import create_vector
from petsc4py import PETSc

from sifrac.solver.case import Solver

SOLVER_PREFIXES = ("sifrac_diffusion_", "sifrac_mechanics_", "sifrac_coupled_", "sifrac_damage_", "sifrac_front_")

#: Problems with at most this many unknowns use a direct solver when the preset is "auto".
DIRECT_SOLVER_LIMIT = 100_000

def linear_options(preset: str, size: int, symmetric: bool, rtol: float, singular: bool = False) -> dict:
    """PETSc options of a linear solve for a preset ("lu", "gmres_lu", "cg", or "auto"; "cg_gamg" is
    the older name of "cg" for mechanics).

    gmres_lu: GMRES preconditioned by an LU factorisation that `PreconditionerReuse` keeps across
    Newton and staggered iterations; past 10 iterations a new factorisation is cheaper. cg: CG
    (GMRES if not symmetric) with GAMG, converged on the true residual so that a kept
    preconditioner costs iterations but never accuracy, and SOR smoothing, which reads the
    current matrix (docs/notes/solver-design.md, "Linear solver presets").
    """
    if preset == "cg_gamg":
        preset = "cg"
    if preset == "auto":
        preset = "lu" if size <= DIRECT_SOLVER_LIMIT else "cg"
    if preset in ("lu", "gmres_lu"):
        lu = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        if singular:  # null-pivot detection: pure-Neumann mechanics is singular by its rigid modes
            lu.update(mat_mumps_icntl_24=1, mat_mumps_icntl_25=0)
        if preset == "gmres_lu":
            lu.update(ksp_type="gmres", ksp_pc_side="right", ksp_rtol=rtol, ksp_atol=1e-30, ksp_max_it=10,
                      snes_max_linear_solve_fail=1000)
        return lu
    krylov = {"ksp_type": "cg", "ksp_norm_type": "unpreconditioned"} if symmetric else \
        {"ksp_type": "gmres", "ksp_pc_side": "right"}
    return {**krylov, "pc_type": "gamg", "mg_levels_ksp_type": "richardson", "mg_levels_pc_type": "sor",
            "ksp_rtol": rtol, "ksp_atol": 1e-30, "ksp_max_it": 2000}


def newton_options(solver_section: Solver, atol_scale: float, line_search: str = "bt") -> dict:
    """Newton with a line search and the case's tolerances (absolute ones times `atol_scale`)."""
    return {"snes_type": "newtonls", "snes_linesearch_type": line_search, "snes_rtol": solver_section.newton_rtol,
            "snes_atol": solver_section.newton_atol * atol_scale, "snes_max_it": solver_section.newton_max_it}


def case_options(solver_section: Solver, prefix: str) -> dict:
    """The case's PETSc options for one solver: keys starting with its prefix (e.g.
    `sifrac_mechanics_ksp_type`) are for it alone, keys starting with another solver's prefix are
    skipped, and plain keys (`ksp_monitor`) go to every solver."""
    out = {}
    for key, value in solver_section.petsc_options.items():
        if key.startswith(prefix):
            out[key[len(prefix):]] = value
        elif not key.startswith(SOLVER_PREFIXES):
            out[key] = value
    return out


def clear_solver_options() -> None:
    """Remove every `sifrac_*` option left in PETSc's global options database.

    DOLFINx sets a solver's options under its prefix and then fails to delete them (the deletion
    ignores the pushed prefix), so a conditional option such as a lagged Jacobian for constant
    moduli would leak into the next problem of a test session or a sweep. Options are cleared when
    a new model is built, not right after each solver is made: MUMPS reads its ICNTL options at
    the first factorisation; and when a run ends on bad input before its first solve, so that
    PETSc does not list them as unused ("Option left") after the one-line error.
    """
    opts = PETSc.Options()
    for key in list(opts.getAll()):
        if key.startswith("sifrac_"):
            opts.delValue(key)


def nonlinear_problem(F, u, bcs: list, prefix: str, options: dict, solver_section: Solver,
                      **kwargs) -> NonlinearProblem:
    """A DOLFINx NonlinearProblem under `prefix`, with `options` and then the case's own options
    for that prefix (`case_options`), which win."""
    return NonlinearProblem(F, u, bcs=bcs, petsc_options_prefix=prefix,
                            petsc_options={**options, **case_options(solver_section, prefix)}, **kwargs)


def _orthonormalize(vectors: list[PETSc.Vec]) -> list[PETSc.Vec]:
    """Modified Gram-Schmidt with global dot products (PETSc null spaces need orthonormal bases)."""
    for i, v in enumerate(vectors):
        for w in vectors[:i]:
            v.axpy(-v.dot(w), w)
        v.normalize()
    return vectors


def rigid_modes(V: fem.FunctionSpace) -> list[PETSc.Vec]:
    """Translations and infinitesimal rotations of the displacement space, orthonormalised."""
    gdim = V.mesh.geometry.dim
    n_owned = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:n_owned]
    fields = []
    for i in range(gdim):
        t = np.zeros((n_owned, gdim))
        t[:, i] = 1.0
        fields.append(t)
    for i, j in [(0, 1)] if gdim == 2 else [(0, 1), (1, 2), (2, 0)]:
        r = np.zeros((n_owned, gdim))
        r[:, i], r[:, j] = -x[:, j], x[:, i]
        fields.append(r)
    modes = []
    for f in fields:
        vec = create_vector([(V.dofmap.index_map, V.dofmap.index_map_bs)])
        vec.array[: f.size] = f.ravel()
        modes.append(vec)
    return _orthonormalize(modes)


def surviving_modes(modes: list[PETSc.Vec], constrained: np.ndarray, comm) -> list[PETSc.Vec]:
    """The combinations of rigid modes that the Dirichlet constraints leave free.

    A combination sum_k a_k m_k survives iff it vanishes at every constrained dof, i.e. a lies in
    the null space of M = [m_k(constrained dofs)]. With orthonormal modes this is read off the
    eigen-decomposition of the small Gram matrix M^T M, reduced over all ranks; this removes
    exactly the rigid motions left by symmetry planes and rollers, without over-constraining.
    """
    vals = np.array([m.getArray(readonly=True)[constrained] for m in modes])
    gram = comm.allreduce(vals @ vals.T)
    w, q = np.linalg.eigh(gram)
    free = q[:, w < 1e-10 * max(1.0, w.max(initial=0.0))]
    out = []
    for a in free.T:
        v = modes[0].duplicate()
        v.zeroEntries()
        v.maxpy(a, modes)
        out.append(v)
    return _orthonormalize(out)


class RigidModes:
    """The rigid motions of a displacement space and those its supports leave free.

    `near` (all modes) goes to the operator as its near null space (for AMG); `nullspace` holds the
    free ones (None if the supports fix every rigid motion), which the solve projects out.
    """

    def __init__(self, V: fem.FunctionSpace, bcs: list[fem.DirichletBC]) -> None:
        comm = V.mesh.comm
        self.modes = rigid_modes(V)
        n_owned = V.dofmap.index_map.size_local * V.dofmap.index_map_bs
        constrained = np.concatenate([bc.dof_indices()[0] for bc in bcs]) if bcs else np.array([], dtype=np.int32)
        self.free = surviving_modes(self.modes, constrained[constrained < n_owned], comm)
        self.nullspace = PETSc.NullSpace().create(vectors=self.free, comm=comm) if self.free else None
        self._comm = comm

    def attach(self, problem: NonlinearProblem) -> None:
        """Give the problem's operator the near null space and, if any mode is free, the null space."""
        problem.A.setNearNullSpace(PETSc.NullSpace().create(vectors=self.modes, comm=self._comm))
        if self.nullspace is not None:
            problem.A.setNullSpace(self.nullspace)

    def remove(self, u: fem.Function) -> None:
        """Project the free rigid motions out of u (owned entries, then the ghosts)."""
        if self.nullspace is not None:
            self.nullspace.remove(u.x.petsc_vec)
            u.x.scatter_forward()


def unknowns(problem: NonlinearProblem) -> list[fem.Function]:
    """The Functions a nonlinear problem solves for (one, or the blocks of a coupled one)."""
    return list(problem.u) if isinstance(problem.u, (list, tuple)) else [problem.u]


def residual(problem: NonlinearProblem, zero: bool = False) -> PETSc.Vec:
    """The residual of a single-field problem at its current unknown (or at zero, F(0): for linear
    mechanics, minus the whole current load), with the unknown left as it was; the caller
    destroys the vector."""
    saved = problem.u.x.array.copy()
    x, res = problem.x.duplicate(), problem.b.duplicate()
    if zero:
        x.zeroEntries()
    else:
        problem.u.x.petsc_vec.copy(x)
    problem.solver.computeFunction(x, res)  # assigns x to the unknown: restored below
    problem.u.x.array[:] = saved
    x.destroy()
    return res


def residual_at_zero(problem: NonlinearProblem) -> PETSc.Vec:
    """F(0) of a single-field problem (see `residual`); the caller destroys the vector."""
    return residual(problem, zero=True)


def residual_norm(problem: NonlinearProblem) -> float:
    """|F| of a single-field problem at its current unknown."""
    res = residual(problem)
    norm = res.norm()
    res.destroy()
    return norm
