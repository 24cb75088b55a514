"""Off-screen PyVista pictures of meshes and fields."""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyvista

if TYPE_CHECKING:
    from sifrac.solver.case import Case


def headless_window() -> str | None:
    """The OpenGL window VTK should render with, set in VTK_DEFAULT_OPENGL_WINDOW (read when a
    render window is made). Linux VTK wheels try an X window first and, without a display, print
    a "bad X server connection" warning before falling back to EGL: with no DISPLAY and libEGL
    present, ask for EGL straight away. A choice made by the user is kept, and nothing is forced
    where libEGL is missing (a forced window VTK cannot open crashes it: OSMesa without libOSMesa
    segfaults)."""
    if "VTK_DEFAULT_OPENGL_WINDOW" not in os.environ and sys.platform.startswith("linux") \
            and not os.environ.get("DISPLAY") and ctypes.util.find_library("EGL"):
        os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = "vtkEGLRenderWindow"
    return os.environ.get("VTK_DEFAULT_OPENGL_WINDOW")


headless_window()
pyvista.OFF_SCREEN = True


LABELS = {"concentration": "c / c_max", "damage": "damage d", "hoop_stress": "hoop stress (GPa)",
          "inplane_stress": "in-plane stress sigma_xx (GPa)", "von_mises": "von Mises stress (GPa)",
          "max_principal_stress": "max principal stress (GPa)", "hydrostatic_stress": "hydrostatic stress (GPa)",
          "equivalent_plastic_strain": "equivalent plastic strain"}
# Signed fields: a diverging colormap centred on zero, so tension and compression read at a glance.
SIGNED = ("hoop_stress", "inplane_stress", "hydrostatic_stress", "max_principal_stress", "min_principal_stress")
# Never negative: a sequential colormap from zero.
NON_NEGATIVE = ("von_mises", "equivalent_plastic_strain")
# Fields between 0 and 1 by definition keep that range, so pictures of several states compare.
UNIT_RANGE = ("damage",)
SEQUENTIAL = {"concentration": "viridis", "damage": "inferno_r", "von_mises": "plasma",
              "equivalent_plastic_strain": "plasma"}
CONTEXT_COLOUR = "#d9d9d9"  # regions a field does not live on
REGION_NAMES = {"si": "Si"}  # as the titles write them
REGION_COLOURS = ("#e6ab02", "#7570b3", "#b87333", "#1b9e77", "#e7298a")  # by tag: si, electrolyte, collector


def colour_scale(name: str, values: np.ndarray) -> tuple[str, tuple[float, float]]:
    """Colormap and range of a field: diverging and symmetric about zero for signed fields (and
    any unknown field that goes negative), sequential from zero for never-negative ones (von
    Mises), [0, 1] for the damage, the data range for the concentration."""
    values = np.asarray(values, dtype=float)
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if name in SIGNED or (name not in SEQUENTIAL and lo < 0):
        m = max(abs(lo), abs(hi)) or 1.0
        return "coolwarm", (-m, m)
    cmap = SEQUENTIAL.get(name, "plasma")
    if name in UNIT_RANGE:
        return cmap, (0.0, 1.0)
    if name in NON_NEGATIVE or name not in SEQUENTIAL:
        lo = 0.0
    return cmap, (lo, hi if hi > lo else lo + 1.0)


def live_region(grid: pyvista.DataSet, name: str) -> tuple[pyvista.DataSet, pyvista.DataSet | None, list[str]]:
    """(the cells a field lives on, the other cells or None, the names of its regions).

    A run's snapshots carry the cell data `region` and the field data `<name>_regions` (e.g.
    the concentration lives in Si only): elsewhere the field is a placeholder that would spread
    a jagged band over the interface and squash the colour range, so it is not drawn there.
    """
    key = f"{name}_regions"
    if "region" not in grid.cell_data or key not in grid.field_data:
        return grid, None, []
    names = [str(n) for n in grid.field_data[key]]
    tags = dict(zip((str(n) for n in grid.field_data["region_names"]), grid.field_data["region_tags"]))
    inside = np.isin(grid.cell_data["region"], [tags[n] for n in names])
    if inside.all():
        return grid, None, names
    return grid.extract_cells(np.flatnonzero(inside)), grid.extract_cells(np.flatnonzero(~inside)), names


