"""The command line as a user meets it: exit codes, one-line errors, nothing written on bad input."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def sifrac(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sifrac.solver.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def headless() -> dict:
    """The environment of a machine without a display (a cluster node, a container, CI)."""
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "VTK_DEFAULT_OPENGL_WINDOW")}


def quiet_without_display(stderr: str) -> bool:
    """-q and no display: nothing on stderr, no VTK 'bad X server connection' warning (with its
    ANSI colour codes) either; sifrac renders with EGL where libEGL is installed (no check without)."""
    import ctypes.util

    return stderr == "" or ctypes.util.find_library("EGL") is None


MALFORMED = [
    ("[geometry]\ndiamter = 150.0\n", [], "[geometry] diamter"),
    ("[geometry]\ndiameter = -150.0\n", [], "[geometry] diameter"),
    ("[geometry]\ndiameter = \"big\"\n", [], "[geometry] diameter"),
    ("[geometry]\nkind = \"cube\"\n", [], "[geometry] kind"),
    ("[geometry]\ndim = 4\n", [], "[geometry] dim"),
    ("[active]\nmaterial = \"Si\"\n", [], "[active] material"),
    ("[electrolyte]\nmaterial = \"c-Si\"\n", [], "[electrolyte] material"),
    ("[loading]\nc_rate = true\n", [], "[loading] c_rate"),
    ("[loading]\nmode = \"pulsed\"\n", [], "[loading] mode"),
    ("[loading]\ndirection = \"delithiation\"\nsoc_end = 1.0\n", [], "[loading] soc_end"),
    ("[output]\nprobes = [[1.0]]\n", [], "[output] probes"),
    ("[solvers]\nmechanics = \"lu\"\n", [], "[solvers]"),
    ("[geometry\nkind = \"particle\"\n", [], "case.toml"),
    ("", ["geometry.diameter=nan"], "[geometry] diameter"),
    ("", ["geometry.kind=file"], "[geometry] file"),
    ("", ["geometry.wrongkey=1"], "[geometry] wrongkey"),
    ("", ["geometry.kind=file", "geometry.file=no/such/mesh.msh"], '[geometry] file = "no/such/mesh.msh": no such file'),
    ("[geometry]\ndiameter = 50.0\nmesh_size = 500.0\n", [], "[geometry] mesh_size_surface = 500.0: elements "
     "this size cannot resolve the Si body (radius 25.0 nm"),
    ("[geometry]\ndim = 3\nsymmetry = true\n[output]\nprobes = [[10.0, 0.0]]\n", [],
     "[output] probes[0] = [10.0, 0.0]: a 3D case (dim = 3) needs points [x, y, z]"),
    # found only on the mesh, and the free particle's solver would set MUMPS options: still one line
    ("[geometry]\nmesh_size = 30.0\n[output]\nprobes = [[1000.0, 0.0]]\n", [],
     "[output] probes[0] = [1000.0, 0.0, 0.0]: outside the mesh"),
    ("", ["loading.surfaces=[\"nowhere\"]", "geometry.mesh_size=30.0"], "[loading] surfaces"),
]


@pytest.mark.parametrize("text,overrides,key", MALFORMED)
def test_bad_input_exits_2_with_one_message(tmp_path, text, overrides, key):
    case = tmp_path / "case.toml"
    case.write_text(text)
    out = tmp_path / "out"
    args = ["run", str(case), "--output", str(out)]
    for o in overrides:
        args += ["--set", o]
    proc = sifrac(*args)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""  # PETSc prints its "Option left" list there
    assert not out.exists()


def _refused(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2 and one line on stderr naming what is wrong, no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


SMALL = ["--set", "geometry.mesh_size=30.0", "--set", "time.t_end=10.0"]


@pytest.mark.parametrize("command", ["run", "mesh"])
def test_output_that_is_a_regular_file_is_refused(tmp_path, command):
    target = tmp_path / "results"
    target.write_text("keep me\n")
    _refused(sifrac(command, str(ROOT / "cases" / "particle_first_lithiation.toml"), "--output", str(target), *SMALL),
             f"output directory {target}: exists and is not a directory")
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_output_below_a_regular_file_is_refused(tmp_path):
    """A directory that cannot be created, whoever runs (root too): its parent is a file."""
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "run"
    _refused(sifrac("run", str(ROOT / "cases" / "particle_first_lithiation.toml"), "--output", str(target), *SMALL),
             f"output directory {target}: cannot be created: {tmp_path / 'file'} is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where no one can create a directory")
def test_output_where_no_directory_can_be_made_is_refused():
    """/proc admits no new directory, even for root, who passes every permission check: the
    failure of the first write itself is then the one-line error (after the mesh was built)."""
    _refused(sifrac("run", str(ROOT / "cases" / "particle_first_lithiation.toml"), "--output", "/proc/sifrac_out",
                    *SMALL), "output directory /proc/sifrac_out: cannot")
    assert not Path("/proc/sifrac_out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories; "
                    "test_output_below_a_regular_file_is_refused covers root")
def test_output_in_a_read_only_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        _refused(sifrac("run", str(ROOT / "cases" / "particle_first_lithiation.toml"), "--output",
                        str(locked / "run"), *SMALL), f"no write permission on {locked}")
        assert not any(locked.iterdir())
    finally:
        locked.chmod(0o755)


def test_coarse_crack_band_is_warned_with_the_numbers(tmp_path):
    """h > ell / 2 where cracks start runs, with a warning that gives both sizes."""
    proc = sifrac("-q", "run", str(ROOT / "cases" / "film_delithiation_notch.toml"), "--output", str(tmp_path / "r"),
                  "--set", "geometry.mesh_size=24.0", "--set", "geometry.mesh_size_surface=12.0",
                  "--set", "loading.soc_end=0.99", "--set", "output.fields=false")
    assert proc.returncode == 0, proc.stderr
    assert "[geometry] mesh_size_surface = 12.0 nm > ell / 2 = 8.0 nm ([fracture] length_scale = 16.0 nm)" \
        in proc.stderr


def test_materials_table_lists_sources():
    proc = sifrac("materials")
    assert proc.returncode == 0
    for name in ("c-Si", "a-Si", "LLZO", "Li6PS5Cl", "Cu", "liquid"):
        assert name in proc.stdout
    assert "Pharr" in proc.stdout and "Hopcroft" in proc.stdout


def test_help_names_each_verb_argument():
    """`sweep` takes a study file (a [sweep] table and its base case), `run` and `mesh` a case file."""
    sweep = sifrac("sweep", "--help")
    assert sweep.returncode == 0 and "TOML study file" in sweep.stdout and "case file" not in sweep.stdout
    for verb in ("run", "mesh"):
        assert "TOML case file" in sifrac(verb, "--help").stdout


def test_mesh_command_writes_mesh_and_picture(tmp_path):
    proc = sifrac("-q", "mesh", str(ROOT / "cases" / "demo_particle.toml"), "--output", str(tmp_path),
                  "--set", "geometry.mesh_size=80.0", env=headless())
    assert proc.returncode == 0, proc.stderr
    assert quiet_without_display(proc.stderr), proc.stderr
    for name in ("mesh.msh", "mesh.vtu", "mesh.png"):
        assert (tmp_path / name).stat().st_size > 0
    # a file mesh is drawn too (and not rewritten)
    proc = sifrac("mesh", str(ROOT / "cases" / "demo_particle.toml"), "--output", str(tmp_path / "file"),
                  "--set", "geometry.kind=file", "--set", f"geometry.file={tmp_path / 'mesh.msh'}")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "file" / "mesh.png").stat().st_size > 0 and not (tmp_path / "file" / "mesh.msh").exists()


def test_run_writes_results_and_report(tmp_path):
    out = tmp_path / "run"
    proc = sifrac("run", str(ROOT / "cases" / "demo_particle.toml"), "--output", str(out),
                  "--set", "geometry.mesh_size=80.0", "--set", "geometry.mesh_size_surface=60.0",
                  "--set", "time.t_end=200.0", "--set", "active.yield_stress=2.5")
    assert proc.returncode == 0, proc.stderr
    assert "step" in proc.stderr  # progress on the log stream
    for name in ("history.csv", "probes.csv", "summary.json", "case.toml", "parameters.csv", "final_state.vtu"):
        assert (out / name).exists(), name
    # every material value with its source; the override outside its published range is said
    with open(out / "parameters.csv", newline="") as f:
        params = {(r["section"], r["key"]): r for r in csv.DictReader(f)}
    assert params["active", "yield_stress"]["origin"] == "case"
    assert params["active", "yield_stress"]["in_published_range"] == "no"
    assert "Sethuraman" in params["active", "yield_stress"]["source"]
    assert params["active", "E"]["origin"] == "library" and params["active", "E"]["in_published_range"] == "yes"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters_outside_published_range"] == ["active.yield_stress = 2.5 (published 0.5-2)"]
    assert "yield_stress = 2.5 (published 0.5-2) lies outside its published range" in proc.stderr
    assert (out / "fields.bp").is_dir()
    header = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["step", "time", "soc", "dt", "elastic_energy", "max_principal_stress"]
    assert (out / "probes.csv").read_text().splitlines()[0] == "time,probe,x,y,z,c,sxx,syy,szz,sxy,sxz,syz"
    proc = sifrac("-q", "report", str(out), env=headless())
    assert proc.returncode == 0, proc.stderr
    assert quiet_without_display(proc.stderr), proc.stderr
    assert (out / "report.md").exists() and (out / "figures" / "history.png").exists()
    assert "outside their published range: **active.yield_stress = 2.5 (published 0.5-2)**" in \
        (out / "report.md").read_text()
    # the resolved case reproduces the run's input
    proc = sifrac("run", str(out / "case.toml"), "--output", str(tmp_path / "again"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again" / "history.csv").read_text() == (out / "history.csv").read_text()


def test_solver_trouble_cuts_the_step_then_exits_3_with_the_last_good_state(tmp_path):
    """A case built to fail: one alternate-minimisation iteration per step cannot converge once the
    damage grows, so the step is cut down to dt_min; the run then stops with exit status 3 and keeps
    the last good state (history up to it, final_state.vtu of it). Each cut is reported at the
    default log level, with its reason, so a crawling run says why."""
    import pyvista

    out = tmp_path / "run"
    sets = ["geometry.mesh_size=16.0", "geometry.mesh_size_surface=8.0", "loading.soc_end=0.9",
            "time.dc_target=0.004", "fracture.max_iterations=1", "time.dt_min=1.0"]
    proc = sifrac("run", str(ROOT / "cases" / "film_delithiation_notch.toml"), "--output", str(out),
                  *[a for s in sets for a in ("--set", s)])
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("alternate minimisation did not converge in 1 iterations") >= 3
    assert proc.stderr.count("cutting dt") >= 2
    last_line = proc.stderr.strip().splitlines()[-1]
    assert last_line.startswith("sifrac: error: solver stopped:") and "dt_min = 1 s" in last_line
    assert "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "cannot be cut below dt_min" in summary["reason"]
    good = summary["steps"]
    assert good >= 5
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == good + 2 and history[-1].startswith(f"{good},")
    final = pyvista.read(out / "final_state.vtu")
    assert final.field_data["step"][0] == good
    assert final.field_data["time"][0] == pytest.approx(summary["time"], rel=1e-12)


def test_fracture_report_and_provenance(tmp_path):
    """A cracking film: summary.json records where the result came from, and `sifrac report` draws
    damage, concentration and stress at crack initiation, peak, end and the chosen steps, with the
    history plots, into report.md and one self-contained report.html."""
    import base64
    import re

    import numpy as np
    import pyvista

    from sifrac.solver import bootstrap  # noqa: F401
    import dolfinx
    import gmsh
    from petsc4py import PETSc

    from sifrac.solver import __version__
    from sifrac.solver.case import case_sha256, load_case

    out = tmp_path / "run"
    sets = ["geometry.mesh_size=24.0", "geometry.mesh_size_surface=10.0", "loading.soc_end=0.945",
            "time.dc_target=0.01", "output.snapshot_every=5"]
    proc = sifrac("-q", "run", str(ROOT / "cases" / "film_delithiation_notch.toml"), "--output", str(out),
                  *[a for s in sets for a in ("--set", s)])
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT).returncode == 1
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", summary["git_commit"])
    assert summary["git_commit"] == head + ("-dirty" if dirty else "")
    assert summary["versions"] == {"sifrac": __version__, "dolfinx": dolfinx.__version__,
                                   "petsc": ".".join(map(str, PETSc.Sys.getVersion())), "gmsh": gmsh.__version__}
    assert summary["ranks"] == 1
    assert summary["case_sha256"] == case_sha256(load_case(out / "case.toml"))
    assert summary["case_sha256"] != case_sha256(load_case(out / "case.toml", ["fracture.length_scale=17.0"]))

    proc = sifrac("report", str(out), "--steps", "7")
    assert proc.returncode == 2 and "available: 0, 5, 10" in proc.stderr and not (out / "figures").exists()
    proc = sifrac("report", str(out), "--steps", "5,10")
    assert proc.returncode == 0, proc.stderr
    # the snapshots say which cells are Si and which Cu, and where each field lives
    final = pyvista.read(out / "final_state.vtu")
    assert set(np.unique(final.cell_data["region"])) == {1, 3}
    assert list(final.field_data["region_names"]) == ["si", "collector"]
    assert list(final.field_data["concentration_regions"]) == ["si"]
    assert list(final.field_data["damage_regions"]) == ["si"]
    assert "von_mises_regions" not in final.field_data
    figs = {p.name for p in (out / "figures").glob("*.png")}
    for state in ("initiation_state", "peak_state", "final_state", "state_step_000005", "state_step_000010"):
        for field in ("damage", "concentration", "max_principal_stress", "von_mises"):
            assert f"{state}_{field}.png" in figs
    assert {"history.png", "fracture.png"} <= figs
    page = (out / "report.html").read_text()
    embedded = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(embedded) == len(figs) and "src='figures/" not in page
    assert base64.b64decode(embedded[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "figures/final_state_damage.png" in (out / "report.md").read_text()
