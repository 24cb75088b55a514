"""Materials library: every parameter value of sifrac with its unit, source and status.

Units: nm, GPa, s; concentration as a fraction of c_max; 1 J/m^2 = 1 GPa nm; 1e-12 cm^2/s =
100 nm^2/s. Each value cites its source in full and says what kind of number it is (STATUSES):
measured, computed, taken from a published model, derived here, a modelling choice, or an
estimate; where the literature gives a range, the value is a representative inside it and the
range is kept (`published`) so that a case can say whether it stays inside. Pure Python on
purpose: case validation uses it before any MPI or DOLFINx call.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from sifrac.solver.parameters import (  # noqa: F401  (re-exported: the library's vocabulary)
    FRACTION,
    NON_NEGATIVE,
    PARAMETERS,
    POSITIVE,
    ROLES,
    STATUSES,
    Material,
    Param,
    ParamSpec,
    Range,
    UnknownMaterial,
    gc_from_kic,
)

# Sources quoted more than once, as full citations.
_HOPCROFT = ("M. A. Hopcroft, W. D. Nix & T. W. Kenny, What is the Young's modulus of silicon?, "
             "J. Microelectromech. Syst. 19 (2010) 229")
_SETHURAMAN = ("V. A. Sethuraman, M. J. Chon, M. Shimshak, V. Srinivasan & P. R. Guduru, In situ "
               "measurements of stress evolution in silicon thin films during electrochemical lithiation "
               "and delithiation, J. Power Sources 195 (2010) 5062")
_ZHANG = ("X. Zhang, A. Krischok & C. Linder, A variational framework to model diffusion induced large "
          "plastic deformation and phase field fracture during initial two-phase lithiation of silicon "
          "electrodes, Comput. Methods Appl. Mech. Eng. 312 (2016) 51")
_SHENOY = ("V. B. Shenoy, P. Johari & Y. Qi, Elastic softening of amorphous and crystalline Li-Si phases "
           "with increasing Li concentration: a first-principles study, J. Power Sources 195 (2010) 6825")
_BERLA = ("L. A. Berla, S. W. Lee, Y. Cui & W. D. Nix, Mechanical behavior of electrochemically lithiated "
          "silicon, J. Power Sources 273 (2015) 41")
_LITHIATED_E = f"{_SHENOY}; {_BERLA}; as compiled by {_ZHANG}"
_BEAULIEU = ("L. Y. Beaulieu, K. W. Eberman, R. L. Turner, L. J. Krause & J. R. Dahn, Colossal reversible "
             "volume changes in lithium alloys, Electrochem. Solid-State Lett. 4 (2001) A137")
_MCDOWELL = ("M. T. McDowell et al., In situ TEM of two-phase lithiation of amorphous silicon nanospheres, "
             "Nano Lett. 13 (2013) 758")
_LIU_2012 = ("X. H. Liu, L. Zhong, S. Huang, S. X. Mao, T. Zhu & J. Y. Huang, Size-dependent fracture of "
             "silicon nanoparticles during lithiation, ACS Nano 6 (2012) 1522")
_PHARR = ("M. Pharr, Z. Suo & J. J. Vlassak, Measurements of the fracture energy of lithiated silicon "
          "electrodes of Li-ion batteries, Nano Lett. 13 (2013) 5570")
_HERTZBERG = ("B. Hertzberg, J. Benson & G. Yushin, Ex-situ depth-sensing indentation measurements of "
              "electrochemically produced Si-Li alloy films, Electrochem. Commun. 13 (2011) 818")
_GAO_HONG = ("F. Gao & W. Hong, Phase-field model for the two-phase lithiation of silicon, J. Mech. Phys. Solids 94 "
             "(2016) 18")
_PHARR_2012 = ("M. Pharr, K. Zhao, X. Wang, Z. Suo & J. J. Vlassak, Kinetics of initial lithiation of crystalline "
               "silicon electrodes of lithium-ion batteries, Nano Lett. 12 (2012) 5039")
_YANG_2012 = ("H. Yang et al., Orientation-dependent interfacial mobility governs the anisotropic swelling "
              "in lithiated silicon nanowires, Nano Lett. 12 (2012) 1953")
_REVIEW = "the review RSC Adv. 15 (2025) 33561"
_NI = ("J. E. Ni, E. D. Case, J. S. Sakamoto, E. Rangasamy & J. B. Wolfenstine, Room temperature "
       "elastic moduli and Vickers hardness of hot-pressed LLZO cubic garnet, J. Mater. Sci. 47 (2012) 7978")
_WOLFENSTINE = "J. Wolfenstine et al., Mater. Lett. 96 (2013) 117 (fracture toughness of hot-pressed cubic LLZO)"
_HU_2021 = ("S. Hu, P. Xu, L. Scalco de Vasconcelos, L. Stanciu, H. Ni & K. Zhao, Elastic modulus, "
            "hardness, and fracture toughness of Li6.4La3Zr1.4Ta0.6O12 solid electrolyte, Chin. Phys. "
            "Lett. 38 (2021) 098401")
_JACKMAN = ("S. D. Jackman & R. A. Cutler, Effect of microcracking on ionic conductivity in LATP, "
            "J. Power Sources 218 (2012) 65")
_DENG = ("Z. Deng, Z. Wang, I.-H. Chu, J. Luo & S. P. Ong, Elastic properties of alkali superionic "
         "conductor electrolytes from first principles calculations, J. Electrochem. Soc. 163 (2016) A67")
_SAKUDA = ("A. Sakuda, A. Hayashi & M. Tatsumisago, Sulfide solid electrolyte with favorable mechanical "
           "property for all-solid-state lithium battery, Sci. Rep. 3 (2013) 2261")
_MCGROGAN = ("F. P. McGrogan et al., Compliant yet brittle mechanical behavior of Li2S-P2S5 "
             "lithium-ion-conducting solid electrolyte, Adv. Energy Mater. 7 (2017) 1602011")
# Cited by number in the `sifrac materials` table (spelt out in full in parameters.csv).
REFERENCES = (_HOPCROFT, _SETHURAMAN, _ZHANG, _SHENOY, _BERLA, _BEAULIEU, _LIU_2012, _PHARR, _YANG_2012,
              _MCDOWELL, _NI, _WOLFENSTINE, _HU_2021, _JACKMAN, _DENG, _SAKUDA, _MCGROGAN, _HERTZBERG, _GAO_HONG,
              _PHARR_2012)
_NO_SOURCE = "no published source collected"
_UNCHECKED = "not checked against the original paper"
_SI_MOLAR_VOLUME = 28.0855e-3 / 2330.0  # m^3/mol of crystalline Si (M / rho)
#: Li per Si of Li15Si4, the fully lithiated phase (composition x = Li per Si / FULL_LITHIATION).
FULL_LITHIATION = 3.75
#: The one expansion: volume ratio 1 + EXPANSION_FULL at Li3.75Si (J = 1 + 2.8 x).
EXPANSION_FULL = 2.8


def _material(name: str, role: str, description: str, params: dict[str, Param]) -> Material:
    """A Material with its parameters in PARAMETERS order, so tables and cases read alike."""
    unknown = set(params) - set(PARAMETERS)
    assert not unknown, f"{name}: parameters missing from PARAMETERS: {sorted(unknown)}"
    return Material(name, role, description, {k: params[k] for k in PARAMETERS if k in params})


def c_max_of(li_per_si: float) -> float:
    """Li per reference (unlithiated) Si volume, mol/m^3, of Li_xSi with x = li_per_si (4 digits:
    Li2.5Si holds exactly 2/3 of Li3.75Si)."""
    return round(li_per_si / _SI_MOLAR_VOLUME, -2)


#: The one partial molar volume of Li that follows from it: theta / c_max(Li3.75Si) = theta V_m,Si / 3.75
#: (m^3/mol), so that partial_molar_volume * c_max = expansion for every composition.
_OMEGA = EXPANSION_FULL / c_max_of(FULL_LITHIATION)


def _c_max(li_per_si: float) -> Param:
    """Li per reference Si volume at the lithiated state (reference-volume formulation)."""
    return Param(c_max_of(li_per_si), "mol/m^3",
                 f"{li_per_si} Li per Si / molar volume of crystalline Si (28.09 g/mol / 2.33 g/cm^3 = "
                 "1.206e-5 m^3/mol)", "derived",
                 f"Li{li_per_si}Si per reference Si volume; I. Ryu, J. W. Choi, Y. Cui & W. D. Nix, "
                 "J. Mech. Phys. Solids 59 (2011) 1717 use 8.867e4 mol/m^3 per current volume")


_YIELD_LIXSI = Param(1.0, "GPa", _SETHURAMAN, "measured", "flow stress of the lithiated film, about 1 GPa; "
                     f"published range 0.5-2.0 GPa as used by {_ZHANG}", published=(0.5, 2.0))
_GC_LIXSI = Param(6.0, "GPa nm", _PHARR, "measured", "5.4-6.9 J/m^2 at about Li2.8Si, the composition nearest "
                  "the shells behind both first fronts (Li2.5Si, Li3.75Si); their 8.5 +- 4.3 J/m^2 near Li0.7Si is "
                  "weakly lithiated material", published=(5.4, 6.9))


def _lixsi() -> dict[str, Param]:
    """Transport, plasticity and lithiated-phase data shared by c-Si and a-Si."""
    return {
        "nu_lithiated": Param(0.24, "-", _LITHIATED_E, "computed", "Li3.75Si, first-principles value"),
        "diffusivity": Param(100.0, "nm^2/s", _ZHANG, "model input",
                             "1e-12 cm^2/s, the value of that model; measured Li diffusivities in Si span "
                             "1e-13 to 1e-12 cm^2/s (N. Ding et al., Solid State Ionics 180 (2009) 222, as "
                             f"quoted by {_REVIEW}; range {_UNCHECKED})", published=(10.0, 100.0)),
        "diffusivity_lithiated": Param(1500.0, "nm^2/s", _ZHANG, "model input",
                                       "1.5e-11 cm^2/s, the value of that model at c = 1: D rises with c"),
        "diffusivity_law": Param("log_linear", "", f"sifrac's choice between the two diffusivities of {_ZHANG}",
                                 "model choice", "log D linear in c (Zhang et al. interpolate D itself "
                                 "linearly): a steep D(c) that sharpens the lithiation front"),
        "diffusivity_omega": Param(1.95, "-", f"regular-solution diffusivity of the chemo-mechanical model in "
                                   f"{_LIU_2012}", "model choice",
                                   "D0 (1/(1-c) - 2 omega c); omega near 2 makes the two-phase front of "
                                   "c-Si sharp; 1.95 is a numerical choice, not a measured quantity "
                                   "(used only with diffusivity_law = regular_solution)"),
        "partial_molar_volume": Param(_OMEGA, "m^3/mol", f"the one expansion {EXPANSION_FULL} at Li3.75Si "
                                      f"({_BEAULIEU}; as used by {_ZHANG}) over the Li per reference Si volume",
                                      "derived", f"theta V_m,Si / {FULL_LITHIATION} = {EXPANSION_FULL} x 1.2054e-5 / "
                                      f"{FULL_LITHIATION}: the swelling (expansion = Omega c_max) and the "
                                      "stress-coupled flux use this one value; it replaces 8.5e-6 m^3/mol "
                                      f"(attributed to Ahmadi et al. 2020 by {_REVIEW}, primary reference not "
                                      "located), which was 6% off the swelling"),
        "yield_stress": _YIELD_LIXSI,
        "yield_stress_pristine": Param(1.75, "GPa", _SETHURAMAN, "estimate",
                                       "the compressive flow stress early in lithiation (low Li content) as "
                                       f"reported from that work, {_UNCHECKED}; inside the 0.5-2.0 GPa range",
                                       published=(0.5, 2.0)),
        "Gc_lithiated": _GC_LIXSI,
    }


def _active(material: str, params: dict[str, Param]) -> dict[str, Param]:
    """An active material's own values, the shared LixSi data and its reaction-front law."""
    return {**params, **_lixsi(), **_front(material)}


