"""Property test: malformed case files and --set overrides are refused the same polite way.

Each example takes one of the shipped cases, breaks it in one way (a wrong type, a value out of
range or not finite, an unknown section or key, an unknown or misplaced material, a missing
required key, broken TOML syntax, a malformed or wrong --set) and runs `sifrac run` on it in
process. Every one must exit with status 2, print one line naming the broken key, write no
output directory and never reach the solver or show a traceback.
"""

import math
import string
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sifrac.solver import materials
from sifrac.solver.case import Case
from sifrac.solver.case.introspect import schemas
from sifrac.solver.case.keys import choices_of, range_of, type_of
from sifrac.solver.cli import main

ROOT = Path(__file__).parents[1]
BASES = {p.name: doc for p in sorted((ROOT / "cases").glob("*.toml"))
         if "sweep" not in (doc := tomllib.loads(p.read_text()))}  # study files are not cases

IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.", max_size=12)
FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
SCHEMA = schemas(Case)
KEYS = [(s, k, field) for s, section in SCHEMA.items() for k, field in section.keys().items()]

# Values of the wrong type for each schema type (TOML ints are fine where floats are expected).
WRONG_TYPE = {
    "float": st.one_of(TEXT, st.booleans(), st.lists(FINITE, max_size=2), st.just({"a": 1})),
    "int": st.one_of(FINITE.filter(lambda x: not x.is_integer()), TEXT, st.booleans()),
    "bool": st.one_of(st.integers(), FINITE, TEXT),
    "str": st.one_of(st.integers(), FINITE, st.booleans(), st.lists(TEXT, min_size=1, max_size=2)),
    "material": st.one_of(st.integers(), FINITE, st.booleans()),
    "str_list": st.one_of(st.integers(), TEXT, st.just([]), st.lists(st.integers(), min_size=1, max_size=2)),
    "name_map": st.one_of(st.integers(), TEXT, st.just({"si": 1.5}), st.just({"si": [1]})),
    "scalar_map": st.one_of(st.integers(), TEXT, st.just({"ksp_type": [1]}), st.just({"x": math.nan})),
    "points": st.one_of(st.integers(), TEXT, st.just([[1.0]]), st.just([[1.0, math.inf]]),
                        st.just([["a", "b"]]), st.just([[1.0, 2.0, 3.0, 4.0]])),
    "probe_points": st.one_of(st.integers(), TEXT, st.just([[1.0]]), st.just([[1.0, math.inf]]),
                              st.just([["a", "b"]]), st.just([[1.0, 2.0, 3.0, 4.0]])),
    "vector": st.one_of(st.integers(), TEXT, st.just([1.0]), st.just([1.0, math.inf]), st.just(["a", "b"]),
                        st.just([1.0, 2.0, 3.0, 4.0])),
    "miller": st.one_of(st.integers(), TEXT, st.just([1, 0]), st.just([0, 0, 0]), st.just([1.0, 0.0, 0.0]),
                        st.just([True, 0, 0])),
    "weights": st.one_of(TEXT, st.just([1.0, 1.0]), st.just([1.0, 0.0, 1.0]), st.just([1.0, -1.0, 1.0]),
                         st.just([1.0, math.nan, 1.0])),
}


def _out_of_range(field) -> st.SearchStrategy:
    """Values of the right type that the key's range, choices or finiteness rule out."""
    choices = choices_of(field)
    if choices:
        if type_of(field) == "int":
            return st.integers(-100, 100).filter(lambda v: v not in choices)
        return TEXT.filter(lambda v: v not in choices)
    options = []
    r = range_of(field)
    if type_of(field) == "float":
        options.append(NON_FINITE)
    if r is not None and r.lo is not None:
        below = st.floats(max_value=r.lo, allow_nan=False, allow_infinity=False, exclude_max=not r.lo_open,
                          min_value=r.lo - 1e6)
        options.append(below.map(int) .filter(lambda v: v not in r) if type_of(field) == "int" else below)
    if r is not None and r.hi is not None:
        above = st.floats(min_value=r.hi, allow_nan=False, allow_infinity=False, exclude_min=not r.hi_open,
                          max_value=r.hi + 1e6)
        options.append(above.map(math.ceil).filter(lambda v: v not in r) if type_of(field) == "int" else above)
    return st.one_of(options)


RANGED = [(s, k, field) for s, k, field in KEYS
          if type_of(field) in ("float", "int", "str")
          and (choices_of(field) or range_of(field) or type_of(field) == "float")]


