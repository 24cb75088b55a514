"""Width of the lithiation front against the regular-solution omega, in the 1D finite-strain sphere.

Why: the seed review names a thicker front as one reason a-Si survives larger sizes than c-Si. The
2D studies vary `active.diffusivity_omega`; this measures what that does to the front itself and to
the surface hoop stress, on the 1D model of `solver/radial.py` (a sphere in the reference radius,
J2 plasticity, finite strain), so the 2D result can be read against it.

    .venv/bin/python benchmarks/front_width_omega.py [--material a-Si] [--radius 200] [--omega 1.95 1.5]

Prints, per omega, the width of the front (c from 0.1 to 0.9, in reference radius) at SOC 0.5 and
the largest surface hoop stress up to then.
"""

from __future__ import annotations

import argparse

from sifrac.solver import bootstrap  # noqa: F401  (before dolfinx)

import numpy as np
from mpi4py import MPI

from sifrac.solver import materials
from sifrac.solver.radial import RadialParticle, RadialSettings


def front(material: str, radius: float, omega: float) -> tuple[float, float, float]:
    """(SOC reached, front width 0.1 -> 0.9 in nm of reference radius, largest surface hoop stress)."""
    values = materials.get(material).values() | {"diffusivity_law": "regular_solution", "diffusivity_omega": omega}
    particle = RadialParticle(RadialSettings(material=values, radius=radius, kinematics="finite",
                                             soc_end=0.5, cell_size=0.5), MPI.COMM_SELF)
    history = particle.run().as_arrays()
    profile = particle.profile()
    r, c = profile["R"], profile["c"]
    width = r[np.argmax(c > 0.9)] - r[np.argmax(c > 0.1)]
    return float(history["soc"][-1]), float(width), float(history["hoop"].max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--material", default="a-Si")
    ap.add_argument("--radius", type=float, default=200.0)
    ap.add_argument("--omega", type=float, nargs="+", default=[1.95, 1.5])
    args = ap.parse_args()
    for omega in args.omega:
        soc, width, hoop = front(args.material, args.radius, omega)
        print(f"{args.material} R = {args.radius:g} nm, omega {omega:g}: SOC {soc:.3f}, front (c 0.1 -> 0.9) "
              f"{width:.1f} nm, largest surface hoop stress {hoop:.3f} GPa", flush=True)


if __name__ == "__main__":
    main()