def _plotter() -> pyvista.Plotter:
    p = pyvista.Plotter(off_screen=True, window_size=(900, 700))
    p.set_background("white")
    return p


def _flat(grid: pyvista.DataSet) -> bool:
    return bool(np.ptp(grid.points[:, 2]) == 0)


def _interior(grid: pyvista.DataSet) -> pyvista.DataSet:
    """3D bodies show their inside: a full body loses its positive octant about its centre."""
    if _flat(grid) or _reduced(grid):
        return grid
    x0, x1, y0, y1, z0, z1 = grid.bounds
    c = [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2]
    return grid.clip_box([c[0], x1, c[1], y1, c[2], z1], invert=True, crinkle=False)


def _reduced(grid: pyvista.DataSet) -> bool:
    """A symmetry-reduced body (eighth sphere, ...) lies in x, y, z >= 0 with faces on the planes."""
    lo = np.asarray(grid.bounds[::2])
    return bool(np.all(np.abs(lo) <= 1e-9 * max(np.ptp(grid.points, axis=0).max(), 1.0)))


def view_name(grid: pyvista.DataSet, cut_open: bool = True) -> str:
    """What the picture shows, for its title: the plane of a 2D section, or how a 3D body is seen
    (`cut_open`: a full body drawn by `_interior`, one octant removed)."""
    if _flat(grid):
        return "2D section in the x-y plane"
    if _reduced(grid):
        return ("symmetry-reduced body (x, y, z >= 0) seen from inside:\n"
                "the faces in view are its symmetry planes x = 0, y = 0, z = 0")
    if cut_open:
        return "3D body with the octant x, y, z > centre cut away to show the inside"
    return "3D body seen from outside (isometric view)"


def _view(p: pyvista.Plotter, grid: pyvista.DataSet) -> None:
    """Orthographic views, so that the scale bar holds across the picture plane."""
    if _flat(grid):
        p.view_xy()
    elif _reduced(grid):  # look at the symmetry planes, which show the interior
        p.view_vector((-1.0, -1.0, -0.8), viewup=(0, 0, 1))
    else:
        p.view_isometric()
    p.enable_parallel_projection()
    p.reset_camera()


def nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k nm) of at most about a third of `span`."""
    target = span / 3.0
    if target <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target))


def _decorate(p: pyvista.Plotter, grid: pyvista.DataSet, title: str,
              legend: list[tuple[str, str]] | None = None, cut_open: bool = True) -> None:
    """Title (with the view), orientation triad, a scale bar in nm below the body and, for
    categories, a legend of (name, colour) squares beside it.

    Bar and legend lie in the picture plane, in front of the body, along the screen's axes: with
    the orthographic view the bar's length holds anywhere in that plane."""
    _view(p, grid)
    cam = p.camera
    forward = np.subtract(cam.focal_point, cam.position)
    forward /= np.linalg.norm(forward)
    up = np.asarray(cam.up, dtype=float)
    up -= forward * (up @ forward)
    up /= np.linalg.norm(up)
    right = np.cross(forward, up)
    rel = grid.points - np.asarray(grid.center)
    across, height, depth = rel @ right, rel @ up, rel @ forward
    width = float(np.ptp(across))
    length = nice_length(width)
    gap = 0.06 * float(max(width, np.ptp(height)))
    origin = np.asarray(grid.center) + forward * (depth.min() - gap)

    def at(x: float, y: float) -> np.ndarray:
        return origin + right * x + up * y

    def label(point: np.ndarray, text: str, horizontal: str, vertical: str) -> None:
        p.add_point_labels([point], [text], font_size=14, text_color="black", shape=None, show_points=False,
                           always_visible=True, justification_horizontal=horizontal,
                           justification_vertical=vertical)

    x0, y0 = across.min(), height.min() - gap
    p.add_mesh(pyvista.Line(at(x0, y0), at(x0 + length, y0)), color="black", line_width=5)
    label(at(x0 + length / 2, y0 - 0.8 * gap), f"{length:g} nm", "center", "top")
    side = 0.6 * gap
    for i, (name, colour) in enumerate(legend or []):
        x, y = x0 + 0.5 * width, y0 - i * 1.8 * side
        p.add_mesh(pyvista.Rectangle([at(x, y), at(x + side, y), at(x + side, y - side)]), color=colour,
                   lighting=False)
        label(at(x + 1.6 * side, y - side / 2), name, "left", "center")
    p.add_axes(interactive=False, color="black", line_width=3, viewport=(0.0, 0.0, 0.16, 0.16))
    p.add_text("\n".join(t for t in (title, view_name(grid, cut_open)) if t), font_size=11, color="black",
               position="upper_left")
    p.reset_camera()
    # shift the body left by 8% of the picture width, clear of the colour bar on the right
    w, h = p.window_size
    shift = right * 0.16 * cam.parallel_scale * w / h
    cam.focal_point = np.add(cam.focal_point, shift)
    cam.position = np.add(cam.position, shift)