@st.composite
def malformed(draw) -> tuple[dict | str, list[str], str]:
    """(case as a table or as broken TOML text, --set items, the text the message must contain)."""
    base = draw(st.sampled_from(sorted(BASES)))
    case = {s: dict(v) for s, v in BASES[base].items()}
    kind = draw(st.sampled_from(["type", "range", "unknown_key", "unknown_section", "material", "role",
                                 "required", "not_a_table", "toml", "set_syntax", "set_value"]))
    if kind == "type":
        section, key, field = draw(st.sampled_from(KEYS))
        case.setdefault(section, {})[key] = draw(WRONG_TYPE[type_of(field)])
        return case, [], f"[{section}] {key}"
    if kind == "range":
        section, key, field = draw(st.sampled_from(RANGED))
        case.setdefault(section, {})[key] = draw(_out_of_range(field))
        return case, [], f"[{section}] {key}"
    if kind == "unknown_key":
        section = draw(st.sampled_from(sorted(SCHEMA)))
        key = draw(IDENT.filter(lambda k: k not in SCHEMA[section].keys()))
        case.setdefault(section, {})[key] = draw(st.one_of(FINITE, TEXT))
        return case, [], f"[{section}] {key}"
    if kind == "unknown_section":
        section = draw(IDENT.filter(lambda s: s not in SCHEMA))
        case[section] = {"x": 1}
        return case, [], f"[{section}]"
    if kind == "material":
        section = draw(st.sampled_from(["active", "electrolyte", "collector"]))
        case.setdefault(section, {})["material"] = draw(TEXT.filter(lambda m: m not in materials.LIBRARY))
        return case, [], f"[{section}] material"
    if kind == "role":  # a library material in the wrong role, e.g. Cu as the active material
        section = draw(st.sampled_from(["active", "electrolyte", "collector"]))
        choices = SCHEMA[section].base.choices()
        case.setdefault(section, {})["material"] = draw(st.sampled_from(
            sorted(set(materials.LIBRARY) - set(choices))))
        return case, [], f"[{section}] material"
    if kind == "required":
        case["geometry"] = {k: v for k, v in case.get("geometry", {}).items() if k != "file"} | {"kind": "file"}
        return case, [], "[geometry] file"
    if kind == "not_a_table":
        section = draw(st.sampled_from(sorted(SCHEMA)))
        case[section] = draw(st.one_of(st.integers(), TEXT, st.lists(st.integers(), max_size=2)))
        return case, [], f"[{section}]"
    if kind == "toml":
        lines = tomli_w.dumps(case).splitlines()
        at = draw(st.integers(0, len(lines)))
        # each is a syntax error wherever it lands, also inside a multi-line array
        junk = draw(st.sampled_from(["= =", "[geometry", "x = \"unterminated", "y = 1 2", "[a.b", "z = [1, 2",
                                     "w = tru", "key with space = 1", "q = 1.2.3", "= 4", "x = 1\nx = 2"]))
        return "\n".join(lines[:at] + [junk] + lines[at:]) + "\n", [], "invalid TOML"
    if kind == "set_syntax":
        item = draw(st.one_of(IDENT.map(lambda k: f"geometry{k}=1"),  # no dot
                              IDENT.map(lambda k: f"geometry.{k}"),  # no value
                              st.just("geometry.=1"), st.just(".diameter=1"), st.just("=1")))
        return case, [item], "--set"
    section, key, field = draw(st.sampled_from([(s, k, f) for s, k, f in KEYS
                                                 if type_of(f) in ("float", "int", "bool")]))
    value = draw(st.sampled_from(["abc", "[1, 2]", "nan" if type_of(field) == "float" else "1.5", "{a = 1}"]))
    return case, [f"{section}.{key}={value}"], f"[{section}] {key}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(malformed())
def test_malformed_cases_exit_2_naming_the_key(capsys, monkeypatch, example):
    from sifrac.solver import run as run_module

    def no_solver(*args, **kwargs):
        raise AssertionError("this malformed case passed validation")

    monkeypatch.setattr(run_module, "run", no_solver)
    case, sets, key = example
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.toml"
        path.write_text(case if isinstance(case, str) else tomli_w.dumps(case))
        out = Path(tmp) / "out"
        capsys.readouterr()
        code = main(["-q", "run", str(path), "--output", str(out), *[f"--set={s}" for s in sets]])
        err = capsys.readouterr().err
        assert code == 2, err
        assert key in err, err
        assert len(err.strip().splitlines()) == 1 and err.startswith("sifrac: error: "), err
        assert "Traceback" not in err
        assert not out.exists()


@pytest.mark.parametrize("text,sets,key", [
    ("[geometry]\ndiameter = inf\n", [], "[geometry] diameter"),
    ("[time]\ndt_min = 0\n", [], "[time] dt_min"),
    ("[active]\nmaterial = \"unobtainium\"\n", [], "[active] material"),
    ("[fracture]\nmodel = \"AT1\"\nlength_scale = -4.0\n", [], "[fracture] length_scale"),
    ("[output]\ncheckpoint_every = -1\n", [], "[output] checkpoint_every"),
    ("", ["nosuch.key=1"], "[nosuch]"),
])
def test_malformed_cases_in_a_subprocess(tmp_path, text, sets, key):
    """The same through the installed entry point: no traceback reaches the user."""
    case = tmp_path / "case.toml"
    case.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sifrac.solver.cli", "run", str(case), "--output", str(out),
                           *[f"--set={s}" for s in sets]], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and key in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not out.exists()
