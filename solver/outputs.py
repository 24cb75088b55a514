"""Result files: history.csv, probes.csv, summary.json, case.toml, parameters.csv, field series and a
final VTU.

Rank 0 writes every scalar file. history.csv and probes.csv grow by one appended block of whole
lines per step (a killed run leaves whole lines; a resumed run first rewrites them from its
checkpoint); the others are written to a temporary name and renamed, so a killed run never leaves
a truncated file. Field series are ADIOS2 VTX folders (`fields.bp`, `stress.bp`) that ParaView
opens directly; `final_state.vtu` is a gathered snapshot of the last state that pictures and
reports read without ADIOS2.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from dolfinx import fem, plot
from dolfinx.io import VTXWriter

from sifrac.solver.case import CaseError
from sifrac.solver.materials import PROVENANCE_COLUMNS
from sifrac.solver.probes import COMPONENTS


@dataclass(frozen=True)
class Regions:
    """What the gathered VTU snapshots carry so that pictures draw each field where it lives.

    `cell_tags`: the region tag of every local cell (owned and ghost), in `plot.vtk_mesh` order;
    `names`: region name -> tag; `lives_on`: field name -> the regions it is defined on (Li in
    Si only; damage on the [fracture] regions); fields not listed live everywhere.
    """

    cell_tags: np.ndarray
    names: dict[str, int]
    lives_on: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, mesh, cell_tags, names: dict[str, int], lives_on: dict[str, tuple[str, ...]]) -> "Regions":
        imap = mesh.topology.index_map(mesh.topology.dim)
        tags = np.zeros(imap.size_local + imap.num_ghosts, dtype=np.int32)
        tags[cell_tags.indices] = cell_tags.values
        return cls(tags, dict(names), {k: tuple(r for r in v if r in names) for k, v in lives_on.items()})


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def csv_text(columns: list[str], rows: list[dict], header: bool = True) -> str:
    """CSV lines of `rows` (floats as repr, so that they read back exactly), after a header line."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: (repr(float(v)) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()})
    return buf.getvalue()


