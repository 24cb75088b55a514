"""Chemo-elasticity as pure UFL energies, in small or finite strain.

The elastic strain is the total strain minus the chemical (swelling) strain; the stress is the
derivative of the stored energy with respect to the strain (`ufl.diff`), so that later energy
splits (phase field) and degradations act on one energy and the stress follows automatically.
In 2D the model is plane strain: tensors are lifted to 3x3 with zero out-of-plane total strain,
so the out-of-plane stress produced by isotropic swelling is kept; generalised plane strain adds
a uniform out-of-plane strain (found by the coupling layer from zero axial force), and the
axisymmetric model takes the hoop strain u_r / r there (`solver/axisymmetry.py`).

Finite strain (`Kinematics.finite`): Si swells by 280%, so the total strain is the Lagrangian
Hencky strain E = ln(C) / 2, C = F^T F, and the strains add in log space,
E = E_e + E_c + E_p, with E_c = ln(J_c) / 3 I (J_c = 1 + expansion c) and E_p deviatoric. For
the isotropic chemical stretch the split is exactly F = F_e F_c; the additive plastic log strain
is the model of Miehe, Apel & Lambrecht (CMAME 191 (2002) 5383), exact where the principal axes
do not rotate (the sphere and cylinder of `solver/radial.py`). The energy per reference volume is
J_c psi(E_e) (psi per lithiated volume, the quadratic isotropic energy of the intermediate
configuration), its conjugate stress T = d(J_c psi)/dE is the Kirchhoff stress J sigma for
coaxial states, and the Cauchy stress reported is T / J. In 2D, C is block diagonal and its
logarithm has a closed form (below); 3D finite strain is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl

from solver.axisymmetry import hoop_strain


@dataclass(frozen=True)
class Kinematics:
    """How the displacement becomes strain: the out-of-plane state of a 2D model (`axial`: the
    uniform strain of generalised plane strain; `radius`: the distance to the axis of an
    axisymmetric model; neither: plane strain) and small or finite (`finite`) strain."""

    axial: ufl.core.expr.Expr | None = None
    radius: ufl.core.expr.Expr | None = None
    finite: bool = False


SMALL = Kinematics()


def lift3(t2: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Embed a 2x2 in-plane tensor as a 3x3 tensor with zero out-of-plane entries."""
    return ufl.as_matrix([[t2[0, 0], t2[0, 1], 0], [t2[1, 0], t2[1, 1], 0], [0, 0, 0]])


def _out_of_plane(u, kin: Kinematics) -> ufl.core.expr.Expr | int:
    """The out-of-plane displacement gradient of a 2D model: u_r / r, the axial strain, or 0."""
    if kin.radius is not None:
        return hoop_strain(u, kin.radius)
    return 0 if kin.axial is None else kin.axial


