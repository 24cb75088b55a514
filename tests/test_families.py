"""Every geometry family runs in 2D and 3D: Li balance, rigid modes and finite stresses.

Rigid modes: full bodies without supports keep all of them in the null space (3 in 2D, 6 in 3D);
symmetry planes and film rollers remove them all; a matrix box on a bottom roller keeps the
in-plane translation(s) and, in 3D, the rotation about the vertical axis.
"""

from sifrac.solver import bootstrap  # noqa: F401

import math

import pytest
from mpi4py import MPI

from sifrac.solver.case import resolve_case
from sifrac.solver.run import run

CASES = {
    "particle-2d": ({"kind": "particle", "dim": 2, "diameter": 150.0, "mesh_size": 25.0}, {}, 3),
    "particle-3d-eighth": ({"kind": "particle", "dim": 3, "symmetry": True, "diameter": 150.0,
                            "mesh_size": 30.0}, {}, 0),
    "particle-2d-llzo-matrix": ({"kind": "particle", "dim": 2, "diameter": 150.0, "mesh_size": 25.0,
                                 "matrix": True}, {"material": "LLZO"}, 1),
    "nanowire-2d-quarter": ({"kind": "nanowire", "dim": 2, "symmetry": True, "diameter": 150.0,
                             "mesh_size": 20.0}, {}, 0),
    "nanowire-3d": ({"kind": "nanowire", "dim": 3, "diameter": 150.0, "length": 150.0,
                     "mesh_size": 37.5}, {}, 6),
    "hollow-2d": ({"kind": "hollow_sphere", "dim": 2, "diameter": 200.0, "inner_diameter": 150.0,
                   "mesh_size": 12.0}, {}, 3),
    "hollow-3d-eighth": ({"kind": "hollow_sphere", "dim": 3, "symmetry": True, "diameter": 200.0,
                          "inner_diameter": 150.0, "mesh_size": 12.5}, {}, 0),
    "particle-2d-stress-assisted": ({"kind": "particle", "dim": 2, "symmetry": True, "diameter": 150.0,
                                     "mesh_size": 15.0}, {}, 0),
    "film-2d-notch-cu": ({"kind": "thin_film", "dim": 2, "thickness": 200.0, "width": 400.0,
                          "notch_depth": 40.0, "notch_width": 20.0, "mesh_size": 25.0,
                          "mesh_size_surface": 10.0}, {}, 0),
    "film-3d-llzo-cap": ({"kind": "thin_film", "dim": 3, "thickness": 200.0, "width": 300.0,
                          "depth": 100.0, "cap": True, "mesh_size": 50.0}, {"material": "LLZO"}, 0),
}


@pytest.mark.parametrize("name", CASES)
def test_family_runs(tmp_path, name):
    geometry, electrolyte, free_modes = CASES[name]
    loading = {"c_rate": 2.0, "stress_assisted": name.endswith("stress-assisted")}
    case = resolve_case({"geometry": geometry, "electrolyte": electrolyte or {"material": "liquid"},
                         "loading": loading, "time": {"t_end": 90.0},
                         "output": {"fields": False}}, name)
    result = run(case, MPI.COMM_WORLD, tmp_path)
    s = result.summary
    assert result.status == "complete", result.reason
    assert s["steps"] >= 3
    assert s["rigid_modes_in_null_space"] == free_modes
    # galvanostatic: SOC = c_rate * t / 3600 exactly (Li balance of the scheme)
    assert s["soc"] == pytest.approx(2.0 * s["time"] / 3600, rel=1e-8)
    for row in result.history:
        assert all(math.isfinite(v) for v in row.values())
    assert result.history[-1]["max_von_mises"] > 0
