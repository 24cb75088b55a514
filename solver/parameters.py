"""The vocabulary of the materials library: what a parameter is (its spec: unit, meaning, roles,
allowed range or choices), the statuses a value can have, and the value and material records.
The values themselves, with their sources, are in `materials.py`. Pure Python, as the library."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("active", "electrolyte", "collector", "liquid")


@dataclass(frozen=True)
class Range:
    """An interval of allowed numbers; open ends exclude the bound, None means unbounded."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, x: float) -> bool:
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return False
        return not (self.hi is not None and (x > self.hi or (self.hi_open and x == self.hi)))

    def __str__(self) -> str:
        lo, hi = _num(self.lo), _num(self.hi)
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {lo}"
        if self.lo is None:
            return f"{'<' if self.hi_open else '<='} {hi}"
        return f"in {'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}"


def _num(x: float | None) -> str:
    """Numbers as a reader writes them: 0 and 1000, not 0.0 and 1000.0."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


POSITIVE = Range(0.0, lo_open=True)
NON_NEGATIVE = Range(0.0)
FRACTION = Range(0.0, 1.0)


@dataclass(frozen=True)
class ParamSpec:
    """What a material parameter means, its unit, and the values a case may override it with."""

    unit: str
    meaning: str
    roles: tuple[str, ...]
    range: Range | None = None
    choices: tuple[str, ...] = ()


STATUSES: dict[str, str] = {
    "measured": "an experimental value of the cited work",
    "computed": "a first-principles value of the cited work",
    "model input": "the value a cited model used (not itself a measurement)",
    "derived": "computed here from other values by the formula in the note",
    "model choice": "a modelling choice of sifrac, not a material measurement",
    "estimate": "a representative or assumed value, or one not checked against its source: soft",
    "calibration": "chosen inside the published range to meet a target",
}


@dataclass(frozen=True)
class Param:
    """A library value with its full source and its status (a key of STATUSES); `published` is
    the range the literature gives (inclusive), where one was collected, so a case can say
    whether it stays inside it."""

    value: float | str
    unit: str
    source: str
    status: str
    note: str = ""
    published: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        assert self.status in STATUSES, f"unknown status {self.status!r}; allowed: {', '.join(STATUSES)}"


@dataclass(frozen=True)
class Material:
    name: str
    role: str
    description: str
    params: dict[str, Param] = field(default_factory=dict)

    def values(self) -> dict[str, float | str]:
        """Plain name -> value mapping, the form a resolved case carries."""
        return {key: p.value for key, p in self.params.items()}


class UnknownMaterial(KeyError):
    """KeyError whose text is readable (KeyError would quote the whole message)."""

    def __str__(self) -> str:
        return str(self.args[0])


_SOLIDS = ("active", "electrolyte", "collector")

PARAMETERS: dict[str, ParamSpec] = {
    "E": ParamSpec("GPa", "Young's modulus (pristine, unlithiated state for active materials)",
                   _SOLIDS, Range(0.0, 2000.0, lo_open=True)),
    "nu": ParamSpec("-", "Poisson ratio (pristine state)", _SOLIDS,
                    Range(-1.0, 0.5, lo_open=True, hi_open=True)),
    "E_lithiated": ParamSpec("GPa", "Young's modulus of the fully lithiated state (c = 1)",
                             ("active",), Range(0.0, 2000.0, lo_open=True)),
    "nu_lithiated": ParamSpec("-", "Poisson ratio of the fully lithiated state (c = 1)",
                              ("active",), Range(-1.0, 0.5, lo_open=True, hi_open=True)),
    "expansion": ParamSpec("-", "volumetric chemical strain at c = 1; small-strain eigenstrain "
                           "is expansion/3 * c * I", ("active",), Range(0.0, 10.0)),
    "diffusivity": ParamSpec("nm^2/s", "Li diffusivity at c = 0", ("active",),
                             Range(0.0, 1e12, lo_open=True)),
    "diffusivity_lithiated": ParamSpec("nm^2/s", "Li diffusivity at c = 1", ("active",),
                                       Range(0.0, 1e12, lo_open=True)),
    "diffusivity_law": ParamSpec("", "D(c) between the two diffusivities: constant (D(0)), "
                                 "linear in c, log_linear (log D linear in c), or "
                                 "regular_solution (D(0) (1/(1-c) - 2 omega c), a sharp "
                                 "two-phase front; D(1) unused)", ("active",),
                                 choices=("constant", "linear", "log_linear", "regular_solution")),
    "diffusivity_omega": ParamSpec("-", "omega of the regular_solution law: the closer to 2, "
                                   "the sharper the front (D nearly vanishes at c = 1/2)",
                                   ("active",), Range(0.0, 2.0, hi_open=True)),
    "front_mobility_ratio": ParamSpec("-", "diffusivity multiplier at the lithiation front when it "
                                      "faces <110> (1 facing <100> or <111>; crystal axes = mesh "
                                      "axes): orientation-dependent interface mobility; 1: isotropic",
                                      ("active",), Range(1.0, 100.0)),
    "c_max": ParamSpec("mol/m^3", "Li concentration at c = 1, per reference (unlithiated) "
                       "volume", ("active",), Range(0.0, 1e7, lo_open=True)),
    "partial_molar_volume": ParamSpec("m^3/mol", "partial molar volume of Li in the host",
                                      ("active",), Range(0.0, 1e-3, lo_open=True)),
    "yield_stress": ParamSpec("GPa", "yield (flow) stress of the lithiated phase", ("active",),
                              Range(0.0, 100.0, lo_open=True)),
    "yield_stress_pristine": ParamSpec("GPa", "yield stress at c = 0; J2 plasticity "
                                       "interpolates linearly in c", ("active",),
                                       Range(0.0, 100.0, lo_open=True)),
    "Gc": ParamSpec("GPa nm", "fracture energy (J/m^2); pristine state for active materials",
                    _SOLIDS, Range(0.0, 1e6, lo_open=True)),
    "Gc_lithiated": ParamSpec("GPa nm", "fracture energy of the fully lithiated state (J/m^2)",
                              ("active",), Range(0.0, 1e6, lo_open=True)),
    "K_IC": ParamSpec("MPa m^0.5", "mode-I fracture toughness, where published", _SOLIDS,
                      Range(0.0, 100.0, lo_open=True)),
    "modulus_law": ParamSpec("", "E and nu of Si against the Li content: interpolated (linear in c between "
                             "E, nu and E_lithiated, nu_lithiated); linear or hertzberg (reaction front "
                             "only: E = (1 - h) E + h E_LixSi(x), h the lithiated phase fraction, x its "
                             "composition, E_LixSi the LixSi law of that name, `sifrac materials`)", ("active",),
                             choices=("interpolated", "linear", "hertzberg")),
    "front_law": ParamSpec("", "how the lithiation front moves: diffusion (Li diffuses in with D(c); a "
                           "steep D(c) makes the front) or reaction (an Allen-Cahn order parameter "
                           "moved at the reaction-limited speed v = front_speed r(n) exp(-B p / kT) f(c); "
                           "no Li transport into pristine Si: docs/user-guide.md, Reaction-controlled "
                           "front)", ("active",), choices=("diffusion", "reaction")),
    "front_speed": ParamSpec("nm/s", "reaction front: stress-free speed of a front facing <110> (of "
                             "any front, isotropic law); a time unit of the reaction-limited model",
                             ("active",), Range(0.0, 1e6, lo_open=True)),
    "front_orientation": ParamSpec("", "reaction front: orientation law r(n) of the rate: isotropic; "
                                   "cubic (rate interpolated by cubic invariants between <100>, <110>, "
                                   "<111>); zhang_linear (linear in the angle between the nearest <100> "
                                   "and <110>, Zhang et al. 2016)", ("active",),
                                   choices=("isotropic", "cubic", "zhang_linear")),
    "front_barrier_100": ParamSpec("eV", "reaction front: activation energy E0 facing <100> (only "
                                   "differences to front_barrier_110 enter)", ("active",), Range(0.0, 10.0)),
    "front_barrier_110": ParamSpec("eV", "reaction front: activation energy E0 facing <110>", ("active",),
                                   Range(0.0, 10.0)),
    "front_barrier_111": ParamSpec("eV", "reaction front: activation energy E0 facing <111>", ("active",),
                                   Range(0.0, 10.0)),
    "front_bond_fraction": ParamSpec("-", "reaction front: phi_Si of B = phi_Si V_Si / (2 e), the "
                                     "pressure work per Si-Si bond broken at the front", ("active",),
                                     Range(0.0, 1.0, lo_open=True)),
    "front_threshold": ParamSpec("-", "reaction front: c0 of f(c) = 1 / (1 + exp(C (c0 - c))), the "
                                 "Li content below which the front starves", ("active",), FRACTION),
    "front_steepness": ParamSpec("-", "reaction front: C of f(c)", ("active",), Range(0.0, 1e3)),
    "front_temperature": ParamSpec("K", "reaction front: temperature T of the rate law (kT)", ("active",),
                                   Range(0.0, 2000.0, lo_open=True)),
    "front_composition": ParamSpec("-", "reaction front: composition behind the first front, as a "
                                   "fraction of Li3.75Si (c-Si 1, a-Si Li2.5Si = 2/3); the reaction "
                                   "front counts c per Li3.75Si", ("active",),
                                   Range(0.0, 1.0, lo_open=True)),
}


def gc_from_kic(k_ic: float, e: float, nu: float) -> float:
    """Plane-strain Gc = K_IC^2 (1 - nu^2) / E in GPa nm, from MPa m^0.5 and GPa.

    (MPa m^0.5)^2 / GPa = 1e12 Pa^2 m / 1e9 Pa = 1e3 J/m^2, hence the factor 1000; rounded to
    two decimals because the inputs carry at most two significant digits.
    """
    return round(1000.0 * k_ic**2 * (1.0 - nu**2) / e, 2)
