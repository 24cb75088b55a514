"""One constitutive law for lithiated silicon, LixSi, whatever it was made from.

Why: LixSi is amorphous whether it grew from crystalline or from amorphous Si, so c-Si and a-Si
particles differ only in their pristine core (c-Si 169 GPa, a-Si 80 GPa: `solver/materials.py`),
in the composition of the phase behind the front and in the kinetics; the lithiated phase
follows one law of its composition x = Li/Si / 3.75 (x = 1 is Li3.75Si, the fraction c of the
materials library). Every number and its source is in the materials library (`materials.LIXSI`,
`sifrac materials`); the studies that use it are docs/notes/radial-critical-size.md and the
reaction front (`[active] modulus_law`). Pure Python: the same laws evaluate in UFL (pass
`ufl.max_value`) and in numpy (the default `np.maximum`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sifrac.solver.materials import LIBRARY, LIXSI, Param


@dataclass(frozen=True)
class PiecewiseLinear:
    """A property linear between breakpoints (x_k, y_k), constant outside them, with its source."""

    points: tuple[tuple[float, float], ...]
    source: str
    status: str

    def __call__(self, x, maximum: Callable = np.maximum):
        """y(x) as a sum of hinges y_0 + sum_k (slope_k - slope_(k-1)) max(x - x_k, 0), clamped
        beyond the last point: the one expression works in UFL and numpy."""
        xs, ys = zip(*self.points)
        slopes = [0.0] + [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(len(xs) - 1)] + [0.0]
        out = ys[0] + 0 * x
        for k, xk in enumerate(xs):
            if slopes[k + 1] != slopes[k]:
                out = out + (slopes[k + 1] - slopes[k]) * maximum(x - xk, 0 * x)
        return out



_E = LIXSI.params
#: Young's modulus of LixSi (GPa) against x, two published laws (values and sources: materials.LIXSI).
MODULUS_LAWS: dict[str, PiecewiseLinear] = {
    # a-Si (80 GPa, x = 0) to Li3.75Si (41 GPa, first-principles), linear in x
    "linear": PiecewiseLinear(((0.0, _E["E_amorphous"].value), (1.0, _E["E_full_linear"].value)),
                              f"{_E['E_amorphous'].source}; {_E['E_full_linear'].source}", "computed"),
    # 80 GPa up to Li2Si (x = 0.533), then linear to 12 GPa at Li3.75Si (Gao & Hong 2016, section 3.2,
    # after the indentation moduli of Hertzberg et al. 2011)
    "hertzberg": PiecewiseLinear(((0.0, _E["E_amorphous"].value), (_E["x_knee_hertzberg"].value, _E["E_amorphous"].value),
                                  (1.0, _E["E_full_hertzberg"].value)), _E["E_full_hertzberg"].source, "measured"),
}

#: Poisson ratio of LixSi: a-Si 0.22 to Li3.75Si 0.24, linear in x.
POISSON = PiecewiseLinear(((0.0, _E["nu_amorphous"].value), (1.0, _E["nu_full"].value)),
                          f"{_E['nu_amorphous'].source}; {_E['nu_full'].source}", "computed")

#: Flow stress of LixSi (perfect plasticity), constant in x.
YIELD_STRESS: Param = _E["yield_stress"]

#: Fracture energy of the lithiated shell (Pharr, Suo & Vlassak 2013, near Li2.8Si).
FRACTURE_ENERGY: Param = _E["fracture_energy"]

#: The composition behind the first front (per Li3.75Si): Li3.75Si in c-Si, Li2.5Si in a-Si
#: (the library's `front_composition`), both with the one expansion theta = 2.8 at x = 1.
FRONT_COMPOSITION = {name: float(LIBRARY[name].params["front_composition"].value) for name in ("c-Si", "a-Si")}
