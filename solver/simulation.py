"""The time loop of a run: steps with adaptive dt, stop rules, history rows, snapshots,
checkpoints and the summary.

A step solves the transport, then the equilibrium; a failed solve (or too large a change of c or
d) is rejected and retried with a shorter step (`solver/timestepping.py`). An accepted step is
recorded (history.csv, probes.csv, field files); the run ends at the end of loading, at a stop
rule (voltage cut-off, fracture with `stop_at_fracture`), at max_steps, max_wall_time or a signal
(then with a checkpoint), or when the step cannot be cut any more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from mpi4py import MPI

from sifrac.solver import checkpoint, log, materials
from sifrac.solver.case import Case, case_sha256, dump_case, energy_release_applies
from sifrac.solver.crack_metrics import CrackOpening
from sifrac.solver.criteria import CrackPath, EnergyRelease, fracture_reason
from sifrac.solver.fields import StressFields
from sifrac.solver.loading import summary as boundary_summary
from sifrac.solver.model import ChemoMechanicalModel
from sifrac.solver.nonlinear import SolverFailure
from sifrac.solver.outputs import Regions, ResultWriter
from sifrac.solver.probes import Probes
from sifrac.solver.stats import peak_memory_mb
from sifrac.solver.timestepping import StepController, StepFailure
from sifrac.solver.versions import git_commit, versions

_log = log.get("run")


@dataclass
class RunState:
    """Where a run stands between steps (with the step controller's dt and the fields, what a
    checkpoint saves)."""

    t: float = 0.0
    step: int = 0
    peak: float = -float("inf")  # the largest max principal stress recorded (peak_state.vtu)
    initiated: dict = field(default_factory=dict)  # time, SOC and criterion where the first crack formed
    resumed_at: list[int] = field(default_factory=list)  # the steps this run was resumed at
    saved: int = -1  # the step of the last checkpoint
    done: bool = False  # the loading, or a stop rule, has ended the run


def end_time(case: Case, soc_start: float) -> float:
    """Time at which the load ends: the SOC window at the C-rate, or [time] t_end."""
    load = case.loading
    if case.time.t_end is not None:
        return case.time.t_end
    if load.mode in ("galvanostatic", "uniform"):
        return abs(load.soc_end - soc_start) * 3600.0 / load.c_rate
    return float("inf")


def fractured(case: Case, row: dict, first: dict) -> bool:
    """The case's fracture criterion on one history row (`criteria.fracture_reason`); `first` is
    the row of step 0, whose crack_length is the pre-existing flaw as meshed (the reference of
    criterion = crack_growth)."""
    return fracture_reason(case, row, first) is not None


class Simulation:
    """One run of a model: its outputs under `outdir`, its state, and the loop (`run`).

    `started` and `meshed` are the wall-clock times (time.perf_counter) at which the run began
    and its mesh was built: the summary's timings and `[time] max_wall_time` count from them.
    With `resume`, the state comes from the latest checkpoint in `outdir` (its fields are read
    here, the rest when the run starts). `probes` are located before the model is built, so that
    a point outside the mesh ends the run before any solver has set its PETSc options.
    """

    def __init__(self, case: Case, model: ChemoMechanicalModel, probes: Probes, outdir: Path, resume: bool,
                 started: float, meshed: float) -> None:
        self.case, self.model, self.outdir = case, model, outdir
        self.comm = comm = model.comm
        self.started, self.meshed = started, meshed
        bundle = model.bundle
        self.stress = StressFields(model)
        self.probes = probes
        self.opening = CrackOpening(model) if model.fracture else None
        self.energy_release = EnergyRelease(model, case) if energy_release_applies(case) else None
        self.crack_path = CrackPath(model, case) if model.fracture and case.fracture.criterion == "geometry" \
            else None
        self.fields_on = case.output.fields
        self.fields = [model.c, self.stress.displacement, *self.stress.scalars.values(),
                       *([model.d] if model.fracture else []),
                       *([self.stress.plastic_strain] if model.plastic else [])]
        self._restart = restart = checkpoint.load(outdir, model) if resume else None
        self.parameters = materials.provenance(case.to_dict())
        for text in materials.outside_published(self.parameters):
            _log.warning("%s: %s lies outside its published range", case.case.name, text)
        self.writer = ResultWriter(outdir, comm, dump_case(case), self.parameters,
                                   self.fields if self.fields_on else None,
                                   self.stress.tensor if self.fields_on else None,
                                   ("damage",) if model.fracture else (),
                                   series_tag=f"_from_step_{restart['step']}" if restart else "",
                                   regions=Regions.of(bundle.mesh, bundle.cell_tags, bundle.regions, {
                                       "concentration": ("si",), "equivalent_plastic_strain": ("si",),
                                       "damage": tuple(case.fracture.regions)}))
        dofs = model.dofs()
        _log.info("%s: %s %dD, %d cells, %d + %d dofs on %d rank(s); rigid modes left to the null space: %d",
                  case.case.name, case.geometry.kind, bundle.mesh.geometry.dim, self._cells(),
                  dofs["concentration"], dofs["displacement"], comm.size, len(model.mechanics.modes.free))
        self.ctl = StepController.from_case(case.time)
        self.t_stop = end_time(case, case.loading.soc_start)
        self.state = RunState()
        self.loop_started = self.loop_ended = None  # wall-clock times of the time loop

    def _start(self) -> None:
        """The initial state (solved and recorded as step 0), or the checkpoint's."""
        if self._restart is None:
            self.model.initialise(self.case.loading.soc_start)
            self.record(0.0, 0, 0)
        else:
            self._restore(self._restart)

    def _cells(self) -> int:
        mesh = self.model.bundle.mesh
        return mesh.topology.index_map(mesh.topology.dim).size_global

    def _restore(self, restart: dict) -> None:
        """Continue from a checkpoint's state.json (the fields are already loaded)."""
        state, model = self.state, self.model
        state.t, state.step, self.ctl.dt, model.conc.dt_old, state.peak = \
            (restart[k] for k in ("t", "step", "dt", "dt_old", "peak"))
        state.initiated.update(restart["initiated"])
        state.resumed_at = [*restart["resumed_at"], state.step]
        self.writer.restore(restart["history"], restart["probe_rows"])
        if model.boundary is not None:
            model.boundary.restore(state.t, self.writer.history[-1]["external_work"])
        state.saved = state.step
        _log.info("resumed at step %d, t = %.6g s, from the checkpoint in %s", state.step, state.t, self.outdir)

    # -- one row per accepted step ------------------------------------------------------------
    def record(self, dt: float, newton: int, staggered: int) -> dict:
        """The history row of the current state, written with its probes, field files and
        snapshots."""
        model, state, stress, case = self.model, self.state, self.stress, self.case
        stress.update()
        soc = model.transport.soc()
        c_lo, c_hi = model.transport.c_range()
        row = {"step": state.step, "time": state.t, "soc": soc, "dt": dt,
               "elastic_energy": model.mechanics.elastic_energy(), **stress.measures(), "c_min": c_lo, "c_max": c_hi,
               "newton_iterations": newton}
        if model.plastic:
            row["max_plastic_strain"] = model.mechanics.plastic.max_plastic_strain()
        if model.axial is not None:
            row["axial_strain"] = model.mechanics.axial_strain()
        if model.fracture:
            cod = self.opening.max_cod()
            damage = model.damage
            row.update(dissipated_energy=damage.dissipated_energy(), crack_length=damage.crack_length(),
                       max_damage=damage.max_damage(), max_cod=cod,
                       cod_normalized=cod / model.bundle.reference_length, staggered_iterations=staggered)
        if model.mechanics.tether:
            row["tether_energy"] = model.mechanics.tether_energy
        if model.boundary is not None:
            row.update(model.boundary.measures())
        if model.front is not None:
            row.update(model.front.measures())
        if self.energy_release is not None:
            row.update(self.energy_release.measure(stress.tensor))
        if self.crack_path is not None:
            row.update(self.crack_path.measure(stress.tensor))
        values = self.probes.evaluate(model.c, stress.tensor, model.d) if len(self.probes) else None
        self.writer.record(row, values, self.probes.points)
        decided = fracture_reason(case, row, self.writer.history[0]) if model.fracture else None
        crack_starts = decided is not None and not state.initiated
        if crack_starts:
            state.initiated.update(time=state.t, soc=soc, by=decided)
        if self.fields_on:
            self._write_fields(row, soc, crack_starts)
        return row

    def _write_fields(self, row: dict, soc: float, crack_starts: bool) -> None:
        """Field series every `[output] every` steps (and at the end), VTU snapshots of the peak
        stress, of crack initiation and every `snapshot_every` steps."""
        state, writer, output = self.state, self.writer, self.case.output
        meta = {"time": state.t, "soc": soc, "step": state.step}
        self.stress.update_output_fields()
        if state.step % output.every == 0 or state.done:
            writer.write_fields(state.t)
        if row["max_principal_stress"] > state.peak:  # the same on every rank: allreduced
            state.peak = row["max_principal_stress"]
            writer.write_vtu(self.fields, "peak_state.vtu", meta)
        if crack_starts:
            writer.write_vtu(self.fields, "initiation_state.vtu", meta)
        every = output.snapshot_every
        if every and state.step % every == 0:
            writer.write_vtu(self.fields, f"state_step_{state.step:06d}.vtu", meta)

    def save_checkpoint(self) -> None:
        state = self.state
        checkpoint.save(self.outdir, self.comm, self.model, {
            "step": state.step, "t": state.t, "dt": self.ctl.dt, "dt_old": self.model.conc.dt_old,
            "peak": state.peak, "initiated": state.initiated, "history": self.writer.history,
            "probe_rows": self.writer.probe_rows, "resumed_at": state.resumed_at,
            "case_sha256": case_sha256(self.case)})
        state.saved = state.step

    # -- the loop -----------------------------------------------------------------------------
    def _stop_requested(self, stop: checkpoint.GracefulStop) -> tuple[str, str, str | None] | None:
        """(status, reason, stopped_by) if a signal, max_wall_time or max_steps ends the run
        before the next step (collective: every rank stops at the same step)."""
        state, time_section = self.state, self.case.time
        signal = stop.requested()
        if signal:
            return "stopped", f"{signal} received", signal
        wall_limit = time_section.max_wall_time
        if wall_limit and self.comm.allreduce(time.perf_counter() - self.started, op=MPI.MAX) >= wall_limit:
            return "stopped", (f"max_wall_time = {wall_limit:g} s reached at t = {state.t:.6g} s, "
                               f"SOC {self.writer.history[-1]['soc']:.4f}"), "max_wall_time"
        if state.step >= time_section.max_steps:
            return "stopped", f"max_steps = {time_section.max_steps} reached", None
        return None

    def _attempt_step(self, dt: float) -> tuple[int, float, int] | None:
        """Solve one step of length dt: (Newton iterations, concentration change, staggered
        iterations), or None after rejecting it (the step controller has cut dt)."""
        model, ctl, state = self.model, self.ctl, self.state
        try:
            newton = model.solve_transport(dt, state.t + dt)
            dc = model.max_increment()
            if ctl.too_large(dc, dt):
                raise SolverFailure(f"concentration changed by {dc:.3g} > 2 x dc_target in one step")
            staggered = model.solve_equilibrium()
            grown = model.damage_increment()
            if grown > self.case.fracture.max_damage_increment and ctl.can_cut(dt):
                raise SolverFailure(f"damage grew by {grown:.3g} in one step")
        except SolverFailure as err:
            model.reject()
            ctl.cut(str(err), dt)  # below dt_min: StepFailure, whose message carries err
            _log.info("step %d: %s; cutting dt from %.4g to %.4g s", state.step + 1, err, dt, ctl.dt)
            return None
        return newton, dc, staggered

    def _end_of_loading(self, reason: str) -> str:
        """Set `done` once the load has ended (time, SOC, or a surface at its limit: the voltage
        cut-off); returns the run's reason."""
        state, load, transport = self.state, self.case.loading, self.model.transport
        front_end = self.model.front_ended()
        if front_end is not None:  # a reaction front has consumed the core or stalled
            state.done = True
            return f"{front_end} at SOC {transport.soc():.4f}"
        sign = 1.0 if load.direction == "lithiation" else -1.0
        soc = transport.soc()
        c_lo, c_hi = transport.c_range()
        if load.mode in ("galvanostatic", "uniform"):
            state.done = state.t >= self.t_stop * (1 - 1e-12)
            if not state.done and (c_hi >= 1.0 if sign > 0 else c_lo <= 0.0):
                state.done = True
                return f"surface concentration reached its limit at SOC {soc:.4f} (voltage cut-off)"
        else:
            state.done = sign * (soc - load.soc_end) >= -1e-3 or state.t >= self.t_stop * (1 - 1e-12)
        return reason

    def run(self) -> tuple[str, str, str | None]:
        """Step to the end; returns (status, reason, stopped_by), status "complete", "stopped" or
        "failed", stopped_by the signal or "max_wall_time" for a run stopped early."""
        state, case, ctl, model = self.state, self.case, self.ctl, self.model
        self._start()
        status, reason, stopped_by = "complete", "end of loading", None
        self.loop_started = time.perf_counter()
        every_checkpoint = case.output.checkpoint_every
        try:
            with checkpoint.GracefulStop(self.comm) as stop:
                while not state.done:
                    stopped = self._stop_requested(stop)
                    if stopped:
                        status, reason, stopped_by = stopped
                        break
                    dt = ctl.propose(state.t, self.t_stop, model.time_step_limit(state.t))
                    solved = self._attempt_step(dt)
                    if solved is None:
                        continue
                    newton, dc, staggered = solved
                    model.accept()
                    ctl.accepted(dt, dc)
                    state.t += dt
                    state.step += 1
                    reason = self._end_of_loading(reason)
                    row = self.record(dt, newton, staggered)
                    if model.fracture and case.fracture.stop_at_fracture and \
                            fractured(case, row, self.writer.history[0]):
                        state.done, reason = True, f"fractured at SOC {row['soc']:.4f} (stop_at_fracture)"
                    _log.info("step %4d  t = %10.4g s  SOC = %.4f  dt = %9.3g s  Newton %d  max sigma_1 = %.4g GPa",
                              state.step, state.t, row["soc"], dt, newton, row["max_principal_stress"])
                    if every_checkpoint and state.step % every_checkpoint == 0 and not state.done:
                        self.save_checkpoint()
        except StepFailure as err:
            status, reason = "failed", str(err)
            _log.error("run failed: %s (last good state: step %d, t = %.6g s)", err, state.step, state.t)
        finally:
            self.writer.close()
        self.loop_ended = time.perf_counter()
        if status == "stopped":  # by a signal or max_steps: resumable from here
            if state.saved != state.step:
                self.save_checkpoint()
            reason += f"; checkpoint at step {state.step}: continue with `sifrac run CASE --resume {self.outdir}`"
        elif status == "complete":
            checkpoint.remove(self.outdir, self.comm)  # nothing left to resume
        if self.fields_on:  # the output fields still hold the last recorded (good) state
            self.writer.write_vtu(self.fields, "final_state.vtu",
                                  {"time": state.t, "soc": self.writer.history[-1]["soc"], "step": state.step})
        return status, reason, stopped_by

    def summary(self, status: str, reason: str) -> dict:
        """summary.json of the run that ended with `status` and `reason`."""
        case, model, state, comm, history = self.case, self.model, self.state, self.comm, self.writer.history
        last = history[-1]
        frac = case.fracture
        decided = fracture_reason(case, last, history[0]) if model.fracture else None
        fracture = {"fractured": decided is not None, "fractured_by": decided,
                    "crack_initiation_time": state.initiated.get("time"),
                    "crack_initiation_soc": state.initiated.get("soc"),
                    "crack_initiation_by": state.initiated.get("by"), "strength": frac.strength} \
            if model.fracture else {}
        if self.energy_release is not None:
            fracture["energy_release"] = self.energy_release.summary(case, history)
        return {
            "status": status, "reason": reason, "case": case.case.name,
            "case_sha256": case_sha256(case), **({"resumed_at_steps": state.resumed_at} if state.resumed_at else {}),
            "parameters_outside_published_range": materials.outside_published(self.parameters),
            "steps": state.step, "time": state.t, "soc": last["soc"],
            "final": {k: v for k, v in last.items() if k not in ("step", "time", "soc", "dt")},
            "extremes": {k: (max if k.startswith("max") else min)(r[k] for r in history)
                         for k in last if k.startswith(("max_", "min_"))},
            **fracture,
            **boundary_summary(history),
            "ranks": comm.size, "dofs": model.dofs(), "rigid_modes_in_null_space": len(model.mechanics.modes.free),
            "cells": self._cells(),
            "si_volume": model.transport.si_volume, "lithiation_area": model.transport.surface_area,
            "reference_length": model.bundle.reference_length,
            "wall_time": comm.allreduce(time.perf_counter() - self.started, op=MPI.MAX),
            "timings": {name: comm.allreduce(b - a, op=MPI.MAX) for name, a, b in
                        (("mesh", self.started, self.meshed), ("setup", self.meshed, self.loop_started),
                         ("time_loop", self.loop_started, self.loop_ended))},
            "solver_stats": model.stats.summary(comm), "peak_memory_mb": peak_memory_mb(comm),
            "versions": versions(), "git_commit": git_commit(),
        }
