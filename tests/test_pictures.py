"""Pictures and plots of `sifrac report` and `sifrac mesh`: colour scales that fit each field, fields
drawn only where they live, categorical region pictures, energies in their real units."""

import numpy as np
import pytest

pyvista = pytest.importorskip("pyvista")

from sifrac.postprocess import pictures  # noqa: E402
from sifrac.postprocess.plots import energy_unit  # noqa: E402
from sifrac.postprocess.report import energies_per_depth  # noqa: E402


def two_region_film(nx: int = 20, ny: int = 20) -> pyvista.UnstructuredGrid:
    """A 200 x 200 nm square: Si (tag 1) on top of Cu (tag 3), as a run's snapshot carries it,
    with a concentration that is a placeholder 0 in the Cu and 0.5-0.6 in the Si."""
    grid = pyvista.ImageData(dimensions=(nx + 1, ny + 1, 1), spacing=(200.0 / nx, 200.0 / ny, 1.0),
                             origin=(-100.0, -100.0, 0.0)).cast_to_unstructured_grid()
    centres = grid.cell_centers().points
    grid.cell_data["region"] = np.where(centres[:, 1] > 0, 1, 3).astype(np.int32)
    y = grid.points[:, 1]
    grid.point_data["concentration"] = np.where(y >= 0, 0.5 + 0.1 * y / 100.0, 0.0)
    grid.point_data["von_mises"] = 1.0 + grid.points[:, 0] / 100.0
    grid.field_data["region_names"] = ["si", "collector"]
    grid.field_data["region_tags"] = [1, 3]
    grid.field_data["concentration_regions"] = ["si"]
    return grid


def pixels_of(path, colour: str) -> int:
    """How many pixels of the PNG have exactly this colour."""
    import matplotlib.image

    image = (matplotlib.image.imread(path)[:, :, :3] * 255).round().astype(int)
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(image == rgb, axis=2).sum())


@pytest.mark.parametrize("name, values, cmap, clim", [
    ("von_mises", [0.3, 2.5], "plasma", (0.0, 2.5)),              # never negative: sequential from 0
    ("equivalent_plastic_strain", [0.0, 0.2], "plasma", (0.0, 0.2)),
    ("hoop_stress", [-2.0, 1.0], "coolwarm", (-2.0, 2.0)),         # signed: diverging, centred on 0
    ("max_principal_stress", [0.5, 1.5], "coolwarm", (-1.5, 1.5)),  # signed even where all positive
    ("hydrostatic_stress", [-3.0, -1.0], "coolwarm", (-3.0, 3.0)),
    ("damage", [0.0, 0.3], "inferno_r", (0.0, 1.0)),               # [0, 1] by definition
    ("concentration", [0.2, 0.8], "viridis", (0.2, 0.8)),
    ("some_new_field", [-1.0, 4.0], "coolwarm", (-4.0, 4.0)),
    ("some_new_field", [1.0, 4.0], "plasma", (0.0, 4.0)),
])
def test_colour_scale_fits_the_sign_of_the_field(name, values, cmap, clim):
    assert pictures.colour_scale(name, np.array(values)) == (cmap, pytest.approx(clim))


def test_a_field_lives_on_its_regions_only():
    grid = two_region_film()
    live, rest, names = pictures.live_region(grid, "concentration")
    assert names == ["si"] and rest is not None
    assert set(np.unique(live.cell_data["region"])) == {1} and set(np.unique(rest.cell_data["region"])) == {3}
    assert live.n_cells + rest.n_cells == grid.n_cells
    assert live.point_data["concentration"].min() == pytest.approx(0.5)  # the Cu placeholder is gone
    # a field without a `<name>_regions` entry (stresses) lives everywhere
    whole, none, _ = pictures.live_region(grid, "von_mises")
    assert whole.n_cells == grid.n_cells and none is None


def test_concentration_picture_greys_out_the_collector(tmp_path):
    """The Cu half is drawn in the context grey, not in the colormap; a stress covers both."""
    grid = two_region_film()
    conc = pictures.field_picture(grid, "concentration", tmp_path / "c.png", title="test")
    stress = pictures.field_picture(grid, "von_mises", tmp_path / "s.png", title="test")
    area = 900 * 700
    assert pixels_of(conc, pictures.CONTEXT_COLOUR) > 0.05 * area
    assert pixels_of(stress, pictures.CONTEXT_COLOUR) < 0.001 * area  # a few anti-aliased text pixels


def test_region_picture_has_one_colour_per_region(tmp_path):
    grid = two_region_film()
    path = pictures.region_picture(grid, {"si": 1, "collector": 3}, tmp_path / "mesh.png", title="mesh")
    si, _, cu = pictures.REGION_COLOURS[:3]
    assert pixels_of(path, si) > 5000 and pixels_of(path, cu) > 5000


