"""The materials library: every number carries a unit, a full source and a status, and fits its
ParamSpec."""

import re

import pytest

from sifrac.solver import materials
from sifrac.solver.materials import LIBRARY, PARAMETERS, REFERENCES, ROLES, STATUSES, UnknownMaterial

EXPECTED = {"c-Si", "a-Si", "LLZO", "LLZTO", "LLTO", "LATP", "Li6PS5Cl", "Li2S-P2S5", "PEO",
            "CSSE", "Cu", "liquid"}
ALL_PARAMS = [(m.name, key, p) for m in LIBRARY.values() for key, p in m.params.items()]


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_library_names_and_roles():
    assert set(LIBRARY) == EXPECTED
    assert all(m.role in ROLES and m.description and m.name == n for n, m in LIBRARY.items())
    assert materials.names("active") == ["a-Si", "c-Si"]
    assert materials.names("collector") == ["Cu"]
    assert materials.names("liquid") == ["liquid"]
    assert materials.names() == sorted(EXPECTED)


@pytest.mark.parametrize(("material", "key", "param"), ALL_PARAMS,
                         ids=[f"{m}-{k}" for m, k, _ in ALL_PARAMS])
def test_param_has_source_unit_and_fits_its_spec(material, key, param):
    spec = PARAMETERS[key]
    assert LIBRARY[material].role in spec.roles
    assert param.source.strip()
    assert param.status in STATUSES
    assert param.unit == spec.unit
    if spec.choices:
        assert param.value in spec.choices
    else:
        assert isinstance(param.value, float) and param.unit
        assert param.value in spec.range


def test_role_parameter_sets():
    active_keys = {k for k, s in PARAMETERS.items() if "active" in s.roles} - {"K_IC"}
    for name in materials.names("active"):
        assert active_keys <= set(LIBRARY[name].params)
    for role in ("electrolyte", "collector"):
        for name in materials.names(role):
            assert {"E", "nu"} <= set(LIBRARY[name].params)
    assert LIBRARY["liquid"].params == {}


def test_values_follow_the_brief():
    c_si, a_si = LIBRARY["c-Si"].values(), LIBRARY["a-Si"].values()
    assert (c_si["E"], c_si["nu"], c_si["E_lithiated"], c_si["expansion"]) == (
        169.0, 0.28, 41.0, 2.8)
    assert (a_si["E"], a_si["nu"], a_si["E_lithiated"], a_si["Gc"], a_si["Gc_lithiated"]) == (
        80.0, 0.22, 41.0, 8.5, 6.0)
    for si in (c_si, a_si):
        # 1e-12 cm^2/s = 1e-12 * 1e14 nm^2/s
        assert si["diffusivity"] == pytest.approx(1e-12 * 1e14)
        assert si["diffusivity_lithiated"] == pytest.approx(1.5e-11 * 1e14)
        assert si["diffusivity_law"] == "log_linear"
        assert si["yield_stress"] == 1.0
        # one expansion, one partial molar volume: the swelling and the stress-coupled Li use one value
        assert si["partial_molar_volume"] * si["c_max"] == pytest.approx(si["expansion"], rel=1e-12)
        assert si["partial_molar_volume"] == pytest.approx(9.0e-6, rel=1e-3)  # theta V_m,Si / 3.75
    assert a_si["expansion"] < c_si["expansion"]
    assert LIBRARY["CSSE"].values()["E"] == 15.0
    assert LIBRARY["LLZO"].values()["E"] == 150.0


def test_lixsi_law_and_front_values():
    """The one LixSi law (`sifrac materials` lists it) and the reaction-front values of Zhang et al.
    2016: E0 0.60 / 0.66 eV facing <110> / <100>, phi_Si 1.0 / 0.8, c0 0.10 / 0.06; a-Si's first
    phase Li2.5Si, 2/3 of Li3.75Si, whose expansion 2.8 x 2/3 is a-Si's."""
    law = materials.LIXSI.params
    assert (law["E_amorphous"].value, law["E_full_linear"].value, law["E_full_hertzberg"].value) == (80.0, 41.0, 12.0)
    assert law["x_knee_hertzberg"].value == pytest.approx(2 / 3.75)
    assert "Electrochem. Commun. 13 (2011) 818" in law["E_full_hertzberg"].source
    assert "LixSi [lithiated phase]" in materials.table()
    for p in law.values():
        assert CITATION.search(p.source) and p.status in STATUSES
    c_si, a_si = LIBRARY["c-Si"].values(), LIBRARY["a-Si"].values()
    assert (c_si["front_barrier_110"], c_si["front_barrier_100"], c_si["front_barrier_111"]) == (0.60, 0.66, 0.66)
    assert (c_si["front_bond_fraction"], a_si["front_bond_fraction"]) == (1.0, 0.8)
    assert (c_si["front_threshold"], a_si["front_threshold"]) == (0.10, 0.06)
    assert (c_si["front_orientation"], a_si["front_orientation"]) == ("cubic", "isotropic")
    assert (c_si["front_composition"], a_si["front_composition"]) == (1.0, pytest.approx(2 / 3))
    assert a_si["expansion"] == pytest.approx(2.8 * a_si["front_composition"], rel=1e-12)
    for si in (c_si, a_si):  # what every existing case keeps
        assert (si["front_law"], si["modulus_law"]) == ("diffusion", "interpolated")


