"""Dotted keys into run outputs (postprocess/keys.py): what the sweep criterion and
`crack_growth_vs_size.py --by` read."""

import pytest

from sifrac.postprocess.keys import dig, lookup

SUMMARY = {"status": "complete", "reference_length": 150.0,
           "final": {"soc": 0.9, "crack_length": 33.5},
           "extremes": {"max_hoop_stress": 1.2, "crack_length": 40.0}}


def test_dig_follows_a_dotted_path_and_names_a_missing_key():
    case = {"geometry": {"mesh_size": 20.0, "kind": "particle"}}
    assert dig(case, "geometry.mesh_size") == 20.0
    assert dig(SUMMARY, "reference_length") == 150.0
    for missing in ("geometry.diameter", "mechanics.kinematics", "geometry.kind.x"):
        with pytest.raises(KeyError, match=missing):
            dig(case, missing)


def test_lookup_prefers_top_level_then_final_then_extremes():
    assert lookup(SUMMARY, "reference_length") == 150.0
    assert lookup(SUMMARY, "crack_length") == 33.5          # final before extremes
    assert lookup(SUMMARY, "max_hoop_stress") == 1.2
    assert lookup(SUMMARY, "extremes.crack_length") == 40.0
    assert lookup({"status": "failed"}, "extremes.crack_length") is None  # a failed run
    with pytest.raises(KeyError, match="max_damage"):
        lookup(SUMMARY, "max_damage")
