"""The one entry point: `run(case, comm) -> Result`, used by the CLI, sweeps and tests.

The pipeline reads top to bottom: mesh -> problem -> derived fields and probes -> outputs ->
time loop -> summary. The communicator is the one passed in (sweeps run cases on
sub-communicators); everything below reads it back from the mesh.
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mpi4py import MPI

import meshes
from solver import __version__, boundary_loading, checkpoint, log, materials
from solver.case import CaseError, case_sha256, dump_case, format_value, resolution_warnings
from solver.coupling import ChemoElasticProblem, SolverFailure
from solver.fields import StressFields
from solver.outputs import Regions, ResultWriter
from postprocess.crack_metrics import CrackOpening
from solver.probes import Probes
from solver.stats import peak_memory_mb
from solver.timestepping import StepController, StepFailure

_log = log.get("run")


@dataclass
class Result:
    """What a run returns: its status, the per-step history and the summary it wrote."""

    status: str  # "complete" | "stopped" | "failed"
    reason: str
    outdir: Path
    history: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    probes: np.ndarray | None = None  # rank 0: (c, sxx, syy, szz, sxy, sxz, syz) per probe at the end
    stopped_by: str | None = None  # SIGTERM, SIGINT or max_wall_time: stopped early, a checkpoint written


def versions() -> dict[str, str]:
    import dolfinx
    import gmsh
    from petsc4py import PETSc

    return {"sifrac": __version__, "dolfinx": dolfinx.__version__,
            "petsc": ".".join(map(str, PETSc.Sys.getVersion())), "gmsh": gmsh.__version__}


@functools.cache
def git_commit() -> str:
    """The commit of the code this process runs, "-dirty" if tracked files differ from it. Cached
    at the first call (run() makes it before stepping), so a long run that outlives a later commit
    still names the code it started with."""
    try:
        here = Path(__file__).parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip()
        if not commit:
            return "unknown"
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=here, capture_output=True, timeout=5)
        return commit + ("-dirty" if dirty.returncode == 1 else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def output_problem(path: Path) -> str | None:
    """Why `path` cannot be (created and) written as an output directory, or None. File reads
    only: every rank reaches the same verdict, and nothing is created."""
    if path.exists() and not path.is_dir():
        return "exists and is not a directory"
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be created: {existing} is a file, not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: no write permission on {existing}"
    return None


def check_paths(case: dict, outdir: Path) -> None:
    """The files a run reads and writes: the mesh file of `[geometry] kind = "file"` exists and
    can be read, the output directory can be written. Raises CaseError naming the path; called
    before any collective call, so bad paths end every rank the same way with nothing written."""
    geo = case["geometry"]
    if geo["kind"] == "file":
        mesh = Path(geo["file"])
        if not mesh.is_file():
            raise CaseError(f"[geometry] file = {format_value(geo['file'])}: no such file "
                            f"({'a directory' if mesh.is_dir() else 'not found'} at {mesh.absolute()})")
        if not os.access(mesh, os.R_OK):
            raise CaseError(f"[geometry] file = {format_value(geo['file'])}: cannot be read (no read permission)")
    why = output_problem(Path(outdir))
    if why:
        raise CaseError(f"output directory {outdir}: {why}")


def end_time(case: dict, soc_start: float) -> float:
    """Time at which the load ends: the SOC window at the C-rate, or [time] t_end."""
    load = case["loading"]
    if "t_end" in case["time"]:
        return case["time"]["t_end"]
    if load["mode"] in ("galvanostatic", "uniform"):
        return abs(load["soc_end"] - soc_start) * 3600.0 / load["c_rate"]
    return float("inf")


def run(case: dict, comm, outdir: Path | str | None = None, resume: bool = False) -> Result:
    """Run a resolved case on `comm` and write its results to `outdir` (default: [output] dir).

    With `resume`, continue from the latest checkpoint in `outdir` (checked beforehand with
    `checkpoint.inspect`): the state, history and bookkeeping are restored and the run goes on
    as if it had never stopped.
    """
    wall0 = time.perf_counter()
    git_commit()  # the code as it starts (cached)
    outdir = Path(outdir or case["output"]["dir"])
    check_paths(case, outdir)
    for text in resolution_warnings(case):
        _log.warning("%s: %s", case["case"]["name"], text)
    load = case["loading"]
    bundle = meshes.build(case["geometry"], comm, with_electrolyte=case["electrolyte"]["material"] != "liquid")
    wall_mesh = time.perf_counter()
    probes = Probes(bundle.mesh, case["output"]["probes"])  # before any solver: a bad point sets no options
    problem = ChemoElasticProblem(bundle, case)
    stress = StressFields(problem)
    opening = CrackOpening(problem) if problem.fracture else None
    fields_on = case["output"]["fields"]
    fields = [problem.c, stress.displacement, *stress.scalars.values(), *([problem.d] if problem.fracture else []),
              *([stress.plastic_strain] if problem.plastic else [])]
    restart = checkpoint.load(outdir, problem) if resume else None
    parameters = materials.provenance(case)
    for text in materials.outside_published(parameters):
        _log.warning("%s: %s lies outside its published range", case["case"]["name"], text)
    writer = ResultWriter(outdir, comm, dump_case(case), parameters, fields if fields_on else None,
                          stress.tensor if fields_on else None, ("damage",) if problem.fracture else (),
                          series_tag=f"_from_step_{restart['step']}" if restart else "",
                          regions=Regions.of(bundle.mesh, bundle.cell_tags, bundle.regions, {
                              "concentration": ("si",), "equivalent_plastic_strain": ("si",),
                              "damage": tuple(case["fracture"]["regions"])}))
    dofs = problem.dofs()
    _log.info("%s: %s %dD, %d cells, %d + %d dofs on %d rank(s); rigid modes left to the null space: %d",
              case["case"]["name"], case["geometry"]["kind"], bundle.mesh.geometry.dim,
              bundle.mesh.topology.index_map(bundle.mesh.topology.dim).size_global,
              dofs["concentration"], dofs["displacement"], comm.size, problem.n_rigid_free)

    ctl = StepController.from_case(case["time"])
    t, step, t_stop = 0.0, 0, end_time(case, load["soc_start"])
    sign = 1.0 if load["direction"] == "lithiation" else -1.0

    def record(dt: float, newton: int, staggered: int) -> dict:
        stress.update()
        soc = problem.soc()
        c_lo, c_hi = problem.c_range()
        row = {"step": step, "time": t, "soc": soc, "dt": dt, "elastic_energy": problem.elastic_energy(),
               **stress.measures(), "c_min": c_lo, "c_max": c_hi, "newton_iterations": newton}
        if problem.plastic:
            row["max_plastic_strain"] = problem.max_plastic_strain()
        if problem.axial is not None:
            row["axial_strain"] = problem.axial_strain()
        if problem.fracture:
            cod = opening.max_cod()
            row.update(dissipated_energy=problem.dissipated_energy(), crack_length=problem.crack_length(),
                       max_damage=problem.max_damage(), max_cod=cod, cod_normalized=cod / bundle.reference_length,
                       staggered_iterations=staggered)
        if problem.tether:
            row["tether_energy"] = problem.tether_energy
        if problem.boundary is not None:
            row.update(problem.boundary.measures())
        values = probes.evaluate(problem.c, stress.tensor, problem.d if problem.fracture else None) \
            if len(probes) else None
        writer.record(row, values, probes.points)
        meta = {"time": t, "soc": soc, "step": step}
        crack_starts = problem.fracture and not initiated and _fractured(case["fracture"], row, writer.history[0])
        if crack_starts:
            initiated.update(time=t, soc=soc)
        if fields_on:
            stress.update_output_fields()
            if step % case["output"]["every"] == 0 or done:
                writer.write_fields(t)
            if row["max_principal_stress"] > peak[0]:  # the same on every rank: allreduced
                peak[0] = row["max_principal_stress"]
                writer.write_vtu(fields, "peak_state.vtu", meta)
            if crack_starts:
                writer.write_vtu(fields, "initiation_state.vtu", meta)
            every = case["output"]["snapshot_every"]
            if every and step % every == 0:
                writer.write_vtu(fields, f"state_step_{step:06d}.vtu", meta)
        return row

    def save_checkpoint() -> None:
        checkpoint.save(outdir, comm, problem, {
            "step": step, "t": t, "dt": ctl.dt, "dt_old": problem.dt_old, "peak": peak[0],
            "initiated": initiated, "history": writer.history, "probe_rows": writer.probe_rows,
            "resumed_at": resumed_at, "case_sha256": case_sha256(case)})
        saved[0] = step

    peak = [-float("inf")]
    initiated: dict[str, float] = {}
    resumed_at: list[int] = []
    done = False
    if restart is None:
        problem.initialise(load["soc_start"])
        record(0.0, 0, 0)
        saved = [-1]
    else:
        t, step, ctl.dt, problem.dt_old, peak[0] = (restart[k] for k in ("t", "step", "dt", "dt_old", "peak"))
        initiated.update(restart["initiated"])
        resumed_at = [*restart["resumed_at"], step]
        writer.restore(restart["history"], restart["probe_rows"])
        if problem.boundary is not None:
            problem.boundary.restore(t, writer.history[-1]["external_work"])
        saved = [step]
        _log.info("resumed at step %d, t = %.6g s, from the checkpoint in %s", step, t, outdir)
    status, reason, stopped_by = "complete", "end of loading", None
    wall_limit = case["time"].get("max_wall_time")
    wall_loop = time.perf_counter()
    every_checkpoint = case["output"]["checkpoint_every"]
    try:
        with checkpoint.GracefulStop(comm) as stop:
            while not done:
                stopped_by = stop.requested()  # collective: every rank stops at the same step
                if stopped_by:
                    status, reason = "stopped", f"{stopped_by} received"
                    break
                if wall_limit and comm.allreduce(time.perf_counter() - wall0, op=MPI.MAX) >= wall_limit:
                    stopped_by, status = "max_wall_time", "stopped"
                    reason = (f"max_wall_time = {wall_limit:g} s reached at t = {t:.6g} s, "
                              f"SOC {writer.history[-1]['soc']:.4f}")
                    break
                if step >= case["time"]["max_steps"]:
                    status, reason = "stopped", f"max_steps = {case['time']['max_steps']} reached"
                    break
                dt = ctl.propose(t, t_stop)
                try:
                    newton = problem.solve_diffusion(dt, t + dt)
                    dc = problem.max_increment()
                    if ctl.too_large(dc, dt):
                        raise SolverFailure(f"concentration changed by {dc:.3g} > 2 x dc_target in one step")
                    staggered = problem.solve_equilibrium()
                    grown = problem.damage_increment()
                    if grown > case["fracture"]["max_damage_increment"] and ctl.can_cut(dt):
                        raise SolverFailure(f"damage grew by {grown:.3g} in one step")
                except SolverFailure as err:
                    problem.reject()
                    ctl.cut(str(err), dt)  # below dt_min: StepFailure, whose message carries err
                    _log.info("step %d: %s; cutting dt from %.4g to %.4g s", step + 1, err, dt, ctl.dt)
                    continue
                problem.accept()
                ctl.accepted(dt, dc)
                t += dt
                step += 1
                soc = problem.soc()
                c_lo, c_hi = problem.c_range()
                if load["mode"] in ("galvanostatic", "uniform"):
                    done = t >= t_stop * (1 - 1e-12)
                    if not done and (c_hi >= 1.0 if sign > 0 else c_lo <= 0.0):
                        done, reason = True, f"surface concentration reached its limit at SOC {soc:.4f} (voltage cut-off)"
                else:
                    done = sign * (soc - load["soc_end"]) >= -1e-3 or t >= t_stop * (1 - 1e-12)
                row = record(dt, newton, staggered)
                if problem.fracture and case["fracture"]["stop_at_fracture"] and \
                        _fractured(case["fracture"], row, writer.history[0]):
                    done, reason = True, f"fractured at SOC {soc:.4f} (stop_at_fracture)"
                _log.info("step %4d  t = %10.4g s  SOC = %.4f  dt = %9.3g s  Newton %d  max sigma_1 = %.4g GPa",
                          step, t, soc, dt, newton, row["max_principal_stress"])
                if every_checkpoint and step % every_checkpoint == 0 and not done:
                    save_checkpoint()
    except StepFailure as err:
        status, reason = "failed", str(err)
        _log.error("run failed: %s (last good state: step %d, t = %.6g s)", err, step, t)
    finally:
        writer.close()
    wall_end = time.perf_counter()
    if status == "stopped":  # by a signal or max_steps: resumable from here
        if saved[0] != step:
            save_checkpoint()
        reason += f"; checkpoint at step {step}: continue with `sifrac run CASE --resume {outdir}`"
    elif status == "complete":
        checkpoint.remove(outdir, comm)  # nothing left to resume

    last = writer.history[-1]
    if fields_on:  # the output fields still hold the last recorded (good) state
        writer.write_vtu(fields, "final_state.vtu", {"time": t, "soc": last["soc"], "step": step})
    summary = {
        "status": status, "reason": reason, "case": case["case"]["name"],
        "case_sha256": case_sha256(case), **({"resumed_at_steps": resumed_at} if resumed_at else {}),
        "parameters_outside_published_range": materials.outside_published(parameters),
        "steps": step, "time": t, "soc": last["soc"],
        "final": {k: v for k, v in last.items() if k not in ("step", "time", "soc", "dt")},
        "extremes": {k: (max if k.startswith("max") else min)(r[k] for r in writer.history)
                     for k in last if k.startswith(("max_", "min_"))},
        **(_fracture_summary(case, writer.history, initiated) if problem.fracture else {}),
        **boundary_loading.summary(writer.history),
        "ranks": comm.size, "dofs": dofs, "rigid_modes_in_null_space": problem.n_rigid_free,
        "cells": bundle.mesh.topology.index_map(bundle.mesh.topology.dim).size_global,
        "si_volume": problem.si_volume, "lithiation_area": problem.surface_area,
        "reference_length": bundle.reference_length,
        "wall_time": comm.allreduce(time.perf_counter() - wall0, op=MPI.MAX),
        "timings": {name: comm.allreduce(b - a, op=MPI.MAX) for name, a, b in
                    (("mesh", wall0, wall_mesh), ("setup", wall_mesh, wall_loop), ("time_loop", wall_loop, wall_end))},
        "solver_stats": problem.stats.summary(comm), "peak_memory_mb": peak_memory_mb(comm),
        "versions": versions(), "git_commit": git_commit(),
    }
    writer.write_summary(summary)
    _log.info("%s: %s after %d steps (%s); results in %s", case["case"]["name"], status, step, reason, outdir)
    return Result(status, reason, outdir, writer.history, summary, writer.last_probes, stopped_by)


def _fractured(frac: dict, row: dict, first: dict) -> bool:
    """The case's fracture criterion on one history row; `first` is the row of step 0, whose
    crack_length is the pre-existing flaw as meshed (the reference of criterion = crack_growth)."""
    fractured = row["max_damage"] >= frac["threshold"]
    if frac["criterion"] == "crack_length":
        fractured = fractured and row["crack_length"] >= frac["crack_length_min"]
    elif frac["criterion"] == "crack_growth":
        fractured = fractured and row["crack_length"] >= frac["crack_growth_ratio"] * first["crack_length"]
    return bool(fractured)


def _fracture_summary(case: dict, history: list[dict], initiated: dict[str, float]) -> dict:
    """`fractured` by the case's criterion, and when the first crack formed (max damage >= threshold)."""
    return {"fractured": _fractured(case["fracture"], history[-1], history[0]), "crack_initiation_time": initiated.get("time"),
            "crack_initiation_soc": initiated.get("soc"), "strength": case["fracture"]["strength"]}
