"""`[loading]` (a discriminated union on `mode`: the chemical modes, displacement, surfing) and
`[mechanics]`, with the rules that tie them to the geometry and the active material."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from sifrac.solver.case.errors import OPS, format_value, value_error
from sifrac.solver.case.keys import AUTO, Earlier, Section, key, owned, tidy
from sifrac.solver.case.types import StrList, Vector, Weights
from sifrac.solver.materials import FRACTION, NON_NEGATIVE, POSITIVE, Range

CHEMICAL_MODES = ("galvanostatic", "potentiostatic", "uniform")
#: Loading modes without chemistry: the concentration stays at soc_start and boundary
#: displacements grow with the (pseudo-)time (solver/loading.py).
MECHANICAL_MODES = ("displacement", "surfing")
AXISYMMETRIC_KINDS = ("particle", "hollow_sphere")


class Loading(Section):
    """Electrochemical loading of the active surfaces."""

    mode: Literal["galvanostatic", "potentiostatic", "uniform", "displacement", "surfing"] = key(
        "galvanostatic", "galvanostatic: constant flux set by c_rate; potentiostatic: fixed surface "
        "concentration; uniform: the concentration is imposed uniformly in Si and follows the C-rate "
        "(homogeneous benchmarks); displacement: no chemistry, `loaded` boundaries move by t * displacement, "
        "`clamped` ones are fixed; surfing: no chemistry, the plane-strain mode-I K-field centred at "
        "(surfing_start + surfing_speed * t, 0) on the `loaded` boundaries (Hossain et al. 2014)")
    c_rate: float = key(1.0, "charge rate: 1/c_rate hours for a full lithiation", unit="1/h",
                        range=Range(0.0, 1000.0, lo_open=True))
    direction: Literal["lithiation", "delithiation"] = key("lithiation", "lithiation (Li in) or delithiation (Li out)")
    soc_start: float = key(AUTO, "initial concentration (fraction of c_max)", unit="-", range=FRACTION)
    soc_end: float = key(AUTO, "state of charge at which the run stops", unit="-", range=FRACTION)
    surface_concentration: float = key(AUTO, "surface concentration (used by potentiostatic mode only)",
                                       unit="-", range=FRACTION)
    ramp_time: float = key(0.0, "potentiostatic: the surface concentration moves linearly from soc_start to "
                           "surface_concentration over this time (a fast potential sweep instead of a step, "
                           "which a thin plastic shell's Newton solve cannot take at once); 0: a step",
                           unit="s", range=NON_NEGATIVE)
    surfaces: StrList | None = key(None, "boundary names Li enters or leaves through; unset: the geometry's own "
                                   "lithiation surfaces")
    stack_pressure: float = key(0.0, "external pressure on the stack", unit="GPa", range=NON_NEGATIVE)
    temperature: float = key(298.15, "temperature (stress-assisted diffusion)", unit="K", range=POSITIVE)
    stress_assisted: bool = key(False, "hydrostatic-stress-driven Li flux")
    surface_stress_coupling: bool = key(False, "potentiostatic: the surface concentration is in equilibrium with "
                                        "the local hydrostatic stress, ln(c/(1-c)) = ln(c_s/(1-c_s)) + Omega "
                                        "sigma_h / (R T) with c_s = surface_concentration (compression takes up "
                                        "less Li; imposed by a fast surface reaction); false: c = c_s")
    loaded: StrList | None = key(None, "boundaries with prescribed displacement; their reaction force along "
                                 "`displacement` is the history column reaction_force")
    clamped: StrList | None = key(None, "boundaries held at u = 0")
    displacement: Vector | None = key(None, "displacement of the loaded boundaries per unit time "
                                      "(at t: t * displacement)", unit="nm")
    stress_intensity: float | None = key(None, "K of the surfing K-field", unit="GPa nm^0.5", range=POSITIVE)
    surfing_speed: float | None = key(None, "speed of the K-field centre along x", unit="nm/s", range=POSITIVE)
    surfing_start: float | None = key(None, "x of the K-field centre at t = 0", unit="nm")

    def auto_soc_start(self, earlier: Earlier) -> float:
        """0 for lithiation, 1 for delithiation"""
        return 0.0 if self.direction == "lithiation" else 1.0

    def auto_soc_end(self, earlier: Earlier) -> float:
        """1 for lithiation, 0 for delithiation"""
        return 1.0 if self.direction == "lithiation" else 0.0

    auto_surface_concentration = auto_soc_end

    def duration(self, earlier: Earlier, t_end: float | None) -> float:
        """Expected length of the run (s), the scale of the auto time steps."""
        if earlier.active.reaction_front:  # the stress-free front crosses the body
            return earlier.geometry.size() / earlier.active.front_speed
        if self.mode in ("galvanostatic", "uniform"):
            return abs(self.soc_end - self.soc_start) * 3600.0 / self.c_rate
        if t_end is not None:
            return t_end
        return earlier.geometry.size() ** 2 / earlier.active.diffusivity

    def check(self, earlier: Earlier) -> None:
        op = ">" if self.direction == "lithiation" else "<"
        if not OPS[op](self.soc_end, self.soc_start):
            raise value_error("[loading] soc_end", self.soc_end,
                              f"must be {op} soc_start = {format_value(self.soc_start)} for direction = "
                              f"{format_value(self.direction)}")
        self.check_mode(earlier)
        if self.surface_stress_coupling and self.mode != "potentiostatic":
            raise value_error("[loading] surface_stress_coupling", True, "sets the surface concentration of "
                              f"potentiostatic loading; allowed with mode = {format_value(self.mode)}: false")
        self._check_molar_volume(earlier)
        if earlier.active.reaction_front:
            self._check_front(earlier)

    def _check_molar_volume(self, earlier: Earlier) -> None:
        """One expansion, one partial molar volume: where the stress couples to the Li (flux or
        surface value), Omega c_max must be the expansion the swelling uses, as the library's are."""
        act = earlier.active
        if not (self.stress_assisted or self.surface_stress_coupling):
            return
        implied = act.partial_molar_volume * act.c_max
        if not math.isclose(implied, act.expansion, rel_tol=1e-3):
            raise value_error("[active] partial_molar_volume", act.partial_molar_volume,
                              f"partial_molar_volume * c_max = {implied:.4g} differs from expansion = "
                              f"{format_value(act.expansion)}: the stress-coupled Li and the swelling must use one "
                              f"value; allowed: {format_value(tidy(act.expansion / act.c_max))} (or change "
                              "expansion)")

    def _check_front(self, earlier: Earlier) -> None:
        """The reaction front lithiates from surfaces that nucleate it (potentiostatic; a second
        step holds them at surface_concentration), from pristine Si, with no Li transport that
        follows the stress."""
        act = earlier.active
        if self.mode != "potentiostatic" or self.direction != "lithiation":
            raise value_error("[loading] mode", self.mode, "the reaction front lithiates from surfaces that "
                              "nucleate it (and hold surface_concentration in a second step); allowed with "
                              "front_law = \"reaction\": potentiostatic with direction = lithiation")
        if self.soc_start != 0.0:
            raise value_error("[loading] soc_start", self.soc_start, "the reaction front starts from pristine Si; "
                              "allowed with front_law = \"reaction\": 0")
        for name in ("stress_assisted", "surface_stress_coupling"):
            if getattr(self, name):
                raise value_error(f"[loading] {name}", True, "no Li transport follows the stress behind a "
                                  "reaction front; allowed with front_law = \"reaction\": false")
        if self.soc_end > act.front_composition and self.surface_concentration <= act.front_composition:
            raise value_error("[loading] soc_end", self.soc_end, f"lies above front_composition = "
                              f"{format_value(tidy(act.front_composition))}, which the second step reaches only "
                              "with a higher surface_concentration; allowed: soc_end <= front_composition")

    def check_mode(self, earlier: Earlier) -> None:
        """What this loading mode cannot be combined with."""


