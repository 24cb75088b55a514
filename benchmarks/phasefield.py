"""Cost of one staggered (alternate-minimisation) iteration against the bare linear algebra.

Sets up a fracture case, loads it (a uniform delithiation step so the film is stressed and
damaging), then times (a) staggered iterations: a mechanics solve plus a damage VI solve,
assembly and SNES bookkeeping included, and (b) one mechanics and one damage linear solve
(KSPSolve on already assembled operators). Reports DOFs, ranks, both times and their ratio.

    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/phasefield.py [CASE] [--set k=v ...]
"""

from solver import bootstrap  # noqa: F401

import argparse
import json
import time
from pathlib import Path

from mpi4py import MPI
from petsc4py import PETSc

import meshes
from solver.case import load_case
from solver.coupling import ChemoElasticProblem

ROOT = Path(__file__).parents[1]


def timed(fn, repeat: int, comm) -> float:
    comm.barrier()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    comm.barrier()
    return comm.allreduce(time.perf_counter() - t0, op=MPI.MAX) / repeat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", default=str(ROOT / "cases" / "film_delithiation_notch.toml"))
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    case = load_case(args.case, args.overrides)
    bundle = meshes.build(case["geometry"], comm, with_electrolyte=case["electrolyte"]["material"] != "liquid")
    problem = ChemoElasticProblem(bundle, case)
    problem.initialise(case["loading"]["soc_start"])
    problem.solve_diffusion(case["time"]["dt_initial"] * 20)  # a few % of SOC: stressed, damaging
    problem.solve_equilibrium()

    mech, dmg = problem.solvers["mechanics"], problem.solvers["damage"]

    def staggered() -> None:
        problem.solve_mechanics()
        dmg.solve()

    t_iter = timed(staggered, args.repeat, comm)
    # bare linear solves on the operators the last iteration assembled
    ksp_m, ksp_d = mech.solver.getKSP(), dmg.solver.getKSP()
    bm, xm = mech.b.duplicate(), mech.x.duplicate()
    bm.set(1.0)
    bd, xd = dmg.b.duplicate(), dmg.x.duplicate()
    bd.set(1.0)
    # The VI's own KSP works on the reduced (inactive-set) system; time a KSP of the same type on
    # the full damage Jacobian instead (an upper bound of the VI's linear cost).
    dmg.solver.computeJacobian(dmg.x, dmg.A)
    ksp_full = PETSc.KSP().create(comm)
    ksp_full.setOperators(dmg.A)
    ksp_full.setType(ksp_d.getType())
    ksp_full.getPC().setType(ksp_d.getPC().getType())
    if ksp_d.getPC().getType() == "lu":
        ksp_full.getPC().setFactorSolverType(ksp_d.getPC().getFactorSolverType())
    ksp_full.setUp()
    ksp_d = ksp_full
    t_lin = timed(lambda: (ksp_m.solve(bm, xm), ksp_d.solve(bd, xd)), args.repeat, comm)
    dofs = problem.dofs()
    record = {"case": case["case"]["name"], "ranks": comm.size, "dofs": {**dofs, "damage": dofs["concentration"]},
              "seconds_per_staggered_iteration": t_iter, "seconds_linear_mechanics_plus_damage": t_lin,
              "ratio": t_iter / t_lin, "mechanics_solver": mech.solver.getKSP().getPC().getType(),
              "damage_snes": dmg.solver.getType()}
    if comm.rank == 0:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"phasefield_{case['case']['name']}_np{comm.size}.json").write_text(json.dumps(record, indent=2))
        print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