def _front(material: str) -> dict[str, Param]:
    """The reaction-front law of Zhang, Krischok & Linder 2016 (v = v_110 r(n) exp(-B p / kT) f(c)),
    the composition behind the first front and the moduli law: docs/notes/front-model.md section 7."""
    from_zhang = f"{_ZHANG} (Table 2, section 5.1.2; from their ref. 87, X. Zhang et al., Extreme Mech. Lett. " \
                 "4 (2015) 61)"
    crystalline = material == "c-Si"
    if crystalline:
        barriers = {
            "front_barrier_100": Param(0.66, "eV", from_zhang, "model input",
                                       "facing <100>: 0.06 eV above <110>, a rate ratio exp(0.06 / kT) = 10.2 at "
                                       "300 K; section 5.1.1 of that paper swaps the two, 5.1.2 gives the fast <110> "
                                       "front of the experiments", published=(0.59, 0.69)),
            "front_barrier_110": Param(0.60, "eV", from_zhang, "model input", "facing <110>, the fast direction",
                                       published=(0.59, 0.69)),
            "front_barrier_111": Param(0.66, "eV", f"taken equal to <100>: {_PHARR_2012} measured the {{110}} "
                                       "front faster than {100} and {111}", "estimate",
                                       "the value the <110> pillar's section sees at 54.7 degrees from [001]; "
                                       "its natural calibration", published=(0.59, 0.69)),
        }
    else:
        barriers = {f"front_barrier_{d}": Param(0.58, "eV", f"{_ZHANG} (section 5.3)", "model input",
                                               "amorphous: isotropic (only barrier differences enter)",
                                               published=(0.51, 0.58)) for d in ("100", "110", "111")}
    zhang_table = f"{_ZHANG} (Table 2)"
    return {
        "modulus_law": Param("interpolated", "", "sifrac's choice between the laws of the library (the LixSi "
                             f"laws: {_HERTZBERG}; {_SHENOY})", "model choice",
                             "interpolated: linear in c between E and E_lithiated (the diffusion model); the "
                             "LixSi laws (linear, hertzberg) need front_law = reaction"),
        "front_law": Param("diffusion", "", f"sifrac's choice; the reaction-limited front is that of {_ZHANG}",
                           "model choice", "reaction: docs/notes/front-model.md"),
        "front_speed": Param(1.0, "nm/s", "sifrac's time unit of the reaction-limited front", "model choice",
                             "no measured front speed was collected; in the reaction-limited model with "
                             "rate-independent mechanics no result against SOC depends on it"),
        "front_orientation": Param("cubic" if crystalline else "isotropic", "",
                                   f"{_ZHANG} (section 4.2: rates interpolated between <100> and <110>)"
                                   if crystalline else "amorphous Si has no crystal axes", "model choice",
                                   "cubic: the rate interpolated by cubic invariants, equal to that paper's at "
                                   "0, 22.5 and 45 degrees in a (001) section, smooth and valid in 3D"
                                   if crystalline else ""),
        **barriers,
        "front_bond_fraction": Param(1.0 if crystalline else 0.8, "-", zhang_table, "model input",
                                     "B = phi_Si V_Si / (2 e) = 0.0625 eV/GPa x phi_Si (V_Si = a^3 / 8, "
                                     "a = 0.5431 nm)"),
        "front_threshold": Param(0.10 if crystalline else 0.06, "-", zhang_table, "model input",
                                 "inert in the reaction-limited model (c behind the front is far above it)"),
        "front_steepness": Param(50.0, "-", zhang_table, "model input"),
        "front_temperature": Param(300.0, "K", zhang_table, "model input"),
        "front_composition": Param(1.0, "-", f"{_ZHANG} (c about 1 behind the front)", "model input",
                                   "Li3.75Si") if crystalline else
        Param(2 / 3, "-", f"{_MCDOWELL} (in situ TEM); the two steps as described by {_GAO_HONG}", "measured",
              "Li2.5Si behind the first front, 2.5 / 3.75 of Li3.75Si; a front-free second step then "
              "lithiates to Li3.75Si"),
    }


