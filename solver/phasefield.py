"""Phase-field fracture laws as pure UFL: degradation, crack density and the regularised surface energy.

AT1 (w = d, c_w = 8/3; an elastic phase and a strength sqrt(3 Gc E / (8 ell))) and AT2 (w = d^2,
c_w = 2; damage from the first load, peak stress (3/16) sqrt(3 E Gc / ell)) after Pham, Amor,
Marigo & Maurini (2011) and Bourdin, Francfort & Marigo (2000). The damage equation is the
derivative of the total energy with respect to d, so the damage problem (solver/damage.py) solves
exactly the minimisation these laws define.
"""

from __future__ import annotations

import math

import ufl

C_W = {"AT1": 8.0 / 3.0, "AT2": 2.0}


def degradation(d, residual_stiffness: float):
    """g(d) = (1 - d)^2 + k: the stiffness left in fully broken material is k."""
    return (1 - d) ** 2 + residual_stiffness


def crack_density(d, model: str):
    """w(d): the local part of the crack surface density."""
    return d if model == "AT1" else d**2


def surface_energy_density(d, Gc, ell, model: str):
    """Gc / c_w (w(d) / ell + ell |grad d|^2): integrates to Gc times the crack length (area in 3D)."""
    return Gc / C_W[model] * (crack_density(d, model) / ell + ell * ufl.inner(ufl.grad(d), ufl.grad(d)))


def strength(model: str, Gc: float, E: float, ell: float) -> float:
    """Peak uniaxial stress of the homogeneous solution (k -> 0): what ell implies for strength."""
    if model == "AT1":
        return math.sqrt(3 * Gc * E / (8 * ell))
    return 3.0 / 16.0 * math.sqrt(3 * E * Gc / ell)


def effective_gc_factor(model: str, h: float, ell: float) -> float:
    """Gc_eff / Gc of the discretised functional: about 1 + 3h/(8 ell) (AT1), 1 + h/(2 ell) (AT2)
    (Bourdin, Francfort & Marigo 2008, section 8.1.1)."""
    return 1 + (3 * h / (8 * ell) if model == "AT1" else h / (2 * ell))
