"""`[fracture]`: the phase-field model, its alternate minimisation, pre-existing cracks and the
fracture criterion."""

from __future__ import annotations

from typing import Literal

from sifrac.solver import phasefield
from sifrac.solver.case.errors import format_value, value_error
from sifrac.solver.case.geometry import ROUND_KINDS
from sifrac.solver.case.keys import AUTO, Earlier, Section, key, tidy
from sifrac.solver.case.types import Points, StrList
from sifrac.solver.materials import NON_NEGATIVE, POSITIVE, Range


class Fracture(Section):
    """Phase-field fracture (AT1/AT2) by alternate minimisation with the damage bounded by its previous value
    and 1 (SNES vinewtonrsls), or driven by the history of the driving energy (irreversibility = history)."""

    model: Literal["none", "AT1", "AT2"] = key("none", "crack model; none: no damage field")
    split: Literal["none", "voldev", "spectral", "rankine", "rankine_voldev"] = key(
        "rankine", "elastic energy split: which part damage degrades. spectral (2D only) degrades positive "
        "principal strains, so a confined film can damage in compression past about 2 sigma_c; voldev degrades "
        "the deviatoric part, so strong uniaxial compression can damage (at sqrt(1.5) times the tensile strength "
        "for nu = 0); rankine (2D and 3D): hybrid model, stiffness degraded isotropically, damage driven by the "
        "positive principal stress only, <sigma_1>^2/(2E); rankine_voldev: the same driving force with the "
        "stiffness degraded as voldev, so closed crack faces carry pressure (needed in finite strain, where the "
        "swelling shell would crush a flaw band that has lost its bulk stiffness)")
    length_scale: float = key(AUTO, "regularisation length ell of the active material", unit="nm", range=POSITIVE)
    length_scale_electrolyte: float | None = key(None, "ell of the electrolyte when it may crack (default: "
                                                 "length_scale)", unit="nm", range=POSITIVE)
    regions: StrList = key(["si"], "regions carrying a damage field (si, electrolyte, collector); elsewhere d = 0")
    residual_stiffness: float = key(1e-6, "k in g(d) = (1 - d)^2 + k", unit="-", range=Range(0.0, 0.01))
    band_tether: float = key(0.0, "stiffness of a tether that holds cracked material (d >= threshold) to where it "
                             "was at the last accepted step, force band_tether x (u - u_old) per volume (0: none). "
                             "Why: in finite strain the broken band inside a wide-open crack is stretched hundreds "
                             "of times, its shear stiffness vanishes and its nodes float, so the mechanics tangent "
                             "turns singular and Newton stalls; the tether takes that mode out. history.csv "
                             "reports its energy at each accepted step (tether_energy)", unit="GPa/nm^2",
                             range=NON_NEGATIVE)
    max_iterations: int = key(300, "largest number of alternate-minimisation iterations per step; more cuts the "
                              "step", range=Range(1))
    tol_damage: float = key(1e-4, "alternate minimisation stops when the damage increment (max norm) ...",
                            unit="-", range=POSITIVE)
    tol_energy: float = key(1e-6, "... and the relative change of the total energy are below these", unit="-",
                            range=POSITIVE)
    acceleration: Literal["none", "overrelaxation", "anderson"] = key(
        "none", "acceleration of alternate minimisation. overrelaxation: a damage step that points the way of the "
        "previous one (a creeping crack) is lengthened, d = d_k + relaxation (d_min - d_k) projected onto "
        "[d_prev, 1] (Farrell & Maurini, IJNME 109 (2017) 648), unless that raises the energy above that of d_k "
        "(then d = d_min: still a descent method); SENT short: 26% fewer sub-solves, same peak load. anderson: "
        "while the staggered map contracts (shorter damage steps, falling energy), d is the Anderson mix of the "
        "last anderson_depth iterates projected onto [d_prev, 1] (kept only if it does not turn back against the "
        "plain step), elsewhere the step is the plain one, over-relaxed where it creeps (Storvik et al., CMAME "
        "381 (2021) 113822); measurements: docs/notes/anderson.md")
    relaxation: float = key(1.7, "over-relaxation factor omega of acceleration = overrelaxation or anderson (1: "
                            "plain alternate minimisation; SENT short: 1.5 to 1.8 about as good, 1.9 overshoots "
                            "into a cut step)", unit="-", range=Range(1.0, 2.0, hi_open=True))
    anderson_depth: int | None = key(5, "depth m of acceleration = anderson: how many past damage iterates the "
                                     "mixing combines", range=Range(1, 20), when={"acceleration": "anderson"})
    max_damage_increment: float = key(1.0, "a step whose damage grows by more than this anywhere is cut (unless "
                                      "at dt_min)", unit="-", range=Range(0.0, 1.0, lo_open=True))
    threshold: float = key(0.9, "damage level that counts as cracked (crack initiation, `fractured`)", unit="-",
                           range=Range(0.0, 1.0, lo_open=True))
    criterion: Literal["max_damage", "crack_length", "crack_growth", "geometry"] = key(
        "max_damage", "`fractured` in summary.json: max_damage >= threshold, and for crack_length also "
        "crack_length >= crack_length_min, for crack_growth also crack_length >= crack_growth_ratio x its value "
        "at step 0 (the pre-existing flaw as meshed and measured: use these two with pre-existing cracks); "
        "geometry (round bodies): the band d >= threshold along the flaw's radial line has grown by 2 elements "
        "(mesh_size_top) beyond its step-0 depth and runs through the wall of a hollow sphere, or reaches the "
        "depth where the uncracked crack-plane stress turns compressive (the compressive core, sampled on the "
        "radius along +x, away from the flaw), or (with a pre-existing crack) the crack_growth condition holds: "
        "history.csv gains crack_depth and compressive_depth, summary.json says which held (fractured_by). Crack "
        "initiation is when the criterion first holds; max_damage with threshold = 0.8 and no flaw is the "
        "nucleation criterion of Zhang et al. (2016)")
    crack_length_min: float = key(0.0, "crack length (area in 3D) for criterion = crack_length", unit="nm",
                                  range=NON_NEGATIVE)
    crack_growth_ratio: float = key(2.0, "for criterion = crack_growth: the crack length (area in 3D) over its "
                                    "value at step 0; 2: the flaw has grown by its own size, whatever its measured "
                                    "length on the mesh", unit="-", range=Range(1.0, lo_open=True))
    irreversibility: Literal["bound", "history"] | None = key(
        None, "unset or bound: d >= its value at the last accepted step (exact, the variational inequality's "
        "lower bound); history: the damage is driven by H = the largest driving energy of every accepted step so "
        "far at each quadrature point (Miehe, Hofacker & Welschinger 2010), with 0 <= d <= 1 as bounds: the "
        "scheme of Zhang et al. (2016) with AT2 (there d = 2 ell H / (Gc + 2 ell H) in a homogeneous bar, "
        "d = 0.8 at H = 2 Gc / ell)")
    stop_at_fracture: bool = key(False, "end the run (status complete) as soon as the fracture criterion holds: "
                                 "threshold studies need no more")
    surface_flaw: float = key(0.0, "depth of a pre-existing radial surface flaw (d = 1) of a round body, on the "
                              "plane x = centre at the top (+y) of the outer surface: a segment in 2D, a half-penny "
                              "disc of this radius in 3D; it moves with geometry.diameter in size studies (0: none)",
                              unit="nm", range=NON_NEGATIVE)
    initial_disc: Points | None = key(None, "pre-existing crack in 3D: a disc [centre, normal] of radius "
                                      "initial_disc_radius where d = 1 initially", unit="nm")
    initial_disc_radius: float | None = key(None, "radius of initial_disc", unit="nm", range=POSITIVE)
    initial_crack: Points | None = key(None, "pre-existing crack: a segment [start, end] where d = 1 initially "
                                       "(2D)", unit="nm")
    damaged_diffusivity_factor: float = key(1.0, "D in cracked material is D (1 + (f - 1) d) (f = 1: no coupling)",
                                            unit="-", range=Range(1.0, 1e6))
    strength: float | None = key(None, "derived, not an input: the homogeneous peak stress of the active material "
                                 "that ell implies (AT1: sqrt(3 Gc E / (8 ell)))", unit="GPa", range=POSITIVE)

    def auto_length_scale(self, earlier: Earlier) -> float:
        """2 * mesh_size_surface"""
        return 2.0 * earlier.geometry.mesh_size_surface

    def check(self, earlier: Earlier) -> None:
        """Combinations the fracture model does not support; then the strength that ell implies."""
        self.strength = None
        if self.model == "none":
            return
        geometry, act = earlier.geometry, earlier.active
        if self.split == "spectral" and geometry.dim == 3:
            raise value_error("[fracture] split", "spectral", "is implemented for 2D (plane strain) only; "
                              "allowed in 3D: none, voldev")
        if earlier.loading.stress_assisted:
            raise value_error("[loading] stress_assisted", True, "cannot be combined with fracture yet; "
                              "allowed with [fracture] model = AT1/AT2: false")
        unknown = sorted(set(self.regions) - {"si", "electrolyte", "collector"})
        if unknown or "si" not in self.regions:
            raise value_error("[fracture] regions", self.regions, "must contain si; allowed: si, "
                              "electrolyte, collector")
        if self.surface_flaw > 0 and geometry.kind not in ROUND_KINDS:
            raise value_error("[fracture] surface_flaw", self.surface_flaw, "needs a round body; allowed with "
                              "geometry.kind = particle, nanowire, hollow_sphere (films: notch_depth or "
                              "initial_crack)")
        if geometry.diameter is not None and self.surface_flaw >= geometry.diameter / 2:
            raise value_error("[fracture] surface_flaw", self.surface_flaw, "must be < geometry.diameter / 2")
        if self.criterion == "crack_growth" and not (self.surface_flaw > 0 or self.initial_crack is not None
                                                     or self.initial_disc is not None):
            raise value_error("[fracture] criterion", "crack_growth", "measures growth from a pre-existing crack: "
                              "set [fracture] surface_flaw, initial_crack or initial_disc, or use criterion = "
                              "max_damage or crack_length")
        if self.criterion == "geometry" and geometry.kind not in ROUND_KINDS:
            raise value_error("[fracture] criterion", "geometry", "reads the damage along the flaw's radius of a "
                              "round body; allowed with geometry.kind = particle, nanowire, hollow_sphere")
        wall = (geometry.diameter - geometry.inner_diameter) / 2 if geometry.kind == "hollow_sphere" else None
        if wall is not None and self.surface_flaw >= wall:
            raise value_error("[fracture] surface_flaw", self.surface_flaw, "must be shallower than the hollow "
                              "sphere's wall, (diameter - inner_diameter) / 2 = "
                              f"{format_value(tidy(wall))} nm")
        if self.irreversibility == "history" and self.acceleration == "overrelaxation":
            raise value_error("[fracture] irreversibility", "history", "is not combined with acceleration = "
                              "overrelaxation (which projects onto d >= d_prev); allowed: acceleration = none")
        if self.initial_disc is not None:
            disc = self.initial_disc
            if geometry.dim != 3 or len(disc) != 2 or self.initial_disc_radius is None:
                raise value_error("[fracture] initial_disc", disc, "is a 3D disc [[cx, cy, cz], [nx, ny, nz]] "
                                  "(centre, normal) with [fracture] initial_disc_radius; allowed in 2D: "
                                  "initial_crack")
            if not any(disc[1]):
                raise value_error("[fracture] initial_disc", disc, "the normal [nx, ny, nz] must not be zero")
        if self.initial_crack is not None and len(self.initial_crack) != 2:
            raise value_error("[fracture] initial_crack", self.initial_crack,
                              "expected a segment of two points [[x0, y0], [x1, y1]]")
        self.strength = round(phasefield.strength(self.model, act.Gc, act.E, self.length_scale), 12)

