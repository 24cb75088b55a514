"""Small-strain chemo-elasticity as pure UFL energies.

The elastic strain is the total strain minus the chemical (swelling) strain; the stress is the
derivative of the stored energy with respect to the strain (`ufl.diff`), so that later energy
splits (phase field) and degradations act on one energy and the stress follows automatically.
In 2D the model is plane strain: tensors are lifted to 3x3 with zero out-of-plane total strain,
so the out-of-plane stress produced by isotropic swelling is kept; generalised plane strain adds
a uniform out-of-plane strain (found by the coupling layer from zero axial force), and the
axisymmetric model takes the hoop strain u_r / r there (`solver/axisymmetry.py`).
"""

from __future__ import annotations

import ufl

from solver.axisymmetry import hoop_strain


def lift3(t2: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Embed a 2x2 in-plane tensor as a 3x3 tensor with zero out-of-plane entries."""
    return ufl.as_matrix([[t2[0, 0], t2[0, 1], 0], [t2[1, 0], t2[1, 1], 0], [0, 0, 0]])


def strain(u: ufl.core.expr.Expr, axial=None, radius=None) -> ufl.core.expr.Expr:
    """Total small strain as a 3x3 tensor: plane strain when u is 2D, generalised plane strain
    with the uniform out-of-plane strain `axial` (a 2D field, or None for zero), or axisymmetric
    with the hoop strain u_r / r when `radius` (the distance r to the axis) is given."""
    eps = ufl.sym(ufl.grad(u))
    if ufl.shape(u)[0] == 3:
        return eps
    eps = lift3(eps)
    zz = ufl.as_matrix([[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    if radius is not None:
        return eps + hoop_strain(u, radius) * zz
    return eps if axial is None else eps + axial * zz


def chemical_strain(c: ufl.core.expr.Expr, beta: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Swelling strain beta * c, beta a 3x3 tensor of linear expansion per unit concentration.

    c is the concentration change from the stress-free reference state (the run's start).

    Isotropic swelling has beta = (expansion / 3) I; an anisotropic tensor (c-Si, <110> fastest)
    plugs in here unchanged.
    """
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
    model, see there).
    """
    lmbda, mu = lame(E, nu)
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


def elastic_strain(u, c, beta, eps_p=None, axial=None, radius=None) -> ufl.core.expr.Expr:
    """Total minus chemical (and plastic, if any) strain."""
    eps_e = strain(u, axial, radius) - chemical_strain(c, beta)
    return eps_e if eps_p is None else eps_e - eps_p


def stress(u, c, beta, E, nu, g=None, split: str = "none", eps_p=None, axial=None, radius=None) -> ufl.core.expr.Expr:
    """Cauchy stress sigma = d psi / d eps_e at the current displacement, concentration (and damage).

    eps_p is the plastic strain (0: elastic). It is differentiated as a constant here, which is
    exactly d psi / d eps_e, even when it is itself a function of u (the return mapping):
    `ufl.derivative` of the residual still sees that dependence and gives the consistent tangent.
    """
    eps = ufl.variable(strain(u, axial, radius))
    eps_e = eps - chemical_strain(c, beta)
    psi = degraded_energy(eps_e if eps_p is None else eps_e - eps_p, E, nu, g, split)
    return ufl.diff(psi, eps)


def energy_density(u, c, beta, E, nu, g=None, split: str = "none", eps_p=None, axial=None, radius=None) -> ufl.core.expr.Expr:
    """Stored elastic energy density at the current state."""
    return degraded_energy(elastic_strain(u, c, beta, eps_p, axial, radius), E, nu, g, split)


def crack_driving_energy(u, c, beta, E, nu, split: str = "none", eps_p=None, axial=None,
                         radius=None) -> ufl.core.expr.Expr:
    """The energy that g(d) multiplies in the damage problem: psi_plus of the split, or the
    Rankine energy of the effective stress for the hybrid "rankine" model."""
    if split == "rankine":
        return rankine_energy(stress(u, c, beta, E, nu, eps_p=eps_p, axial=axial, radius=radius), E)
    return split_energy(elastic_strain(u, c, beta, eps_p, axial, radius), E, nu, split)[0]


def hydrostatic(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Mean stress tr(sigma)/3 (drives stress-assisted diffusion)."""
    return ufl.tr(sigma) / 3


def von_mises(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Von Mises equivalent stress of a 3x3 stress tensor."""
    s = ufl.dev(sigma)
    return ufl.sqrt(1.5 * ufl.inner(s, s) + 1e-30)


def weak_form(sigma, v, dx, traction_terms=0, radius=None) -> ufl.Form:
    """Equilibrium: the stress against the virtual strain (with the virtual hoop strain when
    axisymmetric), minus external work terms."""
    return ufl.inner(sigma, strain(v, radius=radius)) * dx - traction_terms
