"""Solving one nonlinear problem: counted, timed, retried and, for mechanics, rescued.

`NonlinearSolver.solve` runs the PETSc problem and raises `SolverFailure` (the time stepper then
cuts the step) only after the cheap remedies: a solve that failed with a kept preconditioner is
repeated with a fresh one (`PreconditionerReuse`), one whose backtracking line search stalled is
repeated with the l2 line search, and a mechanics solve that still fails is handed to proximal
continuation (`Proximal`). A converged solve whose state is unusable (a displacement at infinity)
counts as failed (`guard`). Why each remedy exists, with the runs that showed it:
docs/notes/solver-design.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from dolfinx.fem.petsc import NonlinearProblem, assemble_matrix
from petsc4py import PETSc

from sifrac.solver import log
from sifrac.solver.solvers import residual, residual_at_zero, residual_norm, unknowns
from sifrac.solver.stats import SolverStats

_log = log.get("nonlinear")

#: Proximal continuation (`NonlinearSolver.proximal_solve`): the first shift, the one below which
#: it is dropped and the one above which the continuation gives up (where a shift far stiffer than
#: the material still fails, the trouble is not the tangent), all relative to the stiffness-to-mass
#: ratio of the problem; its growth after a failed step and its decrease after one that lowered the
#: residual; the most proximal steps per solve.
PROXIMAL_START = 1e-3
PROXIMAL_END = 1e-6
PROXIMAL_LARGEST = 1e3
PROXIMAL_GROWTH = 10.0
PROXIMAL_DECREASE = 0.1
PROXIMAL_MAX_STEPS = 100


class SolverFailure(RuntimeError):
    """A nonlinear or linear solve did not converge; the time stepper cuts the step."""


class PreconditionerReuse:
    """Keep an iterative solver's preconditioner until it goes stale.

    The operators of consecutive Newton steps, staggered iterations and time steps differ little,
    while an AMG set-up or an LU factorisation costs several Krylov solves. The preconditioner is
    built once (SNES lag -2) and rebuilt only when a linear solve needs more than `growth` times
    (plus `slack`) the Krylov count right after the last build, judged before every Newton step
    (SNESSetUpdate) and after every solve. petsc4py has no SNESSetLagPreconditioner, hence the
    option plus setFromOptions, which re-reads the solver's prefixed options.
    """

    def __init__(self, problem: NonlinearProblem, growth: float = 1.5, slack: int = 5) -> None:
        self.snes, self.growth, self.slack = problem.solver, growth, slack
        self.key = f"{self.snes.getOptionsPrefix()}snes_lag_preconditioner"
        self.base: int | None = None
        self.builds = 0
        self.rebuild()
        self.snes.setUpdate(lambda _snes, step: self._judge() if step > 0 else None)

    def rebuild(self) -> None:
        """Build the preconditioner at the next linear solve, then keep it (and nothing else:
        the KSP's tolerances, which the caller may have set per solve, survive setFromOptions)."""
        opts = PETSc.Options()
        opts.setValue(self.key, -2)
        tolerances = self.snes.getKSP().getTolerances()
        self.snes.setFromOptions()
        self.snes.getKSP().setTolerances(*tolerances)
        opts.delValue(self.key)
        self.base = None

    @property
    def fresh(self) -> bool:
        """Whether the next linear solve builds its preconditioner (none to blame for a failure)."""
        return self.base is None

    def _judge(self) -> None:
        """After a linear solve: record the Krylov count of a fresh build, or ask for a rebuild."""
        its = self.snes.getKSP().getIterationNumber()
        if self.base is None:
            self.base, self.builds = its, self.builds + 1
        elif its > self.growth * self.base + self.slack:
            self.rebuild()

    def update(self, ok: bool) -> None:
        """After a nonlinear solve: judge its last linear solve; a failure always rebuilds."""
        if self.snes.getIterationNumber() > 0:  # else no linear solve ran (the KSP count is old)
            self._judge()
        if not ok:
            self.rebuild()


class Proximal:
    """The proximal term s/2 |u - u_k|^2 (mass norm) of a displacement problem, off (s = 0) except
    during proximal continuation. The problem adds `term(u, v)` to its residual."""

    def __init__(self, V: fem.FunctionSpace, dx: ufl.Measure) -> None:
        self.shift = fem.Constant(V.mesh, default_scalar_type(0.0))
        self.centre = fem.Function(V)
        self._dx = dx
        self._mass = ufl.inner(ufl.TrialFunction(V), ufl.TestFunction(V)) * dx
        self._mass_diagonal: float | None = None

    def term(self, u: fem.Function, v) -> ufl.Form:
        return self.shift * ufl.inner(u - self.centre, v) * self._dx

    def mass_diagonal(self) -> float:
        """The summed diagonal of the mass matrix (assembled once)."""
        if self._mass_diagonal is None:
            mass = assemble_matrix(fem.form(self._mass))
            mass.assemble()
            self._mass_diagonal = mass.getDiagonal().norm(PETSc.NormType.NORM_1)
            mass.destroy()
        return self._mass_diagonal


class NonlinearSolver:
    """A PETSc nonlinear problem with its statistics role and its remedies.

    `keep_preconditioner`: keep an iterative preconditioner across solves (`PreconditionerReuse`;
    nothing to keep for a direct solve). `guard()` returns why a converged state is unusable, or
    None. `proximal`: the problem's proximal term, for continuation when Newton fails.
    """

    def __init__(self, problem: NonlinearProblem, role: str, stats: SolverStats, keep_preconditioner: bool = False,
                 guard: Callable[[], str | None] | None = None, proximal: Proximal | None = None) -> None:
        self.problem, self.role, self.stats = problem, role, stats
        self.guard, self.proximal = guard, proximal
        self.reuse = PreconditionerReuse(problem) \
            if keep_preconditioner and problem.solver.getKSP().getType() != "preonly" else None
        self.rejected: str | None = None  # why the last converged solve was rejected (see attempt)
        self._count_jacobians()

    @property
    def snes(self) -> PETSc.SNES:
        return self.problem.solver

    def set_bounds(self, lower: fem.Function, upper: float) -> None:
        """Bound the unknown, lower <= u <= upper, for a variational-inequality SNES: `lower` is
        read at every solve (its values may move between solves)."""
        self._upper = self.problem.u.x.petsc_vec.duplicate()
        self._upper.set(upper)
        self.snes.setVariableBounds(lower.x.petsc_vec, self._upper)

    def _count_jacobians(self) -> None:
        """Count the problem's Jacobian assemblies in the solver statistics (assembly is a large
        part of a staggered iteration: the benchmarks report it next to the solves)."""
        J, P, (assemble, args, kwargs) = self.snes.getJacobian()
        stats, role = self.stats, self.role  # not self: PETSc holds the callback where Python's gc
        # cannot see it, so a closure over the solver would keep it (and its communicators) alive

        def counted(*a, **k):
            stats.assembled_jacobian(role)
            return assemble(*a, **k)

        self.snes.setJacobian(counted, J, P, args=args, kargs=kwargs)

    def solve(self) -> int:
        """Solve, count and time; a non-converged solve (SNES or its last KSP) raises
        SolverFailure after the remedies (module docstring). Returns the Newton iterations."""
        fields = unknowns(self.problem)
        start = [f.x.array.copy() for f in fields]
        reuse = self.reuse
        for retry in range(2):
            builds = reuse.builds if reuse is not None else 0
            ok, reason, ksp_reason = self.attempt()
            if reuse is None:
                break
            stale = not reuse.fresh  # the last linear solve ran with a kept preconditioner
            reuse.update(ok)
            self.stats.built_preconditioner(self.role, reuse.builds - builds)
            if ok or not stale or retry:
                break
            _log.debug("%s solve failed with a kept preconditioner (SNES reason %d, KSP reason %d): "
                       "retrying with a fresh one", self.role, reason, ksp_reason)
            _restore(fields, start)  # retry with the preconditioner rebuilt by update()
        if not ok and reason == PETSc.SNES.ConvergedReason.DIVERGED_LINE_SEARCH:
            _restore(fields, start)
            ok, reason, ksp_reason = self.retry_line_search()
        if not ok and self.proximal is not None and self.snes.getType() == "newtonls":
            _restore(fields, start)
            ok, reason, ksp_reason = self.proximal_solve()
        if not ok:
            why = self.rejected or f"SNES reason {reason}, KSP reason {ksp_reason}"
            raise SolverFailure(f"{self.role} solve did not converge ({why}{self._where_residual()})")
        return self.snes.getIterationNumber()

    def attempt(self) -> tuple[bool, int, int]:
        """One timed solve from the current iterate, counted in the statistics; (converged, SNES
        reason, KSP reason). A converged solve that the guard rejects counts as failed."""
        t0 = time.perf_counter()
        self.problem.solve()
        snes = self.snes
        reason, ksp_reason = snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        ok = reason > 0 and ksp_reason >= 0
        self.rejected = None
        if ok and self.guard is not None:
            self.rejected = self.guard()
            if self.rejected is not None:
                ok = False
                _log.debug("%s solve: %s; rejected", self.role, self.rejected)
        self.stats.add(self.role, snes.getIterationNumber(), snes.getLinearSolveIterations(),
                       time.perf_counter() - t0, ok)
        return ok, reason, ksp_reason

    def retry_line_search(self) -> tuple[bool, int, int]:
        """Retry a solve whose backtracking (bt) line search stalled, once, from its start with
        the secant l2 line search; then restore bt. The split energies and the plastic return are
        only C1, and near their kinks Newton's direction can be poor for bt's cubic model. Any
        other failure returns unchanged; the caller then cuts the step."""
        snes = self.snes
        search = snes.getLineSearch()
        if snes.getType() != "newtonls" or search.getType() != "bt":  # the damage VI keeps its own
            return False, snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        _log.debug("%s solve: the bt line search stalled; retrying with l2", self.role)
        search.setType("l2")
        try:
            return self.attempt()
        finally:
            search.setType("bt")

    def proximal_solve(self) -> tuple[bool, int, int]:
        """Reach the equilibrium that Newton could not by proximal-point steps, each
        u_k+1 = argmin W(u) + s/2 |u - u_k|^2 (the mass norm), a convex problem once s exceeds
        the tangent's most negative eigenvalue (a softening broken band in finite strain).

        s starts at PROXIMAL_START times the stiffness-to-mass ratio, grows after a failed step
        (past PROXIMAL_LARGEST it gives up), is kept while the residual grows and shrinks once it
        falls; below PROXIMAL_END of that ratio it is dropped and the step is plain Newton.
        Converged when the residual without the proximal term meets the solve's tolerance (rtol
        relative to the residual at the start, or atol), or when that plain Newton step converges:
        the result is an equilibrium, not a damped state.
        """
        snes, u, prox = self.snes, self.problem.u, self.proximal
        rtol, atol, _, _ = snes.getTolerances()
        norm = residual_norm(self.problem)
        target = max(atol, rtol * norm)
        reason, ksp_reason = snes.getConvergedReason(), snes.getKSP().getConvergedReason()
        if not (np.isfinite(norm) and self.problem.A.assembled):  # a NaN state, or no Newton step ever taken
            return False, reason, ksp_reason  # (a start that converged at once yet ran away): nothing to continue
        scale = self._stiffness_to_mass()
        shift = PROXIMAL_START * scale
        if not (np.isfinite(scale) and scale > 0):
            return False, reason, ksp_reason
        _log.debug("%s solve: proximal continuation from |F| = %.3e, shift %.3e", self.role, norm, shift)
        centre = prox.centre
        for steps in range(1, PROXIMAL_MAX_STEPS + 1):
            centre.x.array[:] = u.x.array
            prox.shift.value = shift
            try:
                ok, reason, ksp_reason = self.attempt()
            finally:
                prox.shift.value = 0.0
            if not ok:
                u.x.array[:] = centre.x.array
                shift = max(shift, PROXIMAL_END * scale) * PROXIMAL_GROWTH
                if shift > PROXIMAL_LARGEST * scale * (1 + 1e-6):  # margin: round-off of repeated growth
                    break
                continue
            last, norm = norm, residual_norm(self.problem)
            _log.debug("%s solve: proximal step, shift %.3e, |F| = %.3e", self.role, shift, norm)
            if norm <= target or shift == 0.0:
                self.stats.rescued(self.role)
                _log.info("%s solve: Newton failed; proximal continuation reached the equilibrium in %d steps",
                          self.role, steps)
                return True, reason, ksp_reason
            if norm < last:
                shift *= PROXIMAL_DECREASE
                shift = shift if shift >= PROXIMAL_END * scale else 0.0
        return False, reason, ksp_reason

    def _stiffness_to_mass(self) -> float:
        """The ratio of the summed diagonals of the last assembled Jacobian and of the mass
        matrix: the shift at which the proximal term is as stiff as the material."""
        return self.problem.A.getDiagonal().norm(PETSc.NormType.NORM_1) / self.proximal.mass_diagonal()

    def set_linear_atol(self, rtol: float) -> float:
        """Set and return the absolute tolerance of a linear problem's Krylov solves: rtol times
        |F(0)|, the residual of the full current load, so that a solve warm-started from the last
        solution meets the accuracy of a from-zero solve of the whole load instead of over-solving
        a small correction."""
        res = residual_at_zero(self.problem)
        atol = rtol * res.norm()
        res.destroy()
        self.snes.getKSP().setTolerances(atol=atol)
        return atol

    def _where_residual(self) -> str:
        """'; largest residual R at (x, y) nm' for a failed single-field solve: the node where its
        last iterate is furthest from balance (a flaw tip, an interface, a corner), so that a cut
        step says where the trouble is; '' for a coupled problem, a bound-constrained one (the
        damage VI, whose residual need not vanish at its bounds) or a state that is not finite."""
        problem = self.problem
        if len(unknowns(problem)) != 1 or self.snes.getType().startswith("vi"):
            return ""
        res = residual(problem)
        space = problem.u.function_space
        dim, comm = space.mesh.geometry.dim, space.mesh.comm
        bs = space.dofmap.index_map_bs
        n = space.dofmap.index_map.size_local
        nodal = np.linalg.norm(res.array_r[:n * bs].reshape(n, bs), axis=1)
        res.destroy()
        i = int(np.argmax(nodal)) if n else 0
        mine = (float(nodal[i]), tuple(space.tabulate_dof_coordinates()[i, :dim])) if n else (-1.0, ())
        value, where = max(comm.allgather(mine), key=lambda m: m[0])
        if not np.isfinite(value) or value < 0:
            return ""
        return f"; largest residual {value:.3g} at ({', '.join(f'{x:.4g}' for x in where)}) nm"


def _restore(fields: list[fem.Function], values: list[np.ndarray]) -> None:
    """Put back the iterate a failed solve started from (owned and ghost entries alike)."""
    for f, v in zip(fields, values):
        f.x.array[:] = v