class Chemical(Loading):
    mode: Literal["galvanostatic", "potentiostatic", "uniform"] = owned(Loading, "mode", "galvanostatic")


class _Mechanical(Loading):
    """Loading without chemistry: what it cannot be combined with."""

    def check_mode(self, earlier: Earlier) -> None:
        if self.stress_assisted:
            raise value_error("[loading] stress_assisted", True, "has no effect without chemistry; allowed with "
                              f"mode = {format_value(self.mode)}: false")


class Displacement(_Mechanical):
    mode: Literal["displacement"] = owned(Loading, "mode", "displacement")
    loaded: StrList = owned(Loading, "loaded", ["top"])
    clamped: StrList = owned(Loading, "clamped", ["bottom"])
    displacement: Vector = owned(Loading, "displacement", [0.0, 1.0, 0.0])

    def check_mode(self, earlier: Earlier) -> None:
        super().check_mode(earlier)
        if earlier.geometry.dim == 2 and self.displacement[2] != 0.0:
            raise value_error("[loading] displacement", self.displacement,
                              "the third component must be 0 or absent in a 2D case (dim = 2)")


class Surfing(_Mechanical):
    mode: Literal["surfing"] = owned(Loading, "mode", "surfing")
    loaded: StrList = owned(Loading, "loaded", ["left", "right", "top", "bottom"])
    stress_intensity: float = owned(Loading, "stress_intensity", AUTO)
    surfing_speed: float = owned(Loading, "surfing_speed", 1.0)
    surfing_start: float = owned(Loading, "surfing_start", AUTO)

    def auto_stress_intensity(self, earlier: Earlier) -> float:
        """sqrt(Gc E / (1 - nu^2)) of [active]: plane-strain K_Ic"""
        act = earlier.active
        return math.sqrt(act.Gc * act.E / (1 - act.nu ** 2))

    def auto_surfing_start(self, earlier: Earlier) -> float:
        """[geometry] slit_length (plate), else 0"""
        slit = earlier.geometry.slit_length
        return 0.0 if slit is None else slit

    def check_mode(self, earlier: Earlier) -> None:
        super().check_mode(earlier)
        if earlier.geometry.dim != 2:
            raise value_error("[loading] mode", "surfing", "the K-field boundary data is plane strain: allowed "
                              "with [geometry] dim = 3: galvanostatic, potentiostatic, uniform, displacement")


