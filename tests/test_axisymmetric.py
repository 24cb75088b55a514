"""The axisymmetric model (`[mechanics] out_of_plane = "axisymmetric"`, solver/axisymmetry.py):
the symmetric quarter disk revolved about the x axis is a sphere.

1. Cheng & Verbrugge's sphere (the 3D verification case of tests/test_verification.py on its
   meridian section): c, sigma_r, sigma_theta within 2% (as in 3D); the circumferential stress
   s_zz is the sphere's hoop stress as well; galvanostatic Li balance exact (1e-10).
2. Uniform lithiation of a free sphere is stress free (hoop strain = swelling exactly).
3. The plastic c-Si sphere against the 1D spherical model of solver/radial.py (small strain).
4. Cases that are not bodies of revolution are refused, naming the key and what is allowed.
"""

from sifrac.solver import bootstrap  # noqa: F401

import numpy as np
import pytest
from mpi4py import MPI

from sifrac.solver import materials
from sifrac.solver.case import CaseError, resolve_case
from sifrac.solver.radial import RadialParticle, RadialSettings
from sifrac.solver.run import run

AXISYMMETRIC = ("geometry.dim=2", "mechanics.out_of_plane=axisymmetric")


def test_revolved_measure_integrates_over_the_body_of_revolution():
    """The rectangle [0, 1] x [0, 2] revolved about x is a cylinder of radius 2 and length 1:
    volume 4 pi, surface 4 pi (side) + 2 x 4 pi (ends); the weight survives subdomain and
    metadata restriction and enters once for a tuple of subdomains; interior facets are weighted
    too; the lumped storage weight reproduces the volume (row sums)."""
    from dolfinx import fem, mesh

    from sifrac.solver import axisymmetry

    m = mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [1.0, 2.0]], [6, 9])
    tdim = m.topology.dim
    m.topology.create_connectivity(tdim - 1, tdim)
    n_cells = m.topology.index_map(tdim).size_local
    cells = mesh.meshtags(m, tdim, np.arange(n_cells, dtype=np.int32), np.full(n_cells, 1, dtype=np.int32))

    def total(form) -> float:
        return m.comm.allreduce(fem.assemble_scalar(fem.form(form)))

    dx = axisymmetry.measure("dx", m, cells, True)
    ds = axisymmetry.measure("ds", m, None, True)
    assert total(1.0 * dx) == pytest.approx(4 * np.pi, rel=1e-12)
    assert total(1.0 * dx((1,), metadata={"quadrature_degree": 1})) == pytest.approx(4 * np.pi, rel=1e-12)
    assert total(1.0 * dx((1, 2))) == pytest.approx(4 * np.pi, rel=1e-12)  # tag 2 is empty
    assert total(1.0 * ds) == pytest.approx(4 * np.pi + 8 * np.pi, rel=1e-12)
    dS = axisymmetry.measure("dS", m, None, True)
    plain_dS = axisymmetry.measure("dS", m, None, False)
    y = axisymmetry.radius(m)
    assert total(fem.Constant(m, 1.0)("+") * dS) == pytest.approx(total(2 * np.pi * y("+") * plain_dS), rel=1e-12)
    V = fem.functionspace(m, ("Lagrange", 1))
    weight = axisymmetry.lumped_weight(V)
    lumped = axisymmetry.measure("dx", m, None, False)(metadata={"quadrature_rule": "vertex", "quadrature_degree": 1})
    assert total(weight * lumped) == pytest.approx(4 * np.pi, rel=1e-12)
    axis = np.isclose(V.tabulate_dof_coordinates()[:, 1], 0.0)
    assert (weight.x.array[axis] > 0).all()  # nodes on the axis keep storage


@pytest.mark.parametrize("mode", ["potentiostatic", "galvanostatic"])
def test_sphere_cheng_verbrugge_on_the_meridian_section(tmp_path, mode):
    """Measured: c 0.25% / 0.23%, sigma_r 0.57% / 0.38%, sigma_theta 0.54% / 0.60%, s_zz 0.43% /
    0.76% (potentiostatic / galvanostatic, h = 10 nm, 5 nm at the surface, R = 100 nm)."""
    from test_verification import rel_max_error, sphere_errors  # the 3D test's own probes and norm

    errors, st, (sig, case, result) = sphere_errors(tmp_path, mode, AXISYMMETRIC)
    errors["s_zz"] = rel_max_error(sig[:, 2, 2], st)
    print(mode, "s_zz relative max error", errors["s_zz"])
    if mode == "galvanostatic":
        R, t = case.geometry.diameter / 2, result.summary["time"]
        assert result.summary["soc"] == pytest.approx(case.loading.c_rate / 3600 * t, rel=1e-10)
        assert result.summary["si_volume"] == pytest.approx(4 / 3 * np.pi * R**3 / 2, rel=0.01)  # a hemisphere
    for key, error in errors.items():
        assert error < 0.02, key


