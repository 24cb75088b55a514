"""Kinematics as pure UFL: how a displacement becomes strain, in small or finite strain.

In 2D the model is plane strain: tensors are lifted to 3x3 with zero out-of-plane total strain;
generalised plane strain adds a uniform out-of-plane strain (an unknown of the mechanics problem,
found from zero axial force), and the axisymmetric model takes the hoop strain u_r / r there
(`solver/axisymmetry.py`).

Finite strain (`Kinematics.finite`): Si swells by 280%, so the total strain is the Lagrangian
Hencky strain E = ln(C) / 2, C = F^T F, and the strains add in log space,
E = E_e + E_c + E_p, with E_c = ln(J_c) / 3 I (J_c = 1 + expansion c) and E_p deviatoric. For
the isotropic chemical stretch the split is exactly F = F_e F_c; the additive plastic log strain
is the model of Miehe, Apel & Lambrecht (CMAME 191 (2002) 5383), exact where the principal axes
do not rotate (the sphere and cylinder of `solver/radial.py`). In 2D, C is block diagonal and its
logarithm has a closed form (`hencky_strain`); 3D finite strain is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl

from sifrac.solver.axisymmetry import hoop_strain


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