def test_titles_say_which_view():
    flat = two_region_film()
    assert pictures.view_name(flat) == "2D section in the x-y plane"
    eighth = pyvista.ImageData(dimensions=(3, 3, 3), spacing=(10.0, 10.0, 10.0), origin=(0.0, 0.0, 0.0))
    assert "seen from inside" in pictures.view_name(eighth) and "symmetry planes" in pictures.view_name(eighth)
    whole = pyvista.ImageData(dimensions=(3, 3, 3), spacing=(10.0, 10.0, 10.0), origin=(-10.0, -10.0, -10.0))
    assert "cut away" in pictures.view_name(whole) and "from outside" in pictures.view_name(whole, cut_open=False)


@pytest.mark.parametrize("span, length", [(400.0, 100.0), (1000.0, 200.0), (30.0, 10.0), (250.0, 50.0)])
def test_scale_bar_is_a_round_third_or_less(span, length):
    assert pictures.nice_length(span) == length


@pytest.mark.parametrize("values, per_depth, factor, unit", [
    ([120.0], True, 1.0, "nJ/m"),          # 1 GPa nm^2 = 1e-9 J/m
    ([2.5e9], True, 1e-9, "J/m"),
    ([3.2e5], False, 1e-3, "fJ"),          # 1 GPa nm^3 = 1e-18 J: 3.2e5 aJ = 320 fJ
    ([4.0e6, -1.0], False, 1e-6, "pJ"),
    ([0.0], False, 1.0, "aJ"),
])
def test_energy_unit(values, per_depth, factor, unit):
    got_factor, got_unit = energy_unit(values, per_depth)
    assert got_unit == unit and got_factor == pytest.approx(factor)
    assert 1.0 <= max(abs(v) for v in values) * got_factor < 1000.0 or values == [0.0]


@pytest.mark.parametrize("case, per_depth", [
    ('[geometry]\ndim = 2\n[mechanics]\nout_of_plane = "plane_strain"\n', True),
    ('[geometry]\ndim = 2\n[mechanics]\nout_of_plane = "generalized"\n', True),
    ('[geometry]\ndim = 2\n[mechanics]\nout_of_plane = "axisymmetric"\n', False),  # weighted by 2 pi r
    ('[geometry]\ndim = 3\n[mechanics]\nout_of_plane = "plane_strain"\n', False),
])
def test_energies_per_depth_follow_the_run(tmp_path, case, per_depth):
    (tmp_path / "case.toml").write_text(case)
    assert energies_per_depth(tmp_path) is per_depth


def test_headless_linux_asks_vtk_for_egl(monkeypatch):
    """Without a display, VTK's X window prints 'bad X server connection' before falling back:
    EGL is asked for up front where libEGL is present, and a user's own choice is kept."""
    import ctypes.util
    import sys

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("VTK_DEFAULT_OPENGL_WINDOW", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libEGL.so.1" if name == "EGL" else None)
    assert pictures.headless_window() == "vtkEGLRenderWindow"
    monkeypatch.setenv("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")
    assert pictures.headless_window() == "vtkOSOpenGLRenderWindow"
    monkeypatch.delenv("VTK_DEFAULT_OPENGL_WINDOW")
    monkeypatch.setenv("DISPLAY", ":0")
    assert pictures.headless_window() is None


@pytest.mark.mpi
def test_snapshots_gathered_from_two_ranks_carry_every_cell_region(tmp_path_factory):
    """Under mpiexec -n 2: the film on Cu (an LLZO cap too) written as one VTU on rank 0 has one
    region tag per cell, as many Si, Cu and LLZO cells as the distributed mesh owns."""
    from mpi4py import MPI

    from sifrac.solver import bootstrap  # noqa: F401
    from sifrac.solver.case import resolve_case
    from sifrac.solver.run import run

    comm = MPI.COMM_WORLD
    out = comm.bcast(str(tmp_path_factory.mktemp("regions")) if comm.rank == 0 else None, root=0)
    case = resolve_case({"geometry": {"kind": "thin_film", "dim": 2, "thickness": 100.0, "width": 200.0,
                                      "substrate": "collector", "substrate_thickness": 50.0, "cap": True,
                                      "cap_thickness": 50.0, "mesh_size": 20.0},
                         "active": {"material": "a-Si"}, "electrolyte": {"material": "LLZO"},
                         "loading": {"direction": "delithiation", "soc_end": 0.995},
                         "output": {"probes": []}}, "regions")
    result = run(case, comm, out)
    assert result.status == "complete", result.reason
    if comm.rank == 0:
        grid = pyvista.read(f"{out}/final_state.vtu")
        tags = dict(zip((str(n) for n in grid.field_data["region_names"]), grid.field_data["region_tags"]))
        counts = {name: int(np.sum(grid.cell_data["region"] == tag)) for name, tag in tags.items()}
        assert set(counts) == {"si", "electrolyte", "collector"} and min(counts.values()) > 0
        assert sum(counts.values()) == grid.n_cells == result.summary["cells"]
        assert list(grid.field_data["concentration_regions"]) == ["si"]
