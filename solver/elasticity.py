"""Small-strain chemo-elasticity as pure UFL energies.

The elastic strain is the total strain minus the chemical (swelling) strain; the stress is the
derivative of the stored energy with respect to the strain (`ufl.diff`), so that later energy
splits (phase field) and degradations act on one energy and the stress follows automatically.
In 2D the model is plane strain: tensors are lifted to 3x3 with zero out-of-plane total strain,
so the out-of-plane stress produced by isotropic swelling is kept.
"""

from __future__ import annotations

import ufl


def lift3(t2: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Embed a 2x2 in-plane tensor as a 3x3 tensor with zero out-of-plane entries."""
    return ufl.as_matrix([[t2[0, 0], t2[0, 1], 0], [t2[1, 0], t2[1, 1], 0], [0, 0, 0]])


def strain(u: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Total small strain as a 3x3 tensor (plane strain when u is 2D)."""
    eps = ufl.sym(ufl.grad(u))
    return lift3(eps) if ufl.shape(u)[0] == 2 else eps


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


def stress(u, c, beta, E, nu) -> ufl.core.expr.Expr:
    """Cauchy stress sigma = d psi / d eps at the current displacement and concentration."""
    eps = ufl.variable(strain(u))
    psi = elastic_energy(eps - chemical_strain(c, beta), E, nu)
    return ufl.diff(psi, eps)


def energy_density(u, c, beta, E, nu) -> ufl.core.expr.Expr:
    """Stored elastic energy density at the current state."""
    return elastic_energy(strain(u) - chemical_strain(c, beta), E, nu)


def hydrostatic(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Mean stress tr(sigma)/3 (drives stress-assisted diffusion)."""
    return ufl.tr(sigma) / 3


def von_mises(sigma: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """Von Mises equivalent stress of a 3x3 stress tensor."""
    s = ufl.dev(sigma)
    return ufl.sqrt(1.5 * ufl.inner(s, s) + 1e-30)


def weak_form(u, v, c, beta, E, nu, dx, traction_terms=0) -> ufl.Form:
    """Equilibrium: the variation of the stored energy, minus external work terms."""
    return ufl.inner(stress(u, c, beta, E, nu), strain(v)) * dx - traction_terms
