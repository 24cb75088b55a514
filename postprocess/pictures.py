"""Off-screen PyVista pictures of meshes and fields."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyvista

pyvista.OFF_SCREEN = True

LABELS = {"concentration": "c / c_max", "damage": "damage d", "hoop_stress": "hoop stress (GPa)",
          "inplane_stress": "in-plane stress sigma_xx (GPa)", "von_mises": "von Mises stress (GPa)",
          "max_principal_stress": "max principal stress (GPa)", "hydrostatic_stress": "hydrostatic stress (GPa)"}


def _plotter(grid: pyvista.DataSet) -> pyvista.Plotter:
    p = pyvista.Plotter(off_screen=True, window_size=(900, 700))
    p.set_background("white")
    return p


def _interior(grid: pyvista.DataSet) -> pyvista.DataSet:
    """3D bodies show their inside: a full body loses its positive octant about its centre."""
    if np.ptp(grid.points[:, 2]) == 0 or _reduced(grid):
        return grid
    x0, x1, y0, y1, z0, z1 = grid.bounds
    c = [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2]
    return grid.clip_box([c[0], x1, c[1], y1, c[2], z1], invert=True, crinkle=False)


def _reduced(grid: pyvista.DataSet) -> bool:
    """A symmetry-reduced body (eighth sphere, ...) lies in x, y, z >= 0 with faces on the planes."""
    lo = np.asarray(grid.bounds[::2])
    return bool(np.all(np.abs(lo) <= 1e-9 * max(np.ptp(grid.points, axis=0).max(), 1.0)))


def _view(p: pyvista.Plotter, grid: pyvista.DataSet) -> None:
    if np.ptp(grid.points[:, 2]) == 0:
        p.view_xy()
    elif _reduced(grid):  # look at the symmetry planes, which show the interior
        p.view_vector((-1.0, -1.0, -0.8), viewup=(0, 0, 1))
    else:
        p.view_isometric()
    p.reset_camera()


def field_picture(grid: pyvista.DataSet, name: str, path: Path, warp: float = 0.0, title: str = "") -> Path:
    """A field of a gathered result grid, optionally on the deformed shape."""
    shown = grid.warp_by_vector("displacement", factor=warp) if warp and "displacement" in grid.point_data else grid
    shown = _interior(shown)
    p = _plotter(shown)
    cmap = {"concentration": "viridis", "damage": "inferno_r"}.get(name, "coolwarm")
    clim = None
    if cmap == "coolwarm":  # symmetric colour range so that tension and compression read at a glance
        m = float(np.abs(grid.point_data[name]).max()) or 1.0
        clim = (-m, m)
    p.add_mesh(shown, scalars=name, cmap=cmap, clim=clim, show_edges=False, lighting=False,
               scalar_bar_args={"title": LABELS.get(name, name), "color": "black"})
    if title:
        p.add_text(title, font_size=10, color="black")
    _view(p, shown)
    p.screenshot(str(path))
    p.close()
    return path


def mesh_picture(case: dict, comm, outdir: Path) -> None:
    """`sifrac mesh`: build the case's mesh, write it as .msh and .vtu, and a PNG coloured by region."""
    import meshes
    from dolfinx import plot

    from solver.outputs import gather_grid

    bundle = meshes.build(case["geometry"], comm, with_electrolyte=case["electrolyte"]["material"] != "liquid")
    mesh = bundle.mesh
    tdim = mesh.topology.dim
    n = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    region = np.zeros(n, dtype=np.int32)
    region[bundle.cell_tags.indices] = bundle.cell_tags.values
    grid = gather_grid(comm, *plot.vtk_mesh(mesh, tdim), cell_data={"region": region})
    if comm.rank != 0:
        return
    outdir.mkdir(parents=True, exist_ok=True)
    if case["geometry"]["kind"] != "file":  # a file mesh is already a mesh file
        meshes.write_msh(case["geometry"], outdir / "mesh.msh",
                         with_electrolyte=case["electrolyte"]["material"] != "liquid")
    grid.save(outdir / "mesh.vtu")
    p = _plotter(grid)
    p.add_mesh(grid, scalars="region", show_edges=True, cmap="Set2", categories=True,
               scalar_bar_args={"title": "region " + ", ".join(f"{v}={k}" for k, v in bundle.regions.items()),
                                "color": "black"})
    _view(p, grid)
    p.screenshot(str(outdir / "mesh.png"))
    p.close()
    written = [outdir / n for n in ("mesh.msh", "mesh.vtu", "mesh.png") if (outdir / n).exists()]
    print(f"mesh: {grid.n_cells} cells, regions {bundle.regions}, boundaries {sorted(bundle.boundaries)}; "
          f"written {', '.join(map(str, written))}")
