"""Chemo-elasticity as pure UFL energies, in small or finite strain.

The elastic strain is the total strain (`solver/kinematics.py`) minus the chemical (swelling) and
plastic strains; the stress is the derivative of the stored energy with respect to the strain
(`ufl.diff`), so that energy splits and degradations (phase field) act on one energy and the
stress follows. In finite strain the energy per reference volume is J_c psi(E_e) (psi per
lithiated volume, the quadratic isotropic energy of the intermediate configuration), its conjugate
stress T = d(J_c psi)/dE is the Kirchhoff stress J sigma for coaxial states, and the Cauchy stress
reported is T / J.

The functions of the displacement take a `Material`: the moduli, the swelling tensor and the
kinematics, with the degradation, energy split and plastic strain that modify the stored energy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import ufl

from sifrac.solver.kinematics import SMALL, Kinematics, chemical_strain, deformation_gradient, strain, virtual_strain, \
    volume_ratio

Expr = ufl.core.expr.Expr


@dataclass(frozen=True)
class Material:
    """What the elasticity laws read besides the displacement and the concentration change.

    E, nu: Young's modulus and Poisson's ratio (fields: they vary with c and by region); beta: the
    3x3 linear expansion per unit concentration; kin: small or finite strain and the out-of-plane
    state of a 2D model; g: the degradation g(d) of the phase field (None: intact); split: which
    part of the energy g degrades (`split_energy`); eps_p: the plastic strain (None: elastic).
    """

    E: Expr
    nu: Expr
    beta: Expr
    kin: Kinematics = SMALL
    g: Expr | None = None
    split: str = "none"
    eps_p: Expr | None = None


def lame(E: Expr, nu: Expr) -> tuple[Expr, Expr]:
    """Lamé parameters (lambda, mu) from Young's modulus and Poisson's ratio (3D relations)."""
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def elastic_energy(eps_e: Expr, E: Expr, nu: Expr) -> Expr:
    """Isotropic stored energy density psi(eps_e) = lambda/2 tr(eps_e)^2 + mu eps_e:eps_e."""
    lmbda, mu = lame(E, nu)
    return 0.5 * lmbda * ufl.tr(eps_e) ** 2 + mu * ufl.inner(eps_e, eps_e)


def _pos(x):
    return 0.5 * (x + abs(x))


def _neg(x):
    return 0.5 * (x - abs(x))


def split_energy(eps_e, E, nu, split: str) -> tuple[Expr, Expr]:
    """(psi_plus, psi_minus): the part of the stored energy that damage degrades, and the rest.

    "none": all of it; "voldev" (Amor, Marigo & Maurini 2009): volumetric expansion and the
    deviatoric part degrade, volumetric compression does not; "spectral" (Miehe, Welschinger &
    Hofacker 2010): positive principal strains degrade. Both keep a film pressed against a stiff
    electrolyte from being damaged by compression. The spectral split uses the closed-form
    principal strains of the in-plane block plus eps_zz, i.e. plane strain (2D) only.
    "rankine" degrades all of it here; its crack driving force is `rankine_energy` (a hybrid
    model, see there); "rankine_voldev" degrades as "voldev" with the same Rankine driving force.
    """
    lmbda, mu = lame(E, nu)
    if split == "rankine_voldev":
        split = "voldev"
    if split in ("none", "rankine"):
        return elastic_energy(eps_e, E, nu), 0 * ufl.tr(eps_e)
    tr = ufl.tr(eps_e)
    if split == "voldev":
        K = lmbda + 2 * mu / 3
        dev = ufl.dev(eps_e)
        return 0.5 * K * _pos(tr) ** 2 + mu * ufl.inner(dev, dev), 0.5 * K * _neg(tr) ** 2
    if split == "spectral":
        mean = 0.5 * (eps_e[0, 0] + eps_e[1, 1])
        radius = ufl.sqrt(0.25 * (eps_e[0, 0] - eps_e[1, 1]) ** 2 + eps_e[0, 1] ** 2 + 1e-30)
        principal = (mean + radius, mean - radius, eps_e[2, 2])
        plus = 0.5 * lmbda * _pos(tr) ** 2 + mu * sum(_pos(e) ** 2 for e in principal)
        minus = 0.5 * lmbda * _neg(tr) ** 2 + mu * sum(_neg(e) ** 2 for e in principal)
        return plus, minus
    raise ValueError(f"unknown energy split {split!r}")


#: The hybrid models whose damage is driven by the Rankine energy, whatever the stiffness split.
RANKINE = ("rankine", "rankine_voldev")


def max_principal(sigma: Expr) -> Expr:
    """Largest eigenvalue of a symmetric 3x3 tensor in closed form (trigonometric/Lode form)."""
    s = ufl.dev(sigma)
    j2 = 0.5 * ufl.inner(s, s) + 1e-24
    cos3 = 1.5 * 3**0.5 * ufl.det(s) / j2**1.5
    lode = ufl.acos(ufl.max_value(ufl.min_value(cos3, 1.0 - 1e-12), -1.0 + 1e-12)) / 3
    return ufl.tr(sigma) / 3 + 2 * ufl.sqrt(j2 / 3) * ufl.cos(lode)


def rankine_energy(sigma_eff: Expr, E: Expr) -> Expr:
    """Crack driving energy <sigma_1>^2 / (2 E) of the undamaged (effective) stress.

    The hybrid formulation of Ambati, Gerasimov & De Lorenzis (Comput. Mech. 55 (2015) 383) with
    the Rankine driving force of Wu's phase-field cohesive zone model (JMPS 103 (2017) 72):
    the stiffness is degraded isotropically, but only tensile principal stress drives damage, so
    compression never cracks, in 2D and 3D alike, and AT1 nucleates at the bar strength
    sqrt(3 Gc E / (8 ell)) under any tensile stress state (uniaxial, biaxial, triaxial).
    Not variational: the damage step takes this energy at the current displacement as given.
    """
    return ufl.max_value(max_principal(sigma_eff), 0) ** 2 / (2 * E)


def degraded_energy(eps_e, E, nu, g=None, split: str = "none") -> Expr:
    """psi = g(d) psi_plus + psi_minus; the intact energy when there is no degradation g."""
    if g is None:
        return elastic_energy(eps_e, E, nu)
    plus, minus = split_energy(eps_e, E, nu, split)
    return g * plus + minus


def elastic_strain(u, c, mat: Material) -> Expr:
    """Total minus chemical (and plastic, if any) strain."""
    eps_e = strain(u, mat.kin) - chemical_strain(c, mat.beta, mat.kin)
    return eps_e if mat.eps_p is None else eps_e - mat.eps_p


def stress(u, c, mat: Material) -> Expr:
    """The stress conjugate to `strain`, d(J_c psi) / d eps, at the current displacement,
    concentration (and damage): the Cauchy stress in small strain, the Kirchhoff-like stress T of
    the Hencky strain in finite strain (`cauchy` turns it into sigma).

    The plastic strain is differentiated as a constant here, which is exactly d psi / d eps_e,
    even when it is itself a function of u (the return mapping): `ufl.derivative` of the residual
    still sees that dependence and gives the consistent tangent.
    """
    eps = ufl.variable(strain(u, mat.kin))
    eps_e = eps - chemical_strain(c, mat.beta, mat.kin)
    psi = degraded_energy(eps_e if mat.eps_p is None else eps_e - mat.eps_p, mat.E, mat.nu, mat.g, mat.split)
    return ufl.diff(volume_ratio(c, mat.beta, mat.kin) * psi, eps)


def cauchy(T, u, kin: Kinematics = SMALL) -> Expr:
    """The Cauchy stress from the conjugate stress of `stress`: T / det F in finite strain."""
    return T / ufl.det(deformation_gradient(u, kin)) if kin.finite else T


def energy_density(u, c, mat: Material) -> Expr:
    """Stored elastic energy per reference volume at the current state."""
    return volume_ratio(c, mat.beta, mat.kin) * degraded_energy(elastic_strain(u, c, mat), mat.E, mat.nu, mat.g,
                                                                mat.split)


def crack_driving_energy(u, c, mat: Material) -> Expr:
    """The energy (per reference volume) that g(d) multiplies in the damage problem: psi_plus of
    the split, or the Rankine energy of the effective stress of the lithiated configuration for
    the hybrid "rankine" models. The degradation of `mat` is not used (the intact energy)."""
    jc = volume_ratio(c, mat.beta, mat.kin)
    if mat.split in RANKINE:
        return jc * rankine_energy(stress(u, c, replace(mat, g=None, split="none")) / jc, mat.E)
    return jc * split_energy(elastic_strain(u, c, mat), mat.E, mat.nu, mat.split)[0]


def hydrostatic(sigma: Expr) -> Expr:
    """Mean stress tr(sigma)/3 (drives stress-assisted diffusion)."""
    return ufl.tr(sigma) / 3


def von_mises(sigma: Expr) -> Expr:
    """Von Mises equivalent stress of a 3x3 stress tensor."""
    s = ufl.dev(sigma)
    return ufl.sqrt(1.5 * ufl.inner(s, s) + 1e-30)


def internal_work(T, u, v, dx, kin: Kinematics = SMALL) -> ufl.Form:
    """The stress against the virtual strain (with the virtual hoop strain when axisymmetric)."""
    return ufl.inner(T, virtual_strain(u, v, kin)) * dx