def _c_si() -> Material:
    e, nu, k_ic = 169.0, 0.28, 0.8
    c_max = _c_max(3.75)
    description = "crystalline Si, two-phase lithiation to amorphous Li3.75Si"
    return _material("c-Si", "active", description, _active("c-Si", {
        "E": Param(e, "GPa", _HOPCROFT, "measured", "isotropic approximation (E<110>); E<100> = 130 GPa, "
                   "range 130-169 GPa", published=(130.0, 169.0)),
        "nu": Param(nu, "-", _HOPCROFT, "measured", "isotropic approximation"),
        "E_lithiated": Param(41.0, "GPa", _LITHIATED_E, "computed",
                             "Li3.75Si, first-principles value; alternative law: 80 GPa to x = 2, then "
                             "linear to 12 GPa at x = 3.75 (F. Gao & W. Hong, JMPS 94 (2016) 18)"),
        "expansion": Param(EXPANSION_FULL, "-", f"{_BEAULIEU}; as used by {_ZHANG}", "measured",
                           "J = 1 + 2.8 c (270-300% volume expansion at Li3.75Si); the one expansion: "
                           "partial_molar_volume is derived from it (partial_molar_volume * c_max = 2.8)",
                           published=(2.7, 3.0)),
        "front_mobility_ratio": Param(1.0, "-", f"isotropic approximation; the anisotropy is observed in "
                                      f"{_YANG_2012}", "model choice",
                                      "the <110> interface moves fastest, <111> barely (X. H. Liu et al., "
                                      "Nano Lett. 11 (2011) 3312; M. Pharr et al., Nano Lett. 12 (2012) 5039); "
                                      "no measured ratio collected (several times): set 3-6 to study it"),
        "c_max": c_max,
        "Gc": Param(gc_from_kic(k_ic, e, nu), "GPa nm", f"{_NO_SOURCE}; from the K_IC estimate below",
                    "estimate", f"from K_IC^2 (1-nu^2)/E with K_IC = {k_ic} MPa m^0.5; a typical range for "
                    "single-crystal Si is 2-4 J/m^2", published=(2.0, 4.0)),
        "K_IC": Param(k_ic, "MPa m^0.5", f"{_NO_SOURCE}; typical range for single-crystal Si", "estimate",
                      "0.7-1 MPa m^0.5", published=(0.7, 1.0)),
    }))