def displacement_gradient(u, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """grad u as a 3x3 tensor (the out-of-plane entry of a 2D model from `kin`)."""
    if ufl.shape(u)[0] == 3:
        return ufl.grad(u)
    zz = ufl.as_matrix([[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    return lift3(ufl.grad(u)) + _out_of_plane(u, kin) * zz


def deformation_gradient(u, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """F = I + grad u (3x3)."""
    return ufl.Identity(3) + displacement_gradient(u, kin)


#: Below this squared eigenvalue spread the series of atanh(x)/x is used (error < s^5/11 < 1e-16).
_SERIES_SPREAD = 1e-3
#: Below this |x| the series of ln(1 + x)/x is used (error < x^4/5 < 1e-16).
_SERIES_LOG1P = 1e-4


def _atanh_ratio(s):
    """atanh(sqrt(s)) / sqrt(s) for 0 <= s < 1, smooth at s = 0 (its series there): no square
    root of zero enters the tangent when the in-plane stretches are equal (pure swelling)."""
    small = ufl.lt(s, _SERIES_SPREAD)
    # UFL differentiates a conditional as a blend of both branches: the closed form must stay
    # finite where it is not used, so it sees s no smaller than the switch.
    x = ufl.sqrt(ufl.conditional(small, _SERIES_SPREAD, s))
    series = 1 + s / 3 + s**2 / 5 + s**3 / 7 + s**4 / 9
    return ufl.conditional(small, series, ufl.ln((1 + x) / (1 - x)) / (2 * x))


def _log1p_ratio(x):
    """ln(1 + x) / x, 1 at x = 0 (regions that do not swell)."""
    small = ufl.lt(abs(x), _SERIES_LOG1P)
    series = 1 - x / 2 + x**2 / 3 - x**3 / 4
    safe = ufl.conditional(small, _SERIES_LOG1P, x)  # finite where unused (see _atanh_ratio)
    return ufl.conditional(small, series, ufl.ln(1 + safe) / safe)


def hencky_strain(F: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """ln(F^T F) / 2 for a 2D model's F (in-plane block and F_zz).

    The in-plane block C2 with mean eigenvalue m and spread r (eigenvalues m +- r) has
    ln C2 = ln(det C2) / 2 I + atanh(r/m) / r (C2 - m I): written with s = (r/m)^2 it is smooth
    where r = 0, so Newton's tangent (`ufl.derivative`) exists everywhere.
    """
    C = F.T * F
    a, b, d = C[0, 0], C[0, 1], C[1, 1]
    m = 0.5 * (a + d)
    f0 = 0.5 * ufl.ln(a * d - b * b)
    f1 = _atanh_ratio((0.25 * (a - d) ** 2 + b * b) / m**2) / m
    return 0.5 * ufl.as_matrix([[f0 + f1 * (a - m), f1 * b, 0],
                                [f1 * b, f0 + f1 * (d - m), 0],
                                [0, 0, ufl.ln(C[2, 2])]])


def strain(u: ufl.core.expr.Expr, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """Total strain as a 3x3 tensor: sym(grad u) (small) or the Hencky strain (finite), with the
    out-of-plane strain of `kin` (plane strain, generalised plane strain or axisymmetric)."""
    if kin.finite:
        if ufl.shape(u)[0] == 3:
            raise ValueError("finite strain is implemented for 2D models only")
        return hencky_strain(deformation_gradient(u, kin))
    return ufl.sym(displacement_gradient(u, kin))


def virtual_strain(u, v, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """The strain variation in the direction v: sym(grad v) with the virtual hoop strain (small),
    or the directional derivative of the Hencky strain at u (finite)."""
    if kin.finite:
        return ufl.derivative(strain(u, kin), u, v)
    return strain(v, Kinematics(radius=kin.radius))


def volume_ratio(c, beta, kin: Kinematics = SMALL) -> ufl.core.expr.Expr | float:
    """J_c = 1 + tr(beta) c, the chemical volume change (finite strain); 1 in small strain."""
    return 1 + ufl.tr(beta) * c if kin.finite else 1.0


def chemical_strain(c, beta, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """Swelling strain beta * c, beta a 3x3 tensor of linear expansion per unit concentration;
    in finite strain its logarithmic form beta / tr(beta) ln(1 + tr(beta) c), whose volume
    change is exactly J_c = 1 + tr(beta) c.

    c is the concentration change from the stress-free reference state (the run's start).

    Isotropic swelling has beta = (expansion / 3) I; an anisotropic tensor (c-Si, <110> fastest)
    plugs in here unchanged.
    """
    if kin.finite:
        return beta * c * _log1p_ratio(ufl.tr(beta) * c)
    return beta * c


def lame(E: ufl.core.expr.Expr, nu: ufl.core.expr.Expr) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr]:
    """Lamé parameters (lambda, mu) from Young's modulus and Poisson's ratio (3D relations)."""
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def elastic_energy(eps_e: ufl.core.expr.Expr, E: ufl.core.expr.Expr, nu: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Isotropic stored energy density psi(eps_e) = lambda/2 tr(eps_e)^2 + mu eps_e:eps_e."""
    lmbda, mu = lame(E, nu)
    return 0.5 * lmbda * ufl.tr(eps_e) ** 2 + mu * ufl.inner(eps_e, eps_e)


def _pos(x):
    return 0.5 * (x + abs(x))


def _neg(x):
    return 0.5 * (x - abs(x))


def split_energy(eps_e, E, nu, split: str) -> tuple[ufl.core.expr.Expr, ufl.core.expr.Expr]:
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


def max_principal(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Largest eigenvalue of a symmetric 3x3 tensor in closed form (trigonometric/Lode form)."""
    s = ufl.dev(sigma)
    j2 = 0.5 * ufl.inner(s, s) + 1e-24
    cos3 = 1.5 * 3**0.5 * ufl.det(s) / j2**1.5
    lode = ufl.acos(ufl.max_value(ufl.min_value(cos3, 1.0 - 1e-12), -1.0 + 1e-12)) / 3
    return ufl.tr(sigma) / 3 + 2 * ufl.sqrt(j2 / 3) * ufl.cos(lode)


def rankine_energy(sigma_eff: ufl.core.expr.Expr, E: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Crack driving energy <sigma_1>^2 / (2 E) of the undamaged (effective) stress.

    The hybrid formulation of Ambati, Gerasimov & De Lorenzis (Comput. Mech. 55 (2015) 383) with
    the Rankine driving force of Wu's phase-field cohesive zone model (JMPS 103 (2017) 72):
    the stiffness is degraded isotropically, but only tensile principal stress drives damage, so
    compression never cracks, in 2D and 3D alike, and AT1 nucleates at the bar strength
    sqrt(3 Gc E / (8 ell)) under any tensile stress state (uniaxial, biaxial, triaxial).
    Not variational: the damage step takes this energy at the current displacement as given.
    """
    return ufl.max_value(max_principal(sigma_eff), 0) ** 2 / (2 * E)


def degraded_energy(eps_e, E, nu, g=None, split: str = "none") -> ufl.core.expr.Expr:
    """psi = g(d) psi_plus + psi_minus; the intact energy when there is no degradation g."""
    if g is None:
        return elastic_energy(eps_e, E, nu)
    plus, minus = split_energy(eps_e, E, nu, split)
    return g * plus + minus


def elastic_strain(u, c, beta, eps_p=None, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """Total minus chemical (and plastic, if any) strain."""
    eps_e = strain(u, kin) - chemical_strain(c, beta, kin)
    return eps_e if eps_p is None else eps_e - eps_p


def stress(u, c, beta, E, nu, g=None, split: str = "none", eps_p=None, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """The stress conjugate to `strain`, d(J_c psi) / d eps, at the current displacement,
    concentration (and damage): the Cauchy stress in small strain, the Kirchhoff-like stress T of
    the Hencky strain in finite strain (`cauchy` turns it into sigma).

    eps_p is the plastic strain (0: elastic). It is differentiated as a constant here, which is
    exactly d psi / d eps_e, even when it is itself a function of u (the return mapping):
    `ufl.derivative` of the residual still sees that dependence and gives the consistent tangent.
    """
    eps = ufl.variable(strain(u, kin))
    eps_e = eps - chemical_strain(c, beta, kin)
    psi = degraded_energy(eps_e if eps_p is None else eps_e - eps_p, E, nu, g, split)
    return ufl.diff(volume_ratio(c, beta, kin) * psi, eps)


def cauchy(T, u, kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """The Cauchy stress from the conjugate stress of `stress`: T / det F in finite strain."""
    return T / ufl.det(deformation_gradient(u, kin)) if kin.finite else T


def energy_density(u, c, beta, E, nu, g=None, split: str = "none", eps_p=None,
                   kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """Stored elastic energy per reference volume at the current state."""
    return volume_ratio(c, beta, kin) * degraded_energy(elastic_strain(u, c, beta, eps_p, kin), E, nu, g, split)


def crack_driving_energy(u, c, beta, E, nu, split: str = "none", eps_p=None,
                         kin: Kinematics = SMALL) -> ufl.core.expr.Expr:
    """The energy (per reference volume) that g(d) multiplies in the damage problem: psi_plus of
    the split, or the Rankine energy of the effective stress of the lithiated configuration for
    the hybrid "rankine" model."""
    jc = volume_ratio(c, beta, kin)
    if split in RANKINE:
        return jc * rankine_energy(stress(u, c, beta, E, nu, eps_p=eps_p, kin=kin) / jc, E)
    return jc * split_energy(elastic_strain(u, c, beta, eps_p, kin), E, nu, split)[0]


def hydrostatic(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Mean stress tr(sigma)/3 (drives stress-assisted diffusion)."""
    return ufl.tr(sigma) / 3


def von_mises(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Von Mises equivalent stress of a 3x3 stress tensor."""
    s = ufl.dev(sigma)
    return ufl.sqrt(1.5 * ufl.inner(s, s) + 1e-30)


def internal_work(T, u, v, dx, kin: Kinematics = SMALL) -> ufl.Form:
    """The stress against the virtual strain (with the virtual hoop strain when axisymmetric)."""
    return ufl.inner(T, virtual_strain(u, v, kin)) * dx