def test_gc_derived_from_k_ic_is_consistent():
    derived = [(m, p) for m in LIBRARY.values() for k, p in m.params.items()
               if k == "Gc" and "K_IC^2" in p.note]
    assert {m.name for m, _ in derived} >= {"c-Si", "LLZO", "LLZTO", "Li2S-P2S5"}
    for m, p in derived:
        v = m.values()
        k_ic = v.get("K_IC", float(p.note.split("K_IC = ")[1].split()[0].rstrip(",")))
        assert p.value == pytest.approx(materials.gc_from_kic(k_ic, v["E"], v["nu"]))
    # 1 MPa m^0.5 on 100 GPa with nu = 0: 1e12 Pa^2 m / 1e11 Pa = 10 J/m^2
    assert materials.gc_from_kic(1.0, 100.0, 0.0) == 10.0


# volume (year) first page or article number, e.g. "J. Power Sources 195 (2010) 5062"
CITATION = re.compile(r"\d+ \(\d{4}\) [A-Z]?\d+")


def test_no_working_notes_reach_users():
    """`sifrac materials` and parameters.csv are read by users: no internal notes, and a value that
    was never checked says so through its status rather than a "to confirm" flag."""
    text = materials.table() + " ".join(p.source + p.note for _, _, p in ALL_PARAMS)
    for internal in ("to confirm", "physics brief", "seed review", "seed Table", "ref. 27"):
        assert internal not in text
    assert LIBRARY["LLZO"].params["nu"].status == "estimate"
    assert LIBRARY["c-Si"].params["K_IC"].status == "estimate"
    assert LIBRARY["a-Si"].params["expansion"].status == "derived"


@pytest.mark.parametrize(("material", "key", "param"), ALL_PARAMS, ids=[f"{m}-{k}" for m, k, _ in ALL_PARAMS])
def test_measured_and_published_values_cite_a_full_reference(material, key, param):
    """A measured, computed or published-model value names its work in full (journal, volume,
    year, page); a value without a source says so and is an estimate or a modelling choice."""
    if param.status in ("measured", "computed", "model input"):
        assert CITATION.search(param.source), param.source
    if "no published source" in param.source:
        assert param.status in ("estimate", "model choice")


def test_gc_from_k_ic_takes_the_status_of_its_k_ic():
    for m in LIBRARY.values():
        if "K_IC" in m.params and "Gc" in m.params:
            k_ic, gc = m.params["K_IC"], m.params["Gc"]
            assert gc.status == ("derived" if k_ic.status == "measured" else k_ic.status), m.name


def test_table_mentions_every_material_source_and_status():
    text = materials.table()
    assert max(len(line) for line in text.splitlines()) <= 100
    flat = _squash(text)
    for status, meaning in STATUSES.items():
        assert _squash(f"{status} {meaning}") in flat
    for m in LIBRARY.values():
        assert f"{m.name} [{m.role}]" in text
        for p in m.params.values():
            assert _squash(f"{p.status}") in flat and _squash(materials.cite(p.source)) in flat
    # each numbered reference is spelt out once, in full, under References
    refs = flat.split("References:")[1]
    for i, ref in enumerate(REFERENCES, 1):
        assert _squash(f"[{i}] {ref}") in refs
        assert flat.count(_squash(ref)) == 1


def test_unknown_material_lists_the_names():
    with pytest.raises(KeyError) as info:
        materials.get("Si")
    assert isinstance(info.value, UnknownMaterial)
    message = str(info.value)
    assert message.startswith("unknown material 'Si'")
    assert all(name in message for name in EXPECTED)


PUBLISHED = [(m, key, p) for m, key, p in ALL_PARAMS if p.published is not None]


@pytest.mark.parametrize(("material", "key", "param"), PUBLISHED, ids=[f"{m}-{k}" for m, k, _ in PUBLISHED])
def test_library_values_lie_in_their_published_range(material, key, param):
    """The standard for the library: a representative value inside the range the literature gives."""
    lo, hi = param.published
    assert lo < hi and lo <= param.value <= hi


def test_published_ranges_cover_the_threshold_parameters():
    """The parameters the critical-size studies vary carry their ranges (physics brief, section 3)."""
    for name in ("c-Si", "a-Si"):
        params = LIBRARY[name].params
        assert params["yield_stress"].published == (0.5, 2.0)
        assert params["Gc_lithiated"].published == (5.4, 6.9)
    assert LIBRARY["a-Si"].params["Gc"].published == (4.2, 12.8)  # 8.5 +- 4.3 J/m^2, Pharr 2013


def test_provenance_says_where_each_value_comes_from():
    case = {"case": {"name": "x"}, "active": {"material": "c-Si", **LIBRARY["c-Si"].values(),
                                              "yield_stress": 0.4, "E_lithiated": 50.0, "Gc_lithiated": 6.5},
            "electrolyte": {"material": "liquid"}, "collector": {"material": "Cu", "E": 120.0, "nu": 0.34}}
    rows = {(r["section"], r["key"]): r for r in materials.provenance(case, ["active.Gc_lithiated"])}
    assert len(rows) == len(LIBRARY["c-Si"].params) + 2
    assert set(rows["active", "yield_stress"]) == set(materials.PROVENANCE_COLUMNS)
    low = rows["active", "yield_stress"]
    assert (low["origin"], low["library_value"], low["published_range"], low["in_published_range"]) == (
        "case", 1.0, "0.5-2", "no")
    assert low["source"] == LIBRARY["c-Si"].params["yield_stress"].source
    assert (low["status"], rows["active", "K_IC"]["status"]) == ("measured", "estimate")
    # no range collected: no verdict
    assert (rows["active", "E_lithiated"]["origin"], rows["active", "E_lithiated"]["in_published_range"]) == ("case", "")
    assert rows["active", "Gc_lithiated"]["origin"] == "varied by the study"
    assert rows["collector", "E"]["origin"] == "library" and rows["collector", "E"]["in_published_range"] == "yes"
    assert materials.outside_published(list(rows.values())) == ["active.yield_stress = 0.4 (published 0.5-2)"]