def _a_si() -> Material:
    c_max = _c_max(2.5)
    expansion = _OMEGA * c_max.value
    return _material("a-Si", "active", "amorphous Si; first lithiated phase about Li2.5Si "
                    "(Li-poorer than c-Si)", _active("a-Si", {
        "E": Param(80.0, "GPa", f"a-Si value of {_ZHANG} (who cite Sethuraman et al. 2010)", "model input"),
        "nu": Param(0.22, "-", f"a-Si value of {_ZHANG} (who cite Sethuraman et al. 2010)", "model input"),
        "E_lithiated": Param(41.0, "GPa", _LITHIATED_E, "estimate",
                             "the Li3.75Si value reused for Li2.5Si; a modulus linear in x (80 -> 41 GPa) "
                             "would give about 54 GPa there"),
        "expansion": Param(expansion, "-", f"partial_molar_volume * c_max for Li2.5Si, the phase behind the "
                           f"front in {_MCDOWELL}", "derived",
                           f"the one expansion: 2.8 x 2.5 / 3.75 (partial_molar_volume {_OMEGA:.4g} m^3/mol x "
                           f"{c_max.value:.4g} mol/m^3); the smaller expansion is one reason a-Si survives larger "
                           "sizes"),
        "front_mobility_ratio": Param(1.0, "-", "amorphous Si has no crystal axes: isotropic", "model choice"),
        "c_max": c_max,
        "Gc": Param(8.5, "GPa nm", _PHARR, "measured", "8.5 +- 4.3 J/m^2 at about Li0.7Si (weakly "
                    "lithiated a-Si)", published=(4.2, 12.8)),
    }))


