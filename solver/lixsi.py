"""One constitutive law for lithiated silicon, LixSi, whatever it was made from.

Why: LixSi is amorphous whether it grew from crystalline or from amorphous Si, so c-Si and a-Si
particles differ only in their pristine core (c-Si 169 GPa, a-Si 80 GPa: `solver/materials.py`),
in the composition of the phase behind the front and in the kinetics; the lithiated phase
follows one law of its composition x = Li/Si / 3.75 (x = 1 is Li3.75Si, the fraction c of the
materials library). Every number carries its source; the study that uses it is
docs/notes/radial-critical-size.md. Pure Python: the same laws evaluate in UFL (pass
`ufl.max_value`) and in numpy (the default `np.maximum`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sifrac.solver.materials import _PHARR, _SETHURAMAN, _SHENOY, _ZHANG, Param

FULL = 3.75  # Li per Si of Li15Si4 (x = 1)
_GAO_HONG = ("F. Gao & W. Hong, Phase-field model for the two-phase lithiation of silicon, J. Mech. Phys. Solids 94 "
             "(2016) 18")
_HERTZBERG = ("B. Hertzberg, J. Benson & G. Yushin, Ex-situ depth-sensing indentation measurements of "
              "electrochemically produced Si-Li alloy films, Electrochem. Commun. 13 (2011) 818")


def x_of(li_per_si: float) -> float:
    """Composition fraction x of LixSi (Li per Si over 3.75)."""
    return li_per_si / FULL


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


#: Young's modulus of LixSi (GPa) against x, two published laws.
MODULUS_LAWS: dict[str, PiecewiseLinear] = {
    # a-Si (80 GPa, x = 0) to Li3.75Si (41 GPa, first-principles), linear in x
    "linear": PiecewiseLinear(((0.0, 80.0), (1.0, 41.0)), f"{_SHENOY}; end values as used by {_ZHANG}",
                              "computed"),
    # 80 GPa up to Li2Si (x = 0.533), then linear to 12 GPa at Li3.75Si: the indentation moduli of
    # lithiated films as read by Gao & Hong (their section 3.4)
    "hertzberg": PiecewiseLinear(((0.0, 80.0), (x_of(2.0), 80.0), (1.0, 12.0)), f"{_HERTZBERG}, as used by "
                                 f"{_GAO_HONG}", "measured"),
}

#: Poisson ratio of LixSi: a-Si 0.22 (Sethuraman 2010 via Zhang 2016) to Li3.75Si 0.24 (Shenoy 2010).
POISSON = PiecewiseLinear(((0.0, 0.22), (1.0, 0.24)), f"{_ZHANG}; {_SHENOY}", "computed")

#: Flow stress of LixSi (perfect plasticity), constant in x: no source for a c-dependence inside
#: the lithiated phase was found.
YIELD_STRESS = Param(1.0, "GPa", _SETHURAMAN, "measured", f"flow stress of lithiated films; range as used by {_ZHANG}",
                     published=(0.5, 2.0))

#: Fracture energy of the lithiated shell: Pharr, Suo & Vlassak 2013 measured 5.4-6.9 J/m^2 near
#: Li2.8Si, the composition nearest the shells of both materials (Li2.5Si, Li3.75Si); their
#: 8.5 +- 4.3 J/m^2 near Li0.7Si (weakly lithiated) does not apply to the shell. The library's
#: `Gc_lithiated` (6.0) is the value inside.
FRACTURE_ENERGY = Param(6.0, "GPa nm", _PHARR, "measured", "about Li2.8Si", published=(5.4, 6.9))

#: The composition behind the first front: Li3.75Si in c-Si (Zhang 2016: c about 1 behind the
#: front), Li2.5Si in a-Si (McDowell et al. 2013 in situ TEM; Wang et al., Nano Lett. 13 (2013)
#: 709, as quoted by Gao & Hong 2016), both with the one expansion theta = 2.8 at x = 1.
FRONT_COMPOSITION = {"c-Si": 1.0, "a-Si": x_of(2.5)}
