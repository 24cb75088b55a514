"""Proximal continuation (`NonlinearSolver.proximal_solve`): a mechanics solve that Newton
could not finish is taken over by proximal-point steps whose shift vanishes at the end, so the
state it returns is the equilibrium itself, not a damped one.

The case that needs it (a broken band softening past a fold in finite strain, measured on an
88 nm c-Si particle) takes minutes to reach; here Newton's failure is simulated on a small
finite-strain plastic particle with a lithiated shell, and the continuation must land on the
state that plain Newton finds, to 1e-8 of the largest displacement.
"""

from solver import bootstrap  # noqa: F401

import numpy as np
import pytest
from mpi4py import MPI
from petsc4py import PETSc

import meshes
from solver.case import resolve_case
from solver.model import ChemoMechanicalModel
from solver.nonlinear import SolverFailure


def _shelled_particle() -> ChemoMechanicalModel:
    """A 100 nm c-Si disk, finite strain and J2, with a lithiated shell (c = 0.3 beyond 35 nm):
    the shell flows, so Newton needs several iterations."""
    case = resolve_case({
        "geometry": {"kind": "particle", "dim": 2, "symmetry": True, "diameter": 100.0, "mesh_size": 10.0,
                     "mesh_size_surface": 5.0},
        "active": {"material": "c-Si"},
        "mechanics": {"plasticity": "J2", "kinematics": "finite"},
        "loading": {"mode": "potentiostatic", "soc_end": 0.5, "ramp_time": 0.05},
        "output": {"fields": False}}, "proximal")
    bundle = meshes.build(case["geometry"], MPI.COMM_WORLD, with_electrolyte=False)
    problem = ChemoMechanicalModel(bundle, case)
    problem.c.interpolate(lambda x: np.where(np.hypot(x[0], x[1]) > 35.0, 0.3, 0.0))
    return problem


def test_proximal_continuation_returns_the_equilibrium():
    problem = _shelled_particle()
    problem.solve_mechanics()
    reference = problem.u.x.array.copy()
    mechanics = problem.mechanics.solver
    newton = mechanics.snes.getIterationNumber()
    assert newton >= 3, "the reference solve should be nonlinear"

    problem.u.x.array[:] = 0.0
    real_attempt = mechanics.attempt
    calls = []

    def fail_first():
        calls.append(mechanics.role)
        if len(calls) == 1:  # Newton "fails" without moving the iterate
            return False, PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT, 0
        return real_attempt()

    mechanics.attempt = fail_first
    problem.solve_mechanics()
    stats = problem.stats.roles["mechanics"]
    assert stats.proximal_rescues == 1
    assert len(calls) >= 3, "the continuation should take more than one proximal step"
    scale = np.abs(reference).max()
    assert np.abs(problem.u.x.array - reference).max() < 1e-8 * scale
    assert mechanics.proximal.shift.value == pytest.approx(0.0)  # no shift left for later solves


def test_proximal_continuation_gives_up_at_once_on_a_nan_state():
    """A NaN iterate (an inverted element) has nothing to continue from: no proximal step is
    tried, so the caller cuts the time step at once instead of after 100 failing solves."""
    problem = _shelled_particle()
    problem.solve_mechanics()
    solves = problem.stats.roles["mechanics"].solves
    problem.u.x.array[:] = np.nan
    ok, _, _ = problem.mechanics.solver.proximal_solve()
    assert not ok
    assert problem.stats.roles["mechanics"].solves == solves


def test_proximal_continuation_gives_up_once_the_shift_is_far_stiffer_than_the_material():
    """Steps that fail whatever the shift (here: every one) end the continuation once the shift
    passes PROXIMAL_LARGEST: from 1e-3 to 1e3 of the stiffness-to-mass ratio, 7 tries."""
    problem = _shelled_particle()
    problem.solve_mechanics()
    start = problem.u.x.array.copy()
    calls = []

    mechanics = problem.mechanics.solver

    def always_fail():
        calls.append(mechanics.role)
        return False, PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT, 0

    mechanics.attempt = always_fail
    ok, _, _ = mechanics.proximal_solve()
    assert not ok
    assert len(calls) == 7
    assert np.array_equal(problem.u.x.array, start)  # the iterate is left where it started


def test_a_solve_that_converges_at_infinity_is_rejected():
    """Measured on a 40 nm finite-strain particle with an 8 nm flaw: after a stalled bt line
    search, l2 "converged" to a displacement of 1e20 nm (a Hencky body stretched without bound
    has a vanishing residual), and the run took that state as a crack through the particle.
    Here the first solve is made to run away the same way: it must count as failed, and the
    continuation must then land on the equilibrium; a solve that always runs away ends in a
    SolverFailure that says so."""
    problem = _shelled_particle()
    problem.solve_mechanics()
    reference = problem.u.x.array.copy()
    mechanics = problem.mechanics.solver
    real_solve = mechanics.problem.solve
    runs = []

    def run_away(times: int):
        def solve():
            real_solve()
            runs.append(mechanics.snes.getConvergedReason())
            if len(runs) <= times:
                problem.u.x.array[:] *= 1e18  # SNES still reports convergence
        return solve

    problem.u.x.array[:] = 0.0
    mechanics.problem.solve = run_away(1)
    problem.solve_mechanics()
    assert runs[0] > 0, "the runaway solve should look converged to SNES"
    assert problem.stats.roles["mechanics"].proximal_rescues == 1
    assert np.abs(problem.u.x.array - reference).max() < 1e-8 * np.abs(reference).max()

    runs.clear()
    mechanics.problem.solve = run_away(1000)
    with pytest.raises(SolverFailure, match="ran away to .* nm, beyond 10 times the mesh extent"):
        problem.solve_mechanics()


def test_a_failed_solve_says_where_its_residual_is_largest():
    """A step cut names the node furthest from balance, so that a user can tell a flaw tip from an
    interface. From the equilibrium one node near (30, 30) nm is kicked by 2 nm and every solve is
    made to fail: the message must name a place within one element of that node."""
    problem = _shelled_particle()
    problem.solve_mechanics()
    xy = problem.Vu.tabulate_dof_coordinates()[:, :2]
    node = int(np.argmin(np.hypot(xy[:, 0] - 30.0, xy[:, 1] - 30.0)))
    problem.u.x.array[2 * node:2 * node + 2] += 2.0

    def always_fail():
        return False, PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT, 0

    problem.mechanics.solver.attempt = always_fail
    with pytest.raises(SolverFailure, match=r"mechanics solve did not converge \(SNES reason -5, KSP reason 0; "
                                            r"largest residual \S+ at \((\S+), (\S+)\) nm\)") as err:
        problem.solve_mechanics()
    x, y = (float(v) for v in err.value.args[0].rsplit("(", 1)[1].split(")")[0].split(","))
    assert np.hypot(x - xy[node, 0], y - xy[node, 1]) <= 10.0  # mesh_size: one element