def _solid(name: str, role: str, description: str, e: Param, nu: Param,
           k_ic: Param | None = None, gc_k_ic: tuple[float, str, str] | None = None) -> Material:
    """Electrolyte/collector: Gc derived from a published K_IC (measured or not: Gc takes its
    status), or from a stated proxy K_IC (an estimate)."""
    params = {"E": e, "nu": nu}
    status = "estimate"
    if k_ic is not None:
        params["K_IC"] = k_ic
        gc_k_ic = (float(k_ic.value), k_ic.source, "")
        status = "derived" if k_ic.status == "measured" else k_ic.status
    if gc_k_ic is not None:
        kic, source, why = gc_k_ic
        params["Gc"] = Param(gc_from_kic(kic, float(e.value), float(nu.value)), "GPa nm", source, status,
                             f"from K_IC^2 (1-nu^2)/E with K_IC = {kic} MPa m^0.5{why}")
    return _material(name, role, description, params)


def _oxide_nu(like: str) -> Param:
    return Param(0.25, "-", _NO_SOURCE, "estimate", f"typical of oxide ceramics ({like})")


def _library() -> dict[str, Material]:
    oxide_kic = (1.0, f"{_NO_SOURCE}; assumed like other oxide conductors (LLZO 1.25 MPa m^0.5: "
                 f"{_WOLFENSTINE})", ", an assumption")
    materials = [
        _c_si(),
        _a_si(),
        _solid("LLZO", "electrolyte", "garnet oxide Li7La3Zr2O12",
               Param(150.0, "GPa", _NI, "measured", "hot-pressed, 3% porosity (149.8 GPa)"),
               Param(0.26, "-", _NI, "estimate", f"measured in that work; value {_UNCHECKED}"),
               Param(1.25, "MPa m^0.5", _WOLFENSTINE, "estimate",
                     f"hot-pressed cubic LLZO; value {_UNCHECKED}")),
        _solid("LLZTO", "electrolyte", "Ta-doped garnet oxide Li6.4La3Zr1.4Ta0.6O12",
               Param(158.0, "GPa", _HU_2021, "measured", "nanoindentation, 98% dense: 158.5 +- 10.1 GPa",
                     published=(148.4, 168.6)),
               Param(0.26, "-", f"{_NO_SOURCE}; assumed equal to LLZO ({_NI})", "estimate"),
               Param(1.0, "MPa m^0.5", _HU_2021, "measured",
                     "a representative inside the measured 0.44-1.51 MPa m^0.5, rising with the pellet "
                     "density (83-98%)", published=(0.4, 1.5))),
        _solid("LLTO", "electrolyte", "perovskite oxide LixLa0.5TiO3",
               Param(110.0, "GPa", f"Hu, Qiang & Huang, J. Am. Ceram. Soc. 100 (2017) 4153, as quoted by "
                     f"{_REVIEW}", "measured", "range 72-148 GPa, rising with the Li2O content",
                     published=(72.0, 148.0)),
               _oxide_nu("LLZO 0.26"), gc_k_ic=oxide_kic),
        _solid("LATP", "electrolyte", "NASICON oxide Li1.3Al0.3Ti1.7(PO4)3",
               Param(100.0, "GPa", _JACKMAN, "measured", "range 81-115 GPa, rising as the grains get finer",
                     published=(81.0, 115.0)),
               _oxide_nu("LLZO 0.26"),
               Param(1.1, "MPa m^0.5", _JACKMAN, "measured", "fine-grained LATP")),
        _solid("Li6PS5Cl", "electrolyte", "argyrodite sulfide",
               Param(22.0, "GPa", _DENG, "computed", f"first-principles value; {_UNCHECKED}"),
               Param(0.37, "-", _DENG, "computed", f"first-principles value; {_UNCHECKED}"),
               gc_k_ic=(0.23, f"{_NO_SOURCE}; assumed equal to Li2S-P2S5 glass ({_MCGROGAN})",
                        ", the Li2S-P2S5 glass value: an assumption")),
        _solid("Li2S-P2S5", "electrolyte", "sulfide glass (75Li2S-25P2S5 type)",
               Param(20.0, "GPa", _SAKUDA, "measured", "range 18-25 GPa", published=(18.0, 25.0)),
               Param(0.3, "-", _SAKUDA, "estimate", f"value {_UNCHECKED}"),
               Param(0.23, "MPa m^0.5", _MCGROGAN, "estimate", f"value {_UNCHECKED}")),
        _solid("PEO", "electrolyte", "PEO-based polymer SSE; ductile, no fracture data (no Gc)",
               Param(0.1, "GPa", f"representative value from the range quoted by {_REVIEW} (section 5.5.3)",
                     "estimate", "from MPa (PEO-LiTFSI at room temperature) to 1.5 GPa (EP/GF-CPE)"),
               Param(0.45, "-", _NO_SOURCE, "estimate", "nearly incompressible polymer")),
        _solid("CSSE", "electrolyte", "composite (polymer + ceramic filler) SSE; no fracture data "
               "(no Gc)",
               Param(15.0, "GPa", f"Hou et al., Angew. Chem. Int. Ed. 64 (2025), as quoted by {_REVIEW} "
                     "(section 5.5.4)", "estimate", "one composite; composites vary widely"),
               Param(0.3, "-", _NO_SOURCE, "estimate", "typical of filled polymers")),
        _solid("Cu", "collector", "copper current collector; ductile, no Gc (does not fracture)",
               Param(120.0, "GPa", f"{_NO_SOURCE}; typical handbook range for polycrystalline Cu", "estimate",
                     "range 110-130 GPa", published=(110.0, 130.0)),
               Param(0.34, "-", f"{_NO_SOURCE}; typical handbook value for polycrystalline Cu", "estimate")),
        _material("liquid", "liquid", "liquid electrolyte: no solid, a free surface", {}),
    ]
    return {m.name: m for m in materials}


