"""Case files: defaults, derived values, overrides, round trips and the error messages."""

import json
import math
from pathlib import Path

import pytest

from sifrac.solver import materials
from sifrac.solver.case import Case, CaseError, dump_case, load_case, parse_overrides, reference_markdown, resolve_case
from sifrac.solver.case.introspect import schemas
from sifrac.solver.case.keys import meta_of, type_of

SCHEMA = schemas(Case)

_CASES = Path(__file__).parents[1] / "cases"
REPO_FILES = sorted([*_CASES.glob("*.toml"), *_CASES.glob("studies/*.toml")])
REPO_STUDIES = [p for p in REPO_FILES if "[sweep]" in p.read_text()]
REPO_CASES = [p for p in REPO_FILES if p not in REPO_STUDIES]

VARIANTS = {
    "default": "",
    "film3d": '[geometry]\nkind = "thin_film"\ndim = 3\ncap = true\nnotch_depth = 100\n'
              '[electrolyte]\nmaterial = "LLZO"\nE = 140\n'
              '[loading]\ndirection = "delithiation"\nstress_assisted = true\n',
    "hollow": '[geometry]\nkind = "hollow_sphere"\ndiameter = 400\nmatrix = true\nmesh_size_surface = 10\n'
              '[electrolyte]\nmaterial = "Li6PS5Cl"\n',
    "file": '[geometry]\nkind = "file"\nfile = "mesh.msh"\n'
            'region_map = {si = 1, electrolyte = "SSE"}\n'
            '[loading]\nmode = "potentiostatic"\nsurfaces = ["outer"]\n'
            '[solver.petsc_options]\nksp_type = "cg"\nksp_max_it = 50\nksp_monitor = true\n'
            '[output]\nprobes = [[1, 2], [3.5, 4.0, 0]]\n[time]\nt_end = 500\n',
}