def _mode(given: Any) -> str | None:
    mode = given.get("mode", "galvanostatic") if isinstance(given, dict) else getattr(given, "mode", None)
    return "chemical" if mode in CHEMICAL_MODES else mode if mode in MECHANICAL_MODES else None


AnyLoading = Annotated[Annotated[Chemical, Tag("chemical")] | Annotated[Displacement, Tag("displacement")]
                       | Annotated[Surfing, Tag("surfing")], Discriminator(_mode)]


class Mechanics(Section):
    """Mechanical model options."""

    lateral: Literal["roller", "free"] = key("roller", "film side faces: roller (an infinite film) or free with "
                                             "a clamped bottom")
    displacement_degree: Literal[1, 2] = key(2, "polynomial degree of the displacement")
    expansion_weights: Weights = key([1.0, 1.0, 1.0], "relative swelling along x, y, z (normalised to mean 1, so "
                                     "the volume change stays `expansion`); the hook for anisotropic c-Si swelling")
    plasticity: Literal["none", "J2"] = key("none", "none: elastic Si; J2: von Mises plasticity of Si with a yield "
                                            "stress linear in c from active.yield_stress_pristine to "
                                            "active.yield_stress (radial return, consistent tangent)")
    hardening: float = key(0.0, "linear isotropic hardening modulus H (0: perfect plasticity)", unit="GPa",
                           range=NON_NEGATIVE)
    kinematics: Literal["small", "finite"] = key(
        "small", "small: small strain; finite: logarithmic (Hencky) strain ln(C)/2 with the chemical, elastic "
        "and plastic log strains added (exact F = Fe Fc for isotropic swelling), energy J_c psi per reference "
        "volume, Cauchy stress in the outputs, Gc and ell pulled back through the chemical stretch; 2D only "
        "(plane strain, generalized, axisymmetric)")
    out_of_plane: Literal["plane_strain", "generalized", "axisymmetric"] = key(
        AUTO, "2D only (ignored in 3D): plane_strain (zero axial strain, a long body held at its ends), "
        "generalized (a uniform axial strain with zero net axial force, a long wire with free ends) or "
        "axisymmetric (the symmetric quarter of a particle or hollow sphere revolved about the x axis: a "
        "sphere, its surface flaw a ring around the equator; crack_length stays the section's length)")

    def auto_out_of_plane(self, earlier: Earlier) -> str:
        """generalized for a 2D nanowire, else plane_strain"""
        geometry = earlier.geometry
        return "generalized" if geometry.kind == "nanowire" and geometry.dim == 2 else "plane_strain"

    def check(self, earlier: Earlier) -> None:
        """The free axial strain is found around the mechanics solve, not inside the monolithic
        transport solve; the axisymmetric section must be a meridian quarter of a body of
        revolution; finite strain needs the closed-form logarithm of a 2D model's block-diagonal C,
        and a potentiostatic start (or a reaction front's second step) must be ramped."""
        if earlier.geometry.dim == 2:
            if self.out_of_plane == "axisymmetric":
                self._check_axisymmetric(earlier)
            elif self.out_of_plane == "generalized":
                for name in ("stress_assisted", "surface_stress_coupling"):
                    if getattr(earlier.loading, name):
                        raise value_error("[mechanics] out_of_plane", "generalized",
                                          f"is not combined with [loading] {name} (solved with u in one Newton); "
                                          "allowed: plane_strain")
        if self.kinematics != "finite":
            return
        if earlier.geometry.dim != 2:
            raise value_error("[mechanics] kinematics", "finite", "is implemented in 2D only; geometry.dim = "
                              f"{earlier.geometry.dim}; allowed: small")
        load, act = earlier.loading, earlier.active
        second_step = not act.reaction_front or load.soc_end > act.front_composition
        if load.mode == "potentiostatic" and load.ramp_time == 0 and second_step:
            raise value_error("[loading] ramp_time", 0.0, "finite strain needs the surface concentration ramped "
                              "(a step swells the surface cells by J_c = 1 + expansion * c at once, beyond what "
                              "Newton can start from; with a reaction front: that of the second step, from "
                              "front_composition); allowed: ramp_time > 0, e.g. 0.05")

    def _check_axisymmetric(self, earlier: Earlier) -> None:
        """The quarter disk revolved about the x axis (solver/axisymmetry.py): round kinds only,
        the symmetric section, and isotropic material (a cubic crystal is not axisymmetric)."""
        where = "[mechanics] out_of_plane"
        geometry = earlier.geometry
        if geometry.kind not in AXISYMMETRIC_KINDS:
            raise value_error(where, "axisymmetric", f"revolves a sphere's section; geometry.kind = "
                              f"{format_value(geometry.kind)} is not a body of revolution about x; "
                              f"allowed kinds: {', '.join(AXISYMMETRIC_KINDS)}")
        if not geometry.symmetry:
            raise value_error(where, "axisymmetric", "needs geometry.symmetry = true (the meridian quarter "
                              "x >= 0, y >= 0: y is the distance to the axis)")
        if geometry.matrix:
            raise value_error(where, "axisymmetric", "is not combined with geometry.matrix = true (the matrix "
                              "box would revolve into a cylinder whose `top` is its curved side); allowed: "
                              "matrix = false")
        if len(set(self.expansion_weights)) > 1:
            raise value_error(where, "axisymmetric", "needs isotropic swelling; mechanics.expansion_weights = "
                              f"{self.expansion_weights}; allowed: equal weights")
        if earlier.active.front_mobility_ratio != 1.0:
            raise value_error(where, "axisymmetric", "needs an isotropic front; active.front_mobility_ratio = "
                              f"{earlier.active.front_mobility_ratio:g} (cubic); allowed: 1")