LIBRARY: dict[str, Material] = _library()


def _lixsi_law() -> Material:
    """The lithiated phase of both active materials: LixSi is amorphous whatever it grew from, so
    one law of its composition x (Li per Si over 3.75) serves c-Si and a-Si; `solver/lixsi.py`
    builds E(x), nu(x) from these values (`[active] modulus_law`, reaction front)."""
    a_si_e = f"a-Si value of {_ZHANG} (who cite Sethuraman et al. 2010)"
    return Material("LixSi", "lithiated phase", "c-Si and a-Si, x = Li per Si / 3.75 (modulus_law)", {
        "E_amorphous": Param(80.0, "GPa", a_si_e, "model input", "x = 0: the start of both laws"),
        "E_full_linear": Param(41.0, "GPa", _LITHIATED_E, "computed",
                               "Li3.75Si: the end of the linear law, E linear in x from 80 GPa"),
        "x_knee_hertzberg": Param(x_of(2.0), "-", f"{_GAO_HONG} (section 3.2), after {_HERTZBERG}", "model input",
                                  "Li2Si: the hertzberg law keeps 80 GPa up to it"),
        "E_full_hertzberg": Param(12.0, "GPa", f"{_HERTZBERG}; the law as simplified by {_GAO_HONG} (section 3.2: "
                                  "80 GPa for 0 < x < 2 Li per Si, then linear to 12 GPa at Li3.75Si)", "measured",
                                  "nanoindentation of electrochemically lithiated films: LixSi softens at high Li "
                                  "content"),
        "nu_amorphous": Param(0.22, "-", a_si_e, "model input", "x = 0"),
        "nu_full": Param(0.24, "-", _LITHIATED_E, "computed", "Li3.75Si; nu linear in x"),
        "yield_stress": _YIELD_LIXSI,
        "fracture_energy": _GC_LIXSI,
    })