def _write(tmp_path: Path, text: str, name: str = "case") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def _values(tree):
    """Every leaf of a nested dict/list."""
    if isinstance(tree, dict):
        for v in tree.values():
            yield from _values(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from _values(v)
    else:
        yield tree


def test_empty_file_resolves_to_a_full_case(tmp_path):
    resolved = load_case(_write(tmp_path, "", "my_case"))
    case = resolved.to_dict()
    assert list(case) == list(SCHEMA)
    assert case["case"] == {"name": "my_case", "description": ""}
    geo = case["geometry"]
    assert geo == {"kind": "particle", "dim": 2, "symmetry": False, "mesh_size": 10.0,
                   "mesh_size_surface": 10.0, "diameter": 150.0, "matrix": False}
    assert case["active"] == {"material": "c-Si", **materials.get("c-Si").values()}
    assert case["electrolyte"] == {"material": "liquid"}
    assert case["collector"] == {"material": "Cu", "E": 120.0, "nu": 0.34}
    assert resolved.loading.soc_start == 0.0 and resolved.loading.soc_end == 1.0
    assert case["output"] == {"dir": "results/my_case", "every": 1, "fields": True, "probes": [],
                              "checkpoint_every": 0, "snapshot_every": 0}
    assert resolved.solver.petsc_options == {}
    assert resolved.loading.surfaces is None and resolved.time.t_end is None
    assert "surfaces" not in case["loading"] and "t_end" not in case["time"]
    assert None not in list(_values(case))
    json.dumps(case)


@pytest.mark.parametrize("variant", VARIANTS)
def test_round_trip_and_idempotence(tmp_path, variant):
    case = load_case(_write(tmp_path, VARIANTS[variant], variant))
    again = load_case(_write(tmp_path, dump_case(case), "elsewhere"))
    assert again == case
    assert resolve_case(case.to_dict(), "other") == case


def _given(table: dict, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """(key path, value) of every leaf a TOML table sets."""
    out = []
    for key, value in table.items():
        out += _given(value, prefix + (key,)) if isinstance(value, dict) else [(prefix + (key,), value)]
    return out


def _at(case: dict, path: tuple[str, ...]):
    for key in path:
        case = case[key]
    return case


def _as_resolved(path: tuple[str, ...], value):
    """A given value as resolution stores it: points and vectors padded to [x, y, z]."""
    if path in (("output", "probes"), ("loading", "displacement")):
        pad = lambda p: [*p, 0.0][:3]  # noqa: E731
        return [pad(p) for p in value] if path[-1] == "probes" else pad(value)
    return value


@pytest.mark.parametrize("path", REPO_CASES, ids=[p.name for p in REPO_CASES])
def test_repository_cases_resolve_to_what_they_say(path, tmp_path):
    """Every shipped case resolves, keeps every value its file sets (no default or material value
    overrides a given one) and survives the resolved round trip unchanged."""
    import tomllib

    raw = tomllib.loads(path.read_text())
    resolved = load_case(path)
    case = resolved.to_dict()
    for key, value in _given(raw):
        assert _at(case, key) == _as_resolved(key, value), key
    assert load_case(_write(tmp_path, dump_case(resolved), path.stem)) == resolved


@pytest.mark.parametrize("path", REPO_STUDIES, ids=[p.name for p in REPO_STUDIES])
def test_repository_studies_resolve_every_run(path, tmp_path):
    """Every shipped study validates on 2 concurrent runs (max_runs, distinct run ids), and every run
    it checks (bracket ends, grid values, variants) resolves with its own override applied on top of
    the study's sections, which override the base case's."""
    import tomllib

    from sifrac.solver.studies.plan import load_study, run_case, run_spec, validate

    study = load_study(path)
    validate(study, tmp_path, 2)
    sections = {k: v for k, v in tomllib.loads(path.read_text()).items() if k != "sweep"}
    sw = study.sweep
    values = sw.bracket if sw.mode == "bisection" else sw.values if sw.mode == "grid" \
        else list(sw.variants)
    for value in values:
        spec = run_spec(study, value)
        resolved = run_case(study, spec, tmp_path)
        case = resolved.to_dict()
        assert resolved.output.dir == str(tmp_path / "runs" / spec.id)
        for key, given in _given(sections):
            if key not in {p for p, _ in spec.overrides}:
                assert _at(case, key) == _as_resolved(key, given), (value, key)
        for key, given in spec.overrides:
            assert _at(case, key) == _as_resolved(key, given), (value, key)
            if key[-1] == "material" and given != "liquid":  # the library values come with the name
                assert _at(case, key[:-1])["E"] == materials.get(given).values()["E"], (value, key)


def test_variant_values(tmp_path):
    film = load_case(_write(tmp_path, VARIANTS["film3d"]))
    g = film.geometry
    assert (g.width, g.depth, g.substrate_thickness, g.cap_thickness,
            g.notch_width) == (2000.0, 500.0, 500.0, 500.0, 100.0)
    assert film.electrolyte.to_dict() == {"material": "LLZO", **materials.get("LLZO").values(), "E": 140.0}
    assert (film.loading.soc_start, film.loading.soc_end,
            film.loading.surface_concentration) == (1.0, 0.0, 0.0)
    hollow = load_case(_write(tmp_path, VARIANTS["hollow"])).geometry
    assert (hollow.inner_diameter, hollow.matrix_size) == (350.0, 800.0)
    file_case = load_case(_write(tmp_path, VARIANTS["file"]))
    assert file_case.output.probes == [[1.0, 2.0, 0.0], [3.5, 4.0, 0.0]]
    assert file_case.geometry.mesh_size == pytest.approx(100.0 / 15)
    assert file_case.geometry.region_map == {"si": 1, "electrolyte": "SSE"}
    assert file_case.solver.petsc_options == {"ksp_type": "cg", "ksp_max_it": 50,
                                              "ksp_monitor": True}


def test_overrides(tmp_path):
    path = _write(tmp_path, "[geometry]\ndiameter = 150\n")
    case = load_case(path, ["geometry.diameter=200", "active.material=a-Si", "active.E=100",
                            "solver.petsc_options.ksp_type=cg", 'case.description="x = y"'])
    assert case.geometry.diameter == 200.0 and isinstance(case.geometry.diameter, float)
    assert case.geometry.mesh_size == pytest.approx(200.0 / 15)
    assert case.active.to_dict() == {**materials.get("a-Si").values(), "material": "a-Si", "E": 100.0}
    assert case.solver.petsc_options == {"ksp_type": "cg"}
    assert case.case.description == "x = y"


def test_override_switches_kind_and_keeps_other_kinds_keys(tmp_path):
    path = _write(tmp_path, "[geometry]\nthickness = 500\n")
    case = load_case(path, ["geometry.kind=nanowire", "geometry.dim=3"])
    assert case.geometry.length == 300.0
    assert case.geometry.thickness == 500.0
    assert "width" not in case.geometry.to_dict()


def test_parse_overrides():
    assert parse_overrides(["a.b=1", " a.b.c = x y ", "l.s=true", "o.p=[[1, 2]]", "t.x=1e-3",
                            "m.n=c-Si", "q.r=1\nz = 2"]) == [
        (("a", "b"), 1), (("a", "b", "c"), "x y"), (("l", "s"), True), (("o", "p"), [[1, 2]]),
        (("t", "x"), 1e-3), (("m", "n"), "c-Si"), (("q", "r"), "1\nz = 2")]


def test_time_auto_values(tmp_path):
    t = load_case(_write(tmp_path, "")).time
    assert (t.dt_initial, t.dt_min, t.dt_max) == (36.0, 0.0036, 360.0)
    capped = "[loading]\nc_rate = 2\nsoc_end = 0.5\n[time]\ndt_max = 5\n"
    t = load_case(_write(tmp_path, capped)).time
    assert (t.dt_initial, t.dt_min, t.dt_max) == (5.0, 5e-4, 5.0)
    t = load_case(_write(tmp_path, '[loading]\nmode = "potentiostatic"\n')).time
    assert t.dt_initial == pytest.approx(150.0**2 / 100.0 / 100)
    stop = '[loading]\nmode = "potentiostatic"\n[time]\nt_end = 50\n'
    t = load_case(_write(tmp_path, stop)).time
    assert (t.dt_initial, t.dt_max, t.t_end) == (0.5, 5.0, 50.0)


def test_resolve_does_not_touch_its_input():
    raw = {"geometry": {"diameter": 100}, "output": {"probes": [[1, 2]]}}
    resolve_case(raw, "x")
    assert raw == {"geometry": {"diameter": 100}, "output": {"probes": [[1, 2]]}}


def test_schema_is_documented():
    doc = reference_markdown()
    for section, spec in SCHEMA.items():
        assert f"## [{section}]" in doc
        keys = list(spec.keys())
        for member in [spec.base, *spec.members.values()]:
            for i, (key, field) in enumerate(member.model_fields.items()):
                assert field.description and f"`{key}`" in doc
                if type_of(field) in ("float", "points"):
                    assert meta_of(field).unit, f"{section}.{key} has no unit"
                for other, _values_ in meta_of(field).when:  # conditions read earlier, literal keys
                    assert keys.index(other) < i and not meta_of(member.model_fields[other]).auto


# label: (case file text, --set items, fragments the message must contain)
BAD = {
    "unknown section": (
        "[foo]\nx = 1\n", [],
        ["[foo]: unknown section", "allowed sections: active, case"]),
    "section not a table": (
        "geometry = 5\n", [], ["[geometry] = 5", "expected a table"]),
    "unknown key": (
        "[geometry]\ndiamter = 100\n", [],
        ["[geometry] diamter: unknown key", "allowed keys:", "diameter, dim", "inner_diameter"]),
    "wrong type": (
        '[loading]\nc_rate = "fast"\n', [],
        ['[loading] c_rate = "fast": expected a number', "in (0, 1000] (1/h)"]),
    "bool as number": (
        "[geometry]\ndiameter = true\n", [],
        ["[geometry] diameter = true: expected a number > 0 (nm)"]),
    "float as int": (
        "[time]\nmax_steps = 10.5\n", [], ["[time] max_steps = 10.5", "integer >= 1"]),
    "negative size": (
        "[geometry]\ndiameter = -5\n", [], ["[geometry] diameter = -5: must be > 0 (nm)"]),
    "nan": (
        '[geometry]\nkind = "thin_film"\nthickness = nan\n', [],
        ["[geometry] thickness = nan", "finite number > 0 (nm)"]),
    "inf override": (
        "", ["loading.c_rate=inf"],
        ["[loading] c_rate = inf", "finite number in (0, 1000]"]),
    "bad choice": (
        '[geometry]\nkind = "cube"\n', [],
        ['[geometry] kind = "cube": must be one of "particle"', '"thin_film"', '"file"']),
    "crack growth without a flaw": (
        '[fracture]\nmodel = "AT1"\ncriterion = "crack_growth"\n', [],
        ['[fracture] criterion = "crack_growth"', "pre-existing crack", "surface_flaw"]),
    "crack growth ratio <= 1": (
        '[fracture]\nmodel = "AT1"\ncriterion = "crack_growth"\nsurface_flaw = 16\n'
        'crack_growth_ratio = 1.0\n', [], ["[fracture] crack_growth_ratio = 1", "> 1"]),
    "bad int choice": (
        "[geometry]\ndim = 4\n", [], ["[geometry] dim = 4: must be one of 2, 3"]),
    "unknown material": (
        '[active]\nmaterial = "Si"\n', [],
        ['[active] material = "Si": unknown material; allowed: a-Si, c-Si']),
    "wrong role material": (
        '[electrolyte]\nmaterial = "c-Si"\n', [],
        ['[electrolyte] material = "c-Si": not an electrolyte; allowed: CSSE, LATP',
         "Li6PS5Cl", "PEO, liquid"]),
    "material param out of range": (
        "[active]\nnu = 0.5\n", [], ["[active] nu = 0.5: must be in (-1, 0.5)"]),
    "param of another role": (
        '[electrolyte]\nmaterial = "LLZO"\nexpansion = 1\n', [],
        ["[electrolyte] expansion: unknown key", "E, Gc, K_IC, material, nu"]),
    "param of liquid": (
        "[electrolyte]\nE = 5\n", [],
        ["[electrolyte] E = 5", 'not a parameter of liquid material "liquid"', "allowed: none"]),
    "inner >= outer diameter": (
        '[geometry]\nkind = "hollow_sphere"\ndiameter = 400\ninner_diameter = 400\n', [],
        ["[geometry] inner_diameter = 400.0: must be < diameter = 400.0 (nm)"]),
    "matrix too small": (
        "[geometry]\nmatrix = true\nmatrix_size = 100\n", [],
        ["[geometry] matrix_size = 100.0: must be > diameter = 150.0 (nm)"]),
    "notch deeper than film": (
        '[geometry]\nkind = "thin_film"\nthickness = 100\nnotch_depth = 150\n', [],
        ["[geometry] notch_depth = 150.0: must be < thickness = 100.0 (nm)"]),
    "notch wider than film": (
        '[geometry]\nkind = "thin_film"\nwidth = 100\nnotch_width = 100\n', [],
        ["[geometry] notch_width = 100.0: must be < width = 100.0 (nm)"]),
    "probe shape": (
        "[output]\nprobes = [[1.0]]\n", [],
        ["[output] probes[0] = [1.0]", "[x, y] or [x, y, z] of finite numbers (nm)"]),
    "probes not a list": (
        "[output]\nprobes = 3\n", [], ["[output] probes = 3", "[x, y] or [x, y, z]"]),
    "probe without z in 3D": (
        "[geometry]\ndim = 3\n[output]\nprobes = [[0, 0, 0], [10, 20]]\n", [],
        ["[output] probes[1] = [10.0, 20.0]: a 3D case (dim = 3) needs points [x, y, z]"]),
    "elements larger than the particle": (
        "[geometry]\ndiameter = 50\nmesh_size = 500\n", [],
        ["[geometry] mesh_size_surface = 500.0: elements this size cannot resolve the Si body (radius 25.0 nm: "
         "fewer than 2 elements across; mesh_size = 500.0); allowed: mesh_size_surface <= 12.5 nm"]),
    "elements thicker than the hollow sphere's wall": (
        '[geometry]\nkind = "hollow_sphere"\ndiameter = 400\nmesh_size_surface = 13\n', [],
        ["[geometry] mesh_size_surface = 13.0", "wall thickness 25.0 nm", "allowed: mesh_size_surface <= 12.5 nm"]),
    "film of one element": (
        '[geometry]\nkind = "thin_film"\nthickness = 100\nmesh_size = 60\n', [],
        ["[geometry] mesh_size_surface = 60.0", "film thickness 100.0 nm", "<= 50.0 nm"]),
    "probe z in 2D": (
        "[output]\nprobes = [[0, 0], [1, 2, 3]]\n", [],
        ["[output] probes[1] = [1.0, 2.0, 3.0]", "0 or absent", "dim = 2"]),
    "override without =": (
        "", ["geometry.diameter"], ["--set geometry.diameter", "section.key=value"]),
    "override without dot": (
        "", ["diameter=3"], ["--set diameter=3", "section.key=value"]),
    "override empty key": (
        "", ["geometry.=3"], ["--set geometry.=3", "section.key=value"]),
    "override into a scalar": (
        "[geometry]\ndiameter = 150\n", ["geometry.diameter.x=1"],
        ["--set geometry.diameter.x", "geometry.diameter = 150 is not a table"]),
    "soc_end vs lithiation": (
        "[loading]\nsoc_start = 0.5\nsoc_end = 0.2\n", [],
        ['[loading] soc_end = 0.2: must be > soc_start = 0.5 for direction = "lithiation"']),
    "soc_end vs delithiation": (
        '[loading]\ndirection = "delithiation"\nsoc_end = 1.0\n', [],
        ['[loading] soc_end = 1.0: must be < soc_start = 1.0 for direction = "delithiation"']),
    "soc out of range": (
        "[loading]\nsoc_start = 1.5\n", [], ["[loading] soc_start = 1.5: must be in [0, 1]"]),
    "missing file": (
        '[geometry]\nkind = "file"\n', [], ['[geometry] file: required when kind = "file"']),
    "dt_min > dt_initial": (
        "[time]\ndt_initial = 1\ndt_min = 2\n", [],
        ["[time] dt_min = 2.0: must be <= dt_initial = 1.0 (s)"]),
    "growth range": (
        "[time]\ngrowth = 1\n", [], ["[time] growth = 1: must be in (1, 4]"]),
    "petsc option not scalar": (
        "[solver.petsc_options]\nksp_type = [1]\n", [],
        ["[solver] petsc_options.ksp_type = [1]", "a string, a finite number or a boolean"]),
    "surfaces not a list": (
        '[loading]\nsurfaces = "outer"\n', [],
        ['[loading] surfaces = "outer"', "non-empty list of strings"]),
    "surface coupling without potentiostatic": (
        "[loading]\nsurface_stress_coupling = true\n", [],
        ["[loading] surface_stress_coupling = true", 'allowed with mode = "galvanostatic": false']),
    "generalized plane strain with the coupled solve": (
        '[geometry]\nkind = "nanowire"\n[loading]\nmode = "potentiostatic"\nsurface_stress_coupling = true\n', [],
        ['[mechanics] out_of_plane = "generalized"', "surface_stress_coupling", "allowed: plane_strain"]),
    "bool expected": (
        "[output]\nfields = 1\n", [], ["[output] fields = 1: expected true or false"]),
}


@pytest.mark.parametrize("label", BAD)
def test_malformed_case(tmp_path, label):
    text, overrides, expected = BAD[label]
    with pytest.raises(CaseError) as info:
        load_case(_write(tmp_path, text), overrides)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_body_resolution_bounds_are_inclusive(tmp_path):
    """Exactly 2 elements across the span resolve: radius 25 nm takes mesh_size_surface = 12.5,
    a 25 nm wall 12.5, a 100 nm film 50; a file mesh brings its own sizes (no check)."""
    for text in ("[geometry]\ndiameter = 50\nmesh_size = 12.5\n",
                 '[geometry]\nkind = "hollow_sphere"\ndiameter = 400\nmesh_size_surface = 12.5\n',
                 '[geometry]\nkind = "thin_film"\nthickness = 100\nmesh_size = 50\n',
                 '[geometry]\nkind = "file"\nfile = "m.msh"\nmesh_size = 1e5\n'):
        load_case(_write(tmp_path, text))


def test_resolution_warnings_name_the_sizes():
    """h > ell / 2 on the surfaces (and in the flaw's ball) is warned, h = ell / 2 is not; no
    fracture model, no warning."""
    from sifrac.solver.case import resolution_warnings

    def warnings(**fracture):
        geometry = {"diameter": 150.0, "mesh_size": 10.0, "mesh_size_surface": 4.0, "top_refine_radius": 30.0,
                    "mesh_size_top": 2.0}
        return resolution_warnings(resolve_case({"geometry": geometry, "fracture": fracture}, "x"))

    assert warnings(model="AT1", length_scale=8.0) == []
    assert warnings(model="none", length_scale=2.0) == []
    assert warnings(model="AT1", length_scale=6.0) == [
        "[geometry] mesh_size_surface = 4.0 nm > ell / 2 = 3.0 nm ([fracture] length_scale = 6.0 nm): the crack "
        "band is not resolved there, so damage and strength depend on the mesh"]
    assert [w.split(" =")[0] for w in warnings(model="AT2", length_scale=3.0)] == \
        ["[geometry] mesh_size_surface", "[geometry] mesh_size_top"]


def test_broken_toml_names_the_file(tmp_path):
    path = _write(tmp_path, "[geometry\ndiameter = 1\n", "broken")
    with pytest.raises(CaseError, match=r"broken\.toml: invalid TOML: .*line 1"):
        load_case(path)


def test_missing_file(tmp_path):
    with pytest.raises(CaseError, match=r"nothere\.toml: cannot read case file"):
        load_case(tmp_path / "nothere.toml")


def test_non_finite_rejected_everywhere(tmp_path):
    """Every float key of every section refuses nan."""
    for section, spec in SCHEMA.items():
        for key, field in spec.keys().items():
            if type_of(field) == "float":
                with pytest.raises(CaseError, match=rf"\[{section}\] {key} = nan"):
                    resolve_case({section: {key: math.nan}}, "x")


def test_docs_case_reference_is_current():
    """docs/case-reference.md is generated from SCHEMA (`make docs`); it must not drift."""
    from pathlib import Path

    from sifrac.solver.case import reference_markdown

    doc = Path(__file__).parents[1] / "docs" / "case-reference.md"
    assert doc.read_text() == reference_markdown(), "run `make docs` to regenerate docs/case-reference.md"


#: case_sha256 of every shipped case as the dict-case engine computed it before the case became typed
#: models (main 2f53561 with the materials of branch front-integration, 965c110: one partial molar
#: volume and the reaction-front parameters, which every resolved [active] section now lists):
#: sweeps reuse run directories and `--resume` accepts checkpoints by this hash, so the same
#: resolved case must keep it.
PINNED_SHA256 = {
    "demo_particle.toml": "2e6c279ac397a07b78814e292a66a1189558b8ade539716419faa59ea8e9d40e",
    "film_delithiation_llzo.toml": "0d576de6a1556bebfe4c33691a49807f848835527673d4229cd960e30a5555ac",
    "film_delithiation_notch.toml": "8e4823b829f677116d8a88dc63809e2b8bef0542c43d73ac043af078bd704e69",
    "particle_first_lithiation.toml": "cd9df1a4477c81bb5ae5c2b8f4746c7a5828e31467058271df89055d710c4cb7",
    "sent_miehe2010.toml": "8db6145db9c646f1418689af01ab50929133663552f6814386608df69811e384",
    "sphere_fracture_3d.toml": "ce2e8e5b0bbeddfb800bbe1ba416143b65271191ea13d6731fa53763882cad68",
    "surfing_hossain2014.toml": "5bd3b928f9da1201c3204c6906be0ac7a878b5446a13edb9d838ea0695f949be",
    "verify_sphere_cv.toml": "ff80b807d58ad51d2b50773e9e14cca18d5e4db9b748824a27546dc7ec5fac2e",
}


@pytest.mark.parametrize("name", PINNED_SHA256)
def test_case_hash_is_pinned(name):
    from sifrac.solver.case import case_sha256

    assert case_sha256(load_case(_CASES / name)) == PINNED_SHA256[name]
