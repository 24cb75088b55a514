"""What a study writes into its directory (rank 0 only), next to the runs in runs/<id>/:

- sweep.csv: one row per run (SWEEP_COLUMNS), rewritten after every round;
- summary.json: the study's status, bracket, critical value, target and runs;
- study.toml: the resolved study (`sifrac sweep` on it repeats the study), parameters.csv;
- at the end: criterion.png, compare_<column>.png, trend.png and pictures/<run>_<field>.png.
Each file is written atomically, so an interrupted study leaves readable files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tomli_w

from sifrac.postprocess.keys import lookup
from sifrac.solver import log, materials
from sifrac.solver.energy_release import critical_size_by_interpolation
from sifrac.solver.outputs import csv_text, write_atomic
from sifrac.solver.versions import git_commit, versions
from sifrac.solver.case import format_value, is_finite
from sifrac.solver.studies.plan import Study, label, run_case
from sifrac.solver.studies.schema import Sweep
from sifrac.solver.studies.strategies import Record, Strategy, criterion_text

_log = log.get("sweep")

SWEEP_COLUMNS = ["run", "value", "status", "criterion_value", "criterion", "fractured",
                 "crack_initiation_soc", "max_damage", "max_principal_stress", "steps", "cells",
                 "wall_time", "ranks", "reused", "round", "outdir", "G_max_over_Gc"]


def _row(r: Record) -> dict:
    s = r.summary
    final, extremes = s.get("final", {}), s.get("extremes", {})
    return {"run": r.spec.id, "value": r.spec.value if not isinstance(r.spec.value, list)
            else format_value(r.spec.value), "status": r.status,
            "criterion_value": r.criterion_value, "criterion": r.met, "fractured": s.get("fractured"),
            "crack_initiation_soc": s.get("crack_initiation_soc"), "max_damage": final.get("max_damage"),
            "max_principal_stress": extremes.get("max_principal_stress"), "steps": s.get("steps"),
            "cells": s.get("cells"), "wall_time": s.get("wall_time"), "ranks": s.get("ranks"),
            "reused": r.reused, "round": r.round, "outdir": str(r.outdir),
            "G_max_over_Gc": s.get("energy_release", {}).get("G_max_over_Gc")}


def _study_toml(study: Study) -> str:
    """The resolved study: [sweep] with every default, then the base case as given (--set applied).

    The base stays raw so that derived values keep following the parameter when it is re-run.
    """
    sweep = {k: v for k, v in study.sweep.to_dict().items() if k != "base"}
    base = {k: v for k, v in study.base_raw.items()}
    base["case"] = {**base.get("case", {}), "name": study.base_name}
    return (f"# sifrac study {study.name!r}, resolved: `sifrac sweep` on this file repeats it\n\n"
            + tomli_w.dumps({"sweep": sweep, **base}))


def target_met(target: list | None, critical: float | None, bracket: list | None = None) -> bool | None:
    """Whether the critical value lies in the study's published target [lo, hi] (None: no target
    or no critical value). A study that stopped before its tolerance (failed, max_runs) passes its
    bracket, which is all it knows: True only if the bracket lies inside the target, False if it
    lies outside, None if it straddles an edge (a wide bracket's midpoint proves nothing)."""
    if target is None or critical is None:
        return None
    if bracket is not None:
        lo, hi = sorted(bracket)
        if target[0] <= lo and hi <= target[1]:
            return True
        return False if hi < target[0] or lo > target[1] else None
    return bool(target[0] <= critical <= target[1])


def critical_size_energy_release(sweep: Sweep, records: list[Record]) -> float | None:
    """A grid over geometry.diameter: the diameter where the runs' max G / Gc reaches 1,
    interpolated in log-log between the two runs that bracket it (`critical_size_by_interpolation`;
    None without a bracket or without the energy-release output)."""
    if sweep.mode != "grid" or sweep.parameter != "geometry.diameter":
        return None
    points = [(r.spec.value, r.summary["energy_release"]["G_max_over_Gc"]) for r in records
              if r.status == "complete" and "energy_release" in r.summary and is_finite(r.spec.value)]
    if len(points) < 2:
        return None
    sizes, ratios = zip(*points)
    return critical_size_by_interpolation(list(sizes), list(ratios), 1.0)


def write_outputs(study: Study, outdir: Path, records: list[Record], strategy: Strategy,
                  groups: int, ranks_per_run: int, wall: float, final: bool) -> None:
    """sweep.csv, summary.json and study.toml (each atomically); the figures at the end."""
    outdir.mkdir(parents=True, exist_ok=True)
    sw = study.sweep
    write_atomic(outdir / "study.toml", _study_toml(study))
    write_atomic(outdir / "parameters.csv", csv_text(materials.PROVENANCE_COLUMNS, study.parameters))
    write_atomic(outdir / "sweep.csv", csv_text(SWEEP_COLUMNS, [_row(r) for r in records]))
    summary = {
        "study": study.name, "status": strategy.status if final else "running",
        "message": strategy.message, "mode": sw.mode, "parameter": sw.parameter,
        "criterion": sw.criterion, "critical_value": strategy.critical_value,
        "critical_size_energy_release": critical_size_energy_release(sw, records),
        "bracket": strategy.bracket, "initial_bracket": sw.bracket,
        "tolerance": sw.tolerance,
        "assumption": "the criterion is monotone in the parameter" if sw.mode == "bisection" else None,
        "target": sw.target, "target_source": sw.target_source,
        "target_met": target_met(sw.target, strategy.critical_value,
                                 None if strategy.status == "complete" else strategy.bracket),
        "runs": len(records), "runs_reused": sum(r.reused for r in records),
        "rounds": 1 + max((r.round for r in records), default=0),
        "groups": groups, "ranks_per_run": ranks_per_run, "wall_time": wall,
        "base_case": study.base_name, "study_file": str(study.source),
        "parameters": {"file": "parameters.csv",
                       "changed_from_library": [f"{r['section']}.{r['key']}" for r in study.parameters
                                                if r["origin"] == "case"],
                       "outside_published_range": materials.outside_published(study.parameters)},
        "runs_table": [{"run": r.spec.id, "value": r.spec.value, "status": r.status,
                        "criterion": r.met} for r in records],
        "versions": versions(), "git_commit": git_commit(),
    }
    write_atomic(outdir / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    if final and records:
        _figures(study, outdir, records, strategy)


def _figures(study: Study, outdir: Path, records: list[Record], strategy: Strategy) -> None:
    from sifrac.postprocess.plots import overlay_plot, read_history, sweep_plot, trend_plot

    sw = study.sweep
    name = sw.parameter or "variant"
    sweep_plot([_row(r) for r in records], name, criterion_text(sw.criterion),
               outdir / "criterion.png", strategy.bracket, strategy.critical_value,
               title=f"{study.name}: {strategy.status}", target=sw.target)
    histories = {}
    for r in sorted(records, key=lambda r: (not is_finite(r.spec.value), r.spec.value
                                             if is_finite(r.spec.value) else str(r.spec.value))):
        path = r.outdir / "history.csv"
        if path.is_file():
            histories[label(r.spec.value) if sw.mode != "variants" else r.spec.id] = read_history(path)
    for column in sw.compare or []:
        curves = {run: (h[sw.compare_x], h[column]) for run, h in histories.items()
                  if column in h and sw.compare_x in h}
        if not curves:
            _log.warning("compare: no run has history columns %s and %s", sw.compare_x, column)
            continue
        overlay_plot(curves, sw.compare_x, column, outdir / f"compare_{column}.png",
                     title=f"{study.name}: {column} ({name})")
    if sw.trend_x and sw.trend_y:
        trend_plot(trend_points(study, outdir, records), sw.trend_x, sw.trend_y,
                   outdir / "trend.png", title=f"{study.name}: against {sw.trend_x}")
    if sw.pictures:
        _pictures(sw.pictures, outdir, records)


def trend_points(study: Study, outdir: Path, records: list[Record]) -> dict[str, tuple[Any, dict]]:
    """run -> (its resolved case's trend_x value or None, {trend_y key: summary value or None})."""
    section, key = study.sweep.trend_x.split(".", 1)
    points = {}
    for r in records:
        x = run_case(study, r.spec, outdir).to_dict()[section].get(key)
        ys = {}
        for k in study.sweep.trend_y:
            try:
                ys[k] = lookup(r.summary, k)
            except KeyError:
                ys[k] = None
        points[r.spec.id] = (x if is_finite(x) else None, ys)
    return points


def _pictures(fields: list[str], outdir: Path, records: list[Record]) -> None:
    """pictures/<run>_<field>.png from each run's final state (the damaged region at the end)."""
    import pyvista

    from sifrac.postprocess.pictures import field_picture

    (outdir / "pictures").mkdir(exist_ok=True)
    for r in records:
        vtu = r.outdir / "final_state.vtu"
        if not vtu.is_file():
            _log.warning("pictures: run %s has no final_state.vtu (is [output] fields = false?)", r.spec.id)
            continue
        grid = pyvista.read(vtu)
        for name in fields:
            if name not in grid.point_data:
                _log.warning("pictures: run %s has no field %r; it has %s", r.spec.id, name,
                             ", ".join(grid.point_data.keys()))
                continue
            soc = r.summary.get("soc")
            at = f" (SOC {soc:.2f})" if soc is not None else ""
            field_picture(grid, name, outdir / "pictures" / f"{r.spec.id}_{name}.png",
                          title=f"{r.spec.id}: {name} at the end{at}")