def x_of(li_per_si: float) -> float:
    """Composition fraction x of LixSi (Li per Si over 3.75)."""
    return li_per_si / FULL_LITHIATION


#: The lithiated phase of both active materials (`sifrac materials` lists it after the library).
LIXSI: Material = _lixsi_law()


def names(role: str | None = None) -> list[str]:
    """Sorted material names, optionally of one role (the order error messages list them in)."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    return sorted(n for n, m in LIBRARY.items() if role is None or m.role == role)


def get(name: str) -> Material:
    """The material called `name`; the error lists the names so a typo is easy to fix."""
    try:
        return LIBRARY[name]
    except (KeyError, TypeError):
        raise UnknownMaterial(f"unknown material {name!r}; allowed: {', '.join(names())}") from None


def _format_value(value: float | str, unit: str) -> str:
    """A parameter value with its unit, as the table and the docs show it."""
    text = value if isinstance(value, str) else f"{value:.6g}"
    return f"{text} {unit}" if unit and unit != "-" else text


def cite(text: str) -> str:
    """`text` with each full citation of REFERENCES replaced by its number, [1], [2], ..."""
    for i, ref in enumerate(REFERENCES, 1):
        text = text.replace(ref, f"[{i}]")
    return text


def table(width: int = 100) -> str:
    """The text table of `sifrac materials`: the status legend, one block per material (each
    value with its unit, status, published range, source and note), then the numbered references;
    wrapped to width."""
    name_w, value_w = 22, 20
    indent = " " * (2 + name_w + value_w + 2)

    def wrapped(text: str, first: str, rest: str) -> list[str]:
        body = textwrap.wrap(text, width - len(rest), break_long_words=False, break_on_hyphens=False)
        return [first + body[0]] + [rest + line for line in body[1:]]

    lines = ["Status of each value:"]
    lines += [f"  {status:<14}{meaning}" for status, meaning in STATUSES.items()]
    lines.append("")
    for m in (*LIBRARY.values(), LIXSI):
        lines += wrapped(m.description, f"{m.name} [{m.role}]: ", "  ")
        if not m.params:
            lines.append("  (no mechanical or transport parameters)")
        for key, p in m.params.items():
            head = f"  {key:<{name_w}}{_format_value(p.value, p.unit):<{value_w}}  "
            text = p.status + (f"; published range {_format_value(_range_text(p.published), p.unit)}"
                               if p.published else "") + f". Source: {cite(p.source)}." + (
                f" Note: {cite(p.note)}." if p.note else "")
            lines += wrapped(text, head, indent)
        lines.append("")
    lines.append("References:")
    for i, ref in enumerate(REFERENCES, 1):
        lines += wrapped(ref, f"  [{i}]".ljust(8), " " * 8)
    return "\n".join(lines).rstrip() + "\n"


def _range_text(published: tuple[float, float] | None) -> str:
    return "" if published is None else f"{published[0]:g}-{published[1]:g}"


PROVENANCE_COLUMNS = ["section", "material", "key", "value", "unit", "origin", "library_value",
                      "published_range", "in_published_range", "source", "note", "status"]


def provenance(case: dict, varied: Iterable[str] = ()) -> list[dict]:
    """One row per material parameter of a resolved case (its tables, `Case.to_dict()`): the value used, whether it is the
    library's, set by the case, or varied by a study, whether it lies in its published range, and
    the library's source. Written next to every result (parameters.csv) so that a reader of a
    prediction sees which inputs it rests on without opening the code."""
    varied = set(varied)
    rows = []
    for section, values in case.items():
        if not isinstance(values, dict) or "material" not in values:
            continue
        material = get(values["material"])
        rebased = values.get("front_law") == "reaction" and material.values().get("c_max") != values.get("c_max")
        for key, value in values.items():
            if key == "material" or key not in PARAMETERS:  # the section's own keys (crystal axes)
                continue
            lib = material.params.get(key)
            origin = ("varied by the study" if f"{section}.{key}" in varied
                      else "library" if lib is not None and lib.value == value
                      else "reaction front: per Li3.75Si" if rebased and key in ("c_max", "expansion") else "case")
            published = lib.published if lib is not None else None
            inside = "" if published is None or isinstance(value, str) else \
                ("yes" if published[0] <= value <= published[1] else "no")
            rows.append({"section": section, "material": material.name, "key": key, "value": value,
                         "unit": PARAMETERS[key].unit, "origin": origin,
                         "library_value": "" if lib is None else lib.value,
                         "published_range": _range_text(published), "in_published_range": inside,
                         "source": "" if lib is None else lib.source, "note": "" if lib is None else lib.note,
                         "status": "" if lib is None else lib.status})
    return rows


def outside_published(rows: list[dict]) -> list[str]:
    """`section.key = value` of the rows whose value lies outside its published range."""
    return [f"{r['section']}.{r['key']} = {r['value']:g} (published {r['published_range']})"
            for r in rows if r["in_published_range"] == "no"]
