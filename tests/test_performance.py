"""The scalable presets change the cost, not the answer: a 3D fracture run with iterative solvers
(kept AMG preconditioners, damage driving energy cached per damage solve) against MUMPS LU, and
the solver statistics that benchmarks/ and users read from summary.json."""

from sifrac.solver import bootstrap  # noqa: F401

from pathlib import Path

import pytest
from mpi4py import MPI

from sifrac.solver.case import load_case
from sifrac.solver.run import run

CASE = Path(__file__).parents[1] / "cases" / "sphere_fracture_3d.toml"
#: Coarse eighth sphere with a penny crack seeded in the core: it grows from the third step.
SMALL = ["geometry.mesh_size=16.0", "geometry.mesh_size_surface=16.0", "fracture.length_scale=32.0",
         "fracture.initial_disc=[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]", "fracture.initial_disc_radius=60.0",
         "time.max_steps=5", "output.fields=false"]


def test_iterative_presets_match_lu_and_keep_the_preconditioner(tmp_path):
    """Per step, elastic energy, dissipated energy and max damage of the iterative run agree with
    the LU run within 1e-5 relative (the Krylov tolerance is 1e-8 on the true residual); the crack
    grows; the mechanics preconditioner is built far fewer times than the mechanics solves run."""
    runs = {}
    for preset in ("lu", "iterative"):
        sets = [] if preset == "iterative" else ["solver.mechanics=lu", "solver.damage=lu", "solver.diffusion=lu"]
        runs[preset] = run(load_case(CASE, [*SMALL, *sets]), MPI.COMM_WORLD, tmp_path / preset)
    lu, it = runs["lu"], runs["iterative"]
    assert lu.status == it.status == "stopped"  # by max_steps
    assert len(lu.history) == len(it.history) == 6
    assert it.history[-1]["dissipated_energy"] > 2 * it.history[1]["dissipated_energy"] > 0  # the seed grew
    for a, b in zip(lu.history, it.history):
        for key in ("elastic_energy", "dissipated_energy", "max_damage"):
            assert b[key] == pytest.approx(a[key], rel=1e-5, abs=1e-9), (a["step"], key)
    stats = it.summary["solver_stats"]
    mech = stats["mechanics"]
    print("mechanics solves", mech["solves"], "preconditioner builds", mech["preconditioner_builds"],
          "Krylov per solve", mech["linear_iterations"] / mech["nonlinear_iterations"])
    assert mech["failed"] == 0 and 1 <= mech["preconditioner_builds"] <= mech["solves"] // 4
    # the statistics also count the initial state's iterations and those of any cut step
    assert stats["equilibrium"]["staggered_iterations"] >= sum(r["staggered_iterations"] for r in it.history)
    assert stats["damage"]["solves"] == stats["equilibrium"]["staggered_iterations"]
    assert it.summary["timings"]["time_loop"] > 0 and len(it.summary["peak_memory_mb"]) == MPI.COMM_WORLD.size


PARTICLE = Path(__file__).parents[1] / "cases" / "particle_first_lithiation.toml"


def test_kept_factorisation_matches_lu_on_a_plastic_particle(tmp_path):
    """The `gmres_lu` mechanics preset (GMRES preconditioned by a kept MUMPS factorisation) on the
    plastic, flawed c-Si particle: per step, the surface hoop stress, the plastic strain and the
    crack length agree with plain LU within 1e-6 relative, with fewer factorisations than Newton
    steps (the front moves, the plastic zone grows, the flaw starts to open)."""
    sets = ["geometry.diameter=100.0", "time.max_steps=25", "output.fields=false"]
    runs = {p: run(load_case(PARTICLE, [*sets, f"solver.mechanics={p}"]), MPI.COMM_WORLD, tmp_path / p)
            for p in ("lu", "gmres_lu")}
    lu, kept = runs["lu"], runs["gmres_lu"]
    assert len(lu.history) == len(kept.history) == 26
    assert kept.history[-1]["max_plastic_strain"] > 0.5
    for a, b in zip(lu.history, kept.history):
        for key in ("max_hoop_stress", "max_plastic_strain", "crack_length", "elastic_energy"):
            assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-9), (a["step"], key)
    mech = kept.summary["solver_stats"]["mechanics"]
    print("Newton steps", mech["nonlinear_iterations"], "factorisations", mech["preconditioner_builds"],
          "GMRES per Newton step", mech["linear_iterations"] / mech["nonlinear_iterations"])
    assert mech["failed"] == 0 and 1 <= mech["preconditioner_builds"] < mech["nonlinear_iterations"] / 2


def test_warm_started_linear_mechanics_meets_the_full_load_tolerance():
    """A linear mechanics solve that starts from the last solution (the next staggered iteration
    or time step) converges to linear_rtol times the residual of the whole load, |F(0)|, not of
    the small correction: after a 0.1% change of concentration the true residual is within that
    tolerance, and CG needs clearly fewer iterations than for the whole load from zero."""
    from sifrac import meshes
    from sifrac.solver.model import ChemoMechanicalModel

    case = load_case(CASE, ["geometry.mesh_size=16.0", "geometry.mesh_size_surface=16.0", "fracture.model=none"])
    bundle = meshes.build(case.geometry, MPI.COMM_WORLD)
    problem = ChemoMechanicalModel(bundle, case)
    snes, ksp = problem.solvers["mechanics"].solver, problem.solvers["mechanics"].solver.getKSP()
    assert snes.getType() == "ksponly" and ksp.getType() == "cg"
    rtol = case.solver.linear_rtol

    def solve_at(c: float) -> tuple[int, float, float]:
        """Krylov iterations, |F(0)| and |F(u)| after an equilibrium solve at uniform c."""
        problem.c.x.array[:] = c
        problem.solve_equilibrium()
        mech = problem.solvers["mechanics"]
        residual, zero = mech.b.duplicate(), mech.x.duplicate()
        snes.computeFunction(mech.x, residual)  # mech.x holds the solution after solve()
        solved = residual.norm()
        saved = mech.u.x.array.copy()
        zero.zeroEntries()
        snes.computeFunction(zero, residual)
        mech.u.x.array[:] = saved
        return ksp.getIterationNumber(), residual.norm(), solved

    problem.conc.c_ref.value = 0.0
    cold, load, solved = solve_at(0.1)
    assert solved <= 1.001 * rtol * load
    warm, load, solved = solve_at(0.1001)
    print("CG iterations, whole load from zero:", cold, "; after a 0.1% change:", warm)
    assert solved <= 1.001 * rtol * load
    assert warm <= 0.75 * cold
