"""The Allen-Cahn lithiation front (solver/front.py) against the closed forms of its rate law:
the stress-free planar speed, the slowing by exp(-B p / kT), the <100>/<110> rates of c-Si, and
rank invariance of a shrinking core. The driver is benchmarks/front_prototype.py; the measured
tables are in docs/notes/front-model.md."""

from sifrac.solver import bootstrap  # noqa: F401

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from sifrac.solver import front

_SPEC = importlib.util.spec_from_file_location("front_prototype",
                                               Path(__file__).parents[1] / "benchmarks" / "front_prototype.py")
proto = sys.modules["front_prototype"] = importlib.util.module_from_spec(_SPEC)  # dataclasses look it up
_SPEC.loader.exec_module(proto)

#: Resolution of the checks: l0 = 4 nm, l0/h = 5, a step advances the fastest front h/2.
L0, H, COURANT = 4.0, 0.8, 0.5


def test_rate_law_constants():
    law = front.zhang_2016("c-Si", speed_110=1.0)
    assert law.kT == pytest.approx(0.025852, rel=1e-4)
    # B = phi V_Si / (2 e): 0.0625 eV per GPa with V_Si = a^3/8 = 0.02003 nm^3 (a = 0.5431 nm).
    assert law.pressure_coefficient == pytest.approx(0.0625, rel=2e-3)
    assert law.speed(1.0) / law.speed(0.0) == pytest.approx(math.exp(-2.417), rel=1e-3)
    # E0 0.60 eV facing <110>, 0.66 eV facing <100>: a rate ratio exp(0.06 / kT) = 10.19.
    assert law.speed(0.0, "110") / law.speed(0.0, "100") == pytest.approx(10.185, rel=1e-3)
    assert front.zhang_2016("a-Si", speed_110=1.0).pressure_coefficient == pytest.approx(0.8 * 0.0625, rel=2e-3)


def test_crystal_axes_from_keys():
    pillar_110 = front.axes_from_keys((1, 1, 0), (0, 0, 1))
    assert np.allclose(pillar_110 @ pillar_110.T, np.eye(3))
    # Mesh x is [001], mesh y is [1-10]/sqrt2, mesh z (the pillar axis) is [110]/sqrt2.
    assert np.allclose(pillar_110 @ [1, 0, 0], [0, 0, 1])
    assert np.allclose(pillar_110 @ [0, 1, 0], np.array([1, -1, 0]) / math.sqrt(2))
    with pytest.raises(ValueError, match="not orthogonal"):
        front.axes_from_keys((1, 1, 0), (1, 0, 0))


def test_planar_front_moves_at_the_rate_law_speed():
    v, target = proto.planar_speed(front.zhang_2016("a-Si", speed_110=1.0), "110", 0.0, H, L0, COURANT, travel=8.0)
    assert v == pytest.approx(target, rel=0.01)


@pytest.mark.parametrize("pressure", [-0.5, 1.0, 2.0])
def test_pressure_scales_the_front_speed(pressure):
    """The compressed (tensioned) front at its own Courant number: v(p) = v(0) exp(-B p / kT) to 1%."""
    law = front.zhang_2016("c-Si", speed_110=1.0)
    v, target = proto.planar_speed(law, "110", pressure, H, L0, COURANT, travel=8.0)
    assert target == pytest.approx(math.exp(-law.pressure_coefficient * pressure / law.kT), rel=1e-12)
    assert v == pytest.approx(target, rel=0.01)


def test_pressure_slowing_at_one_time_step():
    """Free and compressed (p = 0.5 GPa, factor 0.30) fronts with the same time step: the ratio of
    the measured speeds is the Arrhenius factor to 1%."""
    law = front.zhang_2016("c-Si", speed_110=1.0)
    factor = math.exp(-law.pressure_coefficient * 0.5 / law.kT)
    v0, _ = proto.planar_speed(law, "110", 0.0, H, L0, COURANT, travel=4.0)
    v, _ = proto.planar_speed(law, "110", 0.5, H, L0, COURANT * factor, travel=4.0)
    assert v / v0 == pytest.approx(factor, rel=0.01)


@pytest.mark.parametrize("facing", ["100", "110"])
def test_c_si_front_rates_facing_100_and_110(facing):
    v, target = proto.planar_speed(front.zhang_2016("c-Si", speed_110=1.0), facing, 0.0, H, L0, COURANT, travel=8.0)
    assert v == pytest.approx(target, rel=0.01)


@pytest.mark.mpi
def test_core_radius_on_1_and_2_ranks():
    law = front.zhang_2016("c-Si", speed_110=1.0)
    runs = [proto.shrinking_core(law, 24.0, 20.0, H, L0, 0.4, comm=comm, compensate=True, facing="110")
            for comm in (MPI.COMM_SELF, MPI.COMM_WORLD)]
    assert MPI.COMM_WORLD.size == 2
    assert np.allclose(runs[1]["r"], runs[0]["r"], rtol=1e-8, atol=0.0)
    assert runs[0]["r"][-1] < 22.5  # the core shrank (equivalent radius; fastest along <110>)