def field_picture(grid: pyvista.DataSet, name: str, path: Path, warp: float = 0.0, title: str = "") -> Path:
    """A field of a gathered result grid, optionally on the deformed shape, drawn only on the
    regions it lives on (the others in grey), on the colour scale its sign calls for."""
    shown = grid.warp_by_vector("displacement", factor=warp) if warp and "displacement" in grid.point_data else grid
    shown = _interior(shown)
    live, rest, regions = live_region(shown, name)
    cmap, clim = colour_scale(name, live.point_data[name])
    p = _plotter()
    where = ", ".join(REGION_NAMES.get(r, r) for r in regions)
    label = LABELS.get(name, name).replace(" (", "\n(") + (f"\nin {where} only" if rest is not None else "")
    p.add_mesh(live, scalars=name, cmap=cmap, clim=clim, show_edges=False, lighting=False,
               scalar_bar_args={"title": label, "color": "black", "vertical": True, "position_x": 0.82,
                                "position_y": 0.22, "width": 0.07, "height": 0.56, "title_font_size": 16,
                                "label_font_size": 14, "fmt": "%.3g"})
    if rest is not None:
        p.add_mesh(rest, color=CONTEXT_COLOUR, show_edges=False, lighting=False)
    _decorate(p, shown, title)
    p.screenshot(str(path))
    p.close()
    return path


def region_picture(grid: pyvista.DataSet, regions: dict[str, int], path: Path, title: str = "") -> Path:
    """The mesh coloured by region, with a legend naming each region (a category, not a scale)."""
    p = _plotter()
    legend = []
    for name, tag in sorted(regions.items(), key=lambda kv: kv[1]):
        cells = np.flatnonzero(grid.cell_data["region"] == tag)
        if cells.size:
            colour = REGION_COLOURS[(tag - 1) % len(REGION_COLOURS)]
            p.add_mesh(grid.extract_cells(cells), color=colour, show_edges=True, edge_color="#333333",
                       line_width=0.5, lighting=False)
            legend.append((f"{name} ({cells.size} cells)", colour))
    _decorate(p, grid, title, legend, cut_open=False)
    p.screenshot(str(path))
    p.close()
    return path


def mesh_picture(case: Case, comm, outdir: Path) -> None:
    """`sifrac mesh`: build the case's mesh, write it as .msh and .vtu, and a PNG coloured by region."""
    from sifrac import meshes
    from dolfinx import plot

    from sifrac.solver.outputs import Regions, gather_grid

    bundle = meshes.build(case.geometry, comm, with_electrolyte=case.electrolyte.material != "liquid")
    mesh = bundle.mesh
    topo, types, x = plot.vtk_mesh(mesh, mesh.topology.dim)
    region = Regions.of(mesh, bundle.cell_tags, bundle.regions, {}).cell_tags[:len(types)]
    grid = gather_grid(comm, topo, types, x, cell_data={"region": region})
    if comm.rank != 0:
        return
    outdir.mkdir(parents=True, exist_ok=True)
    if case.geometry.kind != "file":  # a file mesh is already a mesh file
        meshes.write_msh(case.geometry, outdir / "mesh.msh",
                         with_electrolyte=case.electrolyte.material != "liquid")
    grid.save(outdir / "mesh.vtu")
    region_picture(grid, bundle.regions, outdir / "mesh.png",
                   title=f"{case.case.name}: mesh, {grid.n_cells} cells")
    written = [outdir / n for n in ("mesh.msh", "mesh.vtu", "mesh.png") if (outdir / n).exists()]
    print(f"mesh: {grid.n_cells} cells, regions {bundle.regions}, boundaries {sorted(bundle.boundaries)}; "
          f"written {', '.join(map(str, written))}")
