"""Proximal continuation (`NonlinearSolver.proximal_solve`): a mechanics solve that Newton
could not finish is taken over by proximal-point steps whose shift vanishes at the end, so the
state it returns is the equilibrium itself, not a damped one.

The case that needs it (a broken band softening past a fold in finite strain, measured on an
88 nm c-Si particle) takes minutes to reach. Here Newton is made to fail through the case's own
PETSc options (`[solver.petsc_options]`, as a user could set them) on a small finite-strain
plastic particle with a lithiated shell: too few Newton iterations, or a linear solver that never
converges; only the public interface is used (solve_mechanics, u, stats, SolverFailure, the
mechanics solver's proximal shift).
"""

from sifrac.solver import bootstrap  # noqa: F401

import numpy as np
import pytest
from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case import resolve_case
from sifrac.solver.model import ChemoMechanicalModel
from sifrac.solver.nonlinear import SolverFailure

#: Linear solves that always fail: one Richardson iteration damped by 1e-3 (on the preset's LU)
#: cannot reach the tolerance.
NO_LINEAR_SOLVE = {"sifrac_mechanics_ksp_type": "richardson", "sifrac_mechanics_ksp_richardson_scale": 1e-3,
                   "sifrac_mechanics_ksp_max_it": 1}


def _particle(petsc_options: dict | None = None, shell: bool = True) -> ChemoMechanicalModel:
    """A 100 nm c-Si disk, finite strain and J2; with `shell`, c = 0.3 beyond 35 nm, which makes
    the shell flow, so Newton needs several iterations."""
    case = resolve_case({
        "geometry": {"kind": "particle", "dim": 2, "symmetry": True, "diameter": 100.0, "mesh_size": 10.0,
                     "mesh_size_surface": 5.0},
        "active": {"material": "c-Si"},
        "mechanics": {"plasticity": "J2", "kinematics": "finite"},
        "loading": {"mode": "potentiostatic", "soc_end": 0.5, "ramp_time": 0.05},
        "solver": {"petsc_options": petsc_options or {}},
        "output": {"fields": False}}, "proximal")
    bundle = meshes.build(case.geometry, MPI.COMM_WORLD, with_electrolyte=False)
    problem = ChemoMechanicalModel(bundle, case)
    if shell:
        problem.c.interpolate(lambda x: np.where(np.hypot(x[0], x[1]) > 35.0, 0.3, 0.0))
    return problem


def _mechanics(problem: ChemoMechanicalModel):
    return problem.stats.roles["mechanics"]


def test_proximal_continuation_returns_the_equilibrium():
    """Newton capped at 5 iterations (from u = 0 the equilibrium needs 23) fails; the continuation
    must land on the equilibrium that uncapped Newton finds, to 1e-8 of the largest displacement
    (measured 1.8e-10)."""
    plain = _particle()
    plain.solve_mechanics()
    reference = plain.u.x.array.copy()
    assert _mechanics(plain).nonlinear_iterations > 5, "the reference solve should need more than 5 iterations"
    assert _mechanics(plain).proximal_rescues == 0

    capped = _particle({"sifrac_mechanics_snes_max_it": 5})
    capped.solve_mechanics()
    stats = _mechanics(capped)
    assert stats.proximal_rescues == 1
    assert stats.solves >= 3, "Newton's failure, then more than one proximal step"
    assert np.abs(capped.u.x.array - reference).max() < 1e-8 * np.abs(reference).max()
    assert capped.mechanics.solver.proximal.shift.value == pytest.approx(0.0)  # none left for later solves


def test_proximal_continuation_gives_up_at_once_on_a_nan_state():
    """A NaN iterate (an inverted element) has nothing to continue from: after Newton's failed
    solve no proximal step is tried, so the caller cuts the time step at once instead of after
    100 failing solves."""
    problem = _particle()
    problem.solve_mechanics()
    solves = _mechanics(problem).solves
    problem.u.x.array[:] = np.nan
    with pytest.raises(SolverFailure, match="mechanics solve did not converge"):
        problem.solve_mechanics()
    assert _mechanics(problem).solves == solves + 1
    assert _mechanics(problem).proximal_rescues == 0


def test_proximal_continuation_gives_up_once_the_shift_is_far_stiffer_than_the_material():
    """Steps that fail whatever the shift (no linear solve converges) end the continuation once
    the shift passes PROXIMAL_LARGEST: from 1e-3 to 1e3 of the stiffness-to-mass ratio, 7 tries
    after Newton's own; the iterate is left where it started."""
    problem = _particle(NO_LINEAR_SOLVE)
    start = problem.u.x.array.copy()
    with pytest.raises(SolverFailure, match="mechanics solve did not converge"):
        problem.solve_mechanics()
    stats = _mechanics(problem)
    assert (stats.solves, stats.failed, stats.proximal_rescues) == (1 + 7, 1 + 7, 0)
    assert np.array_equal(problem.u.x.array, start)


def test_a_solve_that_converges_at_infinity_is_rejected():
    """Measured on a 40 nm finite-strain particle with an 8 nm flaw: after a stalled bt line
    search, l2 "converged" to a displacement of 1e20 nm (a Hencky body stretched without bound
    has a vanishing residual), and the run took that state as a crack through the particle.
    Here SNES accepts any state (snes_atol = 1e300) and starts from a displacement of 1e18 nm:
    SNES "converges" there without a step, and the solve must count as failed, ending in a
    SolverFailure that says the displacement ran away (no Newton step taken: nothing for the
    continuation to start from)."""
    problem = _particle({"sifrac_mechanics_snes_atol": 1e300})
    problem.u.x.array[:] = 1e18
    with pytest.raises(SolverFailure, match="ran away to 1e\\+18 nm, beyond 10 times the mesh extent"):
        problem.solve_mechanics()
    stats = _mechanics(problem)
    assert (stats.solves, stats.failed, stats.nonlinear_iterations, stats.proximal_rescues) == (1, 1, 0, 0)


def test_a_failed_solve_says_where_its_residual_is_largest():
    """A step cut names the node furthest from balance, so that a user can tell a flaw tip from an
    interface. From the unloaded equilibrium (c = 0, u = 0) one node near (30, 30) nm is kicked by
    2 nm and no linear solve converges: the message must name a place within one element of it."""
    problem = _particle(NO_LINEAR_SOLVE, shell=False)
    xy = problem.Vu.tabulate_dof_coordinates()[:, :2]
    node = int(np.argmin(np.hypot(xy[:, 0] - 30.0, xy[:, 1] - 30.0)))
    problem.u.x.array[2 * node:2 * node + 2] += 2.0
    with pytest.raises(SolverFailure, match=r"mechanics solve did not converge \(SNES reason -?\d+, KSP reason -?\d+; "
                                            r"largest residual \S+ at \((\S+), (\S+)\) nm\)") as err:
        problem.solve_mechanics()
    x, y = (float(v) for v in err.value.args[0].rsplit("(", 1)[1].split(")")[0].split(","))
    assert np.hypot(x - xy[node, 0], y - xy[node, 1]) <= 10.0  # mesh_size: one element