class ResultWriter:
    """Collects the per-step records of a run and writes them under one directory."""

    def __init__(self, outdir: Path, comm, case_toml: str, parameters: list[dict],
                 fields: list[fem.Function] | None, stress: fem.Function | None,
                 probe_columns: tuple[str, ...], series_tag: str = "", regions: Regions | None = None) -> None:
        """`parameters`: the material parameters with their sources (`materials.provenance`),
        written to parameters.csv beside case.toml. `series_tag` names the field series of a
        resumed run (fields<tag>.bp): a VTX series cannot be appended to, so each segment of a
        resumed run writes its own. `regions` go into the VTU snapshots (cell data `region`)."""
        self.outdir = Path(outdir)
        self.comm = comm
        self.regions = regions
        self.history: list[dict] = []
        self.probe_rows: list[dict] = []
        self.last_probes: np.ndarray | None = None  # rank 0: the latest probe values
        self.probe_columns = ["time", "probe", "x", "y", "z", "c", *COMPONENTS, *probe_columns]
        error = None
        if comm.rank == 0:  # `run.check_paths` has vetted the directory; this catches what it cannot see
            try:
                self.outdir.mkdir(parents=True, exist_ok=True)
                write_atomic(self.outdir / "case.toml", case_toml)
                write_atomic(self.outdir / "parameters.csv", csv_text(PROVENANCE_COLUMNS, parameters))
            except OSError as err:
                error = f"output directory {self.outdir}: cannot be written ({err.strerror or err})"
        error = comm.bcast(error, root=0)  # every rank raises, none waits
        if error:
            raise CaseError(error)
        self._vtx = []
        if fields:
            self._vtx.append(VTXWriter(comm, self.outdir / f"fields{series_tag}.bp", fields, engine="BP4"))
        if stress is not None:
            self._vtx.append(VTXWriter(comm, self.outdir / f"stress{series_tag}.bp", [stress], engine="BP4"))

    def restore(self, history: list[dict], probe_rows: list[dict]) -> None:
        """Take over the rows of a checkpointed run: history.csv and probes.csv are rewritten with
        them (a run killed after its checkpoint may have written more) and continue them."""
        self.history = list(history)
        self.probe_rows = list(probe_rows) if self.comm.rank == 0 else []
        if self.comm.rank == 0:
            write_atomic(self.outdir / "history.csv", csv_text(list(self.history[0]), self.history))
            if self.probe_rows:
                write_atomic(self.outdir / "probes.csv", csv_text(self.probe_columns, self.probe_rows))

    def record(self, row: dict, probes: np.ndarray | None, points: np.ndarray) -> None:
        """Append one step to history.csv (and its probe values to probes.csv)."""
        self.history.append(row)
        if self.comm.rank != 0:
            return
        self.last_probes = probes
        self._append("history.csv", list(self.history[0]), [row], len(self.history) == 1)
        if probes is not None and len(points):
            names = self.probe_columns[5:]
            rows = [{"time": row["time"], "probe": i, "x": p[0], "y": p[1], "z": p[2], **dict(zip(names, vals))}
                    for i, (p, vals) in enumerate(zip(points, probes))]
            self.probe_rows.extend(rows)
            self._append("probes.csv", self.probe_columns, rows, len(self.probe_rows) == len(rows))

    def _append(self, name: str, columns: list[str], rows: list[dict], first: bool) -> None:
        """Start a CSV file (header and rows, atomically) or append rows to it in one write."""
        if first:
            write_atomic(self.outdir / name, csv_text(columns, rows))
            return
        with open(self.outdir / name, "ab", buffering=0) as f:
            f.write(csv_text(columns, rows, header=False).encode())

    def write_fields(self, t: float) -> None:
        for w in self._vtx:
            w.write(t)

    def write_summary(self, summary: dict) -> None:
        if self.comm.rank == 0:
            text = json.dumps(_finite(summary), indent=2, default=jsonable, allow_nan=False)
            write_atomic(self.outdir / "summary.json", text + "\n")

    def write_vtu(self, functions: list[fem.Function], name: str, meta: dict[str, float]) -> None:
        """Gather P1 functions on rank 0 into one VTU (`gather_grid`).

        `meta` (time, SOC, ...) goes into the VTU's field data for titles and reports; with
        `regions`, the cell data `region` (tags), the field data `region_names`/`region_tags` and
        `<field>_regions` (where a field lives) go in too.
        """
        topology, cell_types, x = plot.vtk_mesh(functions[0].function_space)
        grid = gather_grid(self.comm, topology, cell_types, x,
                           point_data={f.name: f.x.array.reshape(x.shape[0], -1) for f in functions},
                           cell_data=None if self.regions is None else
                           {"region": self.regions.cell_tags[:len(cell_types)]})
        if grid is None:
            return
        if self.regions is not None:
            grid.field_data["region_names"] = list(self.regions.names)
            grid.field_data["region_tags"] = list(self.regions.names.values())
            for field, names in self.regions.lives_on.items():
                if field in grid.point_data and names:
                    grid.field_data[f"{field}_regions"] = list(names)
        for k, v in meta.items():
            grid.field_data[k] = [v]
        grid.save(self.outdir / name)

    def close(self) -> None:
        for w in self._vtx:
            w.close()
        self._vtx = []


def gather_grid(comm, topology: np.ndarray, cell_types: np.ndarray, x: np.ndarray,
                point_data: dict[str, np.ndarray] | None = None, cell_data: dict[str, np.ndarray] | None = None):
    """Gather each rank's piece of a mesh (`dolfinx.plot.vtk_mesh`) and its point data (rows per
    point) and cell data on rank 0 into one pyvista grid; None on the other ranks. Shared nodes are
    duplicated, which is harmless for viewing and reading values."""
    import pyvista

    point_data, cell_data = point_data or {}, cell_data or {}
    parts = comm.gather((topology, cell_types, x, point_data, cell_data), root=0)
    if comm.rank != 0:
        return None
    topo, offset = [], 0
    for part_topology, part_types, part_x, _, _ in parts:
        cells = part_topology.reshape(len(part_types), -1).copy()
        cells[:, 1:] += offset
        topo.append(cells.ravel())
        offset += part_x.shape[0]
    grid = pyvista.UnstructuredGrid(np.concatenate(topo), np.concatenate([p[1] for p in parts]),
                                    np.vstack([p[2] for p in parts]))
    for k in point_data:
        arr = np.vstack([p[3][k] for p in parts])
        if arr.shape[1] == 2:  # pad 2D vectors so ParaView and PyVista treat them as vectors
            arr = np.hstack([arr, np.zeros((arr.shape[0], 1))])
        grid.point_data[k] = arr[:, 0] if arr.shape[1] == 1 else arr
    for k in cell_data:
        grid.cell_data[k] = np.concatenate([p[4][k] for p in parts])
    return grid


def _finite(obj):
    """NaN/inf (e.g. a COD that a geometry does not define) become null: summary.json stays JSON."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None
    return obj


def jsonable(obj):
    """The JSON form of numpy scalars and paths (json.dumps' `default`)."""
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")