def test_free_sphere_swells_stress_free(tmp_path):
    """Uniform lithiation: the hoop strain u_r / r equals the swelling, so no stress at all
    (plane strain would leave sigma_zz = -E (expansion / 3) dc)."""
    case = resolve_case({"geometry": {"kind": "particle", "dim": 2, "symmetry": True, "diameter": 100.0,
                                      "mesh_size": 10.0},
                         "active": {"material": "a-Si"},
                         "mechanics": {"out_of_plane": "axisymmetric", "displacement_degree": 1},
                         "loading": {"mode": "uniform", "c_rate": 1.0, "soc_end": 0.1},
                         "output": {"fields": False}}, "free_sphere")
    result = run(case, MPI.COMM_SELF, tmp_path)
    assert result.status == "complete"
    last = result.history[-1]
    assert last["soc"] == pytest.approx(0.1, rel=1e-9)
    assert max(last["max_principal_stress"], -last["min_principal_stress"]) < 1e-9


def test_plastic_sphere_matches_the_radial_model(tmp_path):
    """The plastic c-Si particle of tests/test_plasticity.py (200 nm, h = 4 nm at the surface, probe
    at 0.99 R on the equator) revolved into a sphere, against the 1D small-strain sphere (h = 0.5
    nm) at the same radius. The equatorial meridional (s_xx) and circumferential (s_zz) stresses
    are both the sphere's hoop stress, but the plastic layer under the surface is two to three
    cells thick here and the L2-projected stress scatters about the 1D value: measured at SOC 0.5
    and at the end (0.62), mean 1.026 / 0.997 against 0.996 / 0.995 GPa (limit 5%), components
    1.051, 1.001 / 0.930, 1.063 (limit 10%). At SOC 0.3 the front is 2.5 cells below the probe and the components
    are 10% high (1.093, 1.099; not compared); at h = 1 nm they are 1.000, 1.053 against 0.997."""
    from test_plasticity import particle_case

    case = particle_case(True)
    case.mechanics.out_of_plane = "axisymmetric"
    result = run(case, MPI.COMM_SELF, tmp_path)
    assert result.status == "complete", result.reason
    table = np.genfromtxt(result.outdir / "probes.csv", delimiter=",", names=True)
    soc = np.array([row["soc"] for row in result.history])
    radius = 0.99 * case.geometry.diameter / 2
    settings = materials.get("c-Si").values() | {"diffusivity_law": "regular_solution"}
    at_probe = []  # (SOC, hoop stress at the probe radius) of the 1D model

    def record(particle: RadialParticle) -> None:
        prof = particle.profile()
        at_probe.append((particle.soc(), np.interp(radius, prof["R"], prof["sigma_theta"])))

    RadialParticle(RadialSettings(settings, 100.0, shape="sphere", soc_end=soc[-1], cell_size=0.5),
                   MPI.COMM_SELF).run(record)
    soc1d, hoop1d = np.array(at_probe).T
    for at in (0.5, soc[-1]):
        radial = np.interp(at, soc1d, hoop1d)
        sxx, szz = (np.interp(at, soc, table[key]) for key in ("sxx", "szz"))
        print(f"SOC {at:.2f}: radial {radial:.3f}, s_xx {sxx:.3f}, s_zz {szz:.3f} GPa")
        assert 0.5 * (sxx + szz) == pytest.approx(radial, rel=0.05), at
        assert sxx == pytest.approx(radial, rel=0.10) and szz == pytest.approx(radial, rel=0.10), at


@pytest.mark.parametrize("geometry, message", [
    ({"kind": "nanowire", "symmetry": True}, r"allowed kinds: particle, hollow_sphere"),
    ({"kind": "particle", "symmetry": False}, r"needs geometry.symmetry = true"),
    ({"kind": "particle", "symmetry": True, "matrix": True}, r"allowed: matrix = false"),
])
def test_refused_where_the_section_is_not_revolved(geometry, message):
    with pytest.raises(CaseError, match=r"\[mechanics\] out_of_plane = \"axisymmetric\".*" + message):
        resolve_case({"geometry": {**geometry, "dim": 2, "diameter": 100.0},
                      "mechanics": {"out_of_plane": "axisymmetric"}}, "refused")
