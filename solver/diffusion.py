"""Li transport in Si: Fickian flux with a concentration-dependent diffusivity D(c).

c is the Li concentration as a fraction of c_max. The flux is J = -D(c) (grad c - kappa c grad
sigma_h) with kappa = Omega / (R T) when stress-assisted diffusion is on (sigma_h the hydrostatic
stress, GPa; kappa in 1/GPa). Time discretisation is variable-step BDF2 (backward Euler on the first step, and on request):
dc/dt ~ (a0 c + a1 c_old + a2 c_older) / dt. Both conserve Li exactly: summing the residual over
all test functions gives a0 dM_n - a2 dM_(n-1) = flux dt, which with a0 - a2 dt_(n-1)/dt = 1
and an exact first step keeps every increment dM_n = flux dt.
The storage term is mass-lumped (vertex quadrature): a consistent mass matrix makes nodes next to
a suddenly imposed surface concentration undershoot by an amount that does not vanish as dt -> 0,
and steep lithiation fronts oscillate. The vertex rule integrates P1 exactly, so lumping keeps the
Li balance exact.
"""

from __future__ import annotations

import math

import ufl

R_GAS = 8.314462618  # J/(mol K)


#: The regular-solution law diverges at c = 1; it is evaluated at min(c, C_CAP) (D <= ~100 D(0)).
C_CAP = 0.99


def diffusivity(c: ufl.core.expr.Expr, law: str, d0: float, d1: float, omega: float = 0.0) -> ufl.core.expr.Expr:
    """D(c) interpolating D(0) = d0 and D(1) = d1 (nm^2/s).

    "log_linear" (D = d0 (d1/d0)^c) is the usual form for Li in LixSi (Zhang, Krischok & Linder
    2016: 1e-12 -> 1.5e-11 cm^2/s rising with c). "regular_solution", D = d0 (1/(1-c) - 2 omega c),
    is the two-phase model of c-Si lithiation used with plasticity by Liu et al. (ACS Nano 2012):
    for omega near 2, D nearly vanishes at c = 1/2, so the concentration jumps from about 0 to
    about 1 across a narrow front that moves into the pristine core.
    """
    if law == "regular_solution":
        cc = ufl.min_value(c, C_CAP)
        return d0 * (1 / (1 - cc) - 2 * omega * cc)
    if law == "constant":
        return d0 + 0 * c
    if law == "linear":
        return d0 + (d1 - d0) * c
    if law == "log_linear":
        return d0 * ufl.exp(math.log(d1 / d0) * c)
    raise ValueError(f"unknown diffusivity law {law!r}")


#: |grad c| (1/nm) at which |n|^2 = 1/2, so f is a quarter on: fronts a few nm wide have
#: |grad c| ~ 0.1-0.3/nm, the lithiated shell behind them ~0.01/nm, where the factor fades to 1.
FRONT_GRADIENT = 0.05


def front_mobility_factor(c: ufl.core.expr.Expr, ratio: float) -> ufl.core.expr.Expr:
    """Mobility factor of a lithiation front in a cubic crystal whose axes are the mesh axes.

    1 + (ratio - 1) f(n), n the front normal grad c / |grad c|, and
    f = 4 (n1^2 n2^2 + n2^2 n3^2 + n3^2 n1^2) - 36 n1^2 n2^2 n3^2 (cubic invariants) is 1 along
    <110> and 0 along <100> and <111>: D at a front facing <110> is `ratio` times that facing
    <100>, the orientation-dependent interface mobility of Yang et al. (Nano Lett. 12 (2012) 1953)
    behind the anisotropic swelling of c-Si (the front speed ratio that results is smaller: the
    shell behind the front also limits it). The normal is regularised,
    n = grad c / sqrt(|grad c|^2 + FRONT_GRADIENT^2), so f fades as |n|^4 where c is flat.
    """
    g = ufl.grad(c)
    n = g / ufl.sqrt(ufl.inner(g, g) + FRONT_GRADIENT ** 2)
    sq = [n[i] ** 2 for i in range(ufl.shape(g)[0])] + [0.0] * (3 - ufl.shape(g)[0])
    f = 4 * (sq[0] * sq[1] + sq[1] * sq[2] + sq[2] * sq[0]) - 36 * sq[0] * sq[1] * sq[2]
    return 1 + (ratio - 1) * f


def stress_coupling(partial_molar_volume: float, temperature: float) -> float:
    """kappa = Omega / (R T) in 1/GPa (Omega in m^3/mol, stress in GPa = 1e9 Pa)."""
    return partial_molar_volume * 1e9 / (R_GAS * temperature)


#: |kappa sigma_h| is clipped here before the exponential: far beyond it c_eq is 0 or 1 to machine
#: precision, and a wild Newton iterate must not overflow.
EXP_CLIP = 40.0

#: The surface reaction rate that enforces the stress-dependent surface equilibrium is this many
#: times D / h: the surface value then trails equilibrium by 1/SURFACE_PENALTY of the
#: concentration change across one element, and meets it exactly when the flux stops.
SURFACE_PENALTY = 100.0


def surface_equilibrium(c_s, sigma_h, kappa: float) -> ufl.core.expr.Expr:
    """Surface concentration in equilibrium with the electrode potential under hydrostatic stress.

    With the ideal-solution chemical potential of Li in the host, mu = mu0 + R T ln(c / (1 - c))
    - Omega sigma_h (Larche & Cahn; Bower, Guduru & Sethuraman, JMPS 59 (2011) 804), a fixed
    potential gives ln(c / (1 - c)) = ln(c_s / (1 - c_s)) + kappa sigma_h, where c_s is the
    stress-free surface value: compression (sigma_h < 0) lowers the concentration the surface
    takes up, by Omega / F ~ 0.09 V per GPa of potential (measured in Si films: 0.10-0.125 V/GPa,
    Sethuraman, Srinivasan, Bower & Guduru, J. Electrochem. Soc. 157 (2010) A1253).
    """
    e = ufl.exp(ufl.max_value(ufl.min_value(kappa * sigma_h, EXP_CLIP), -EXP_CLIP))
    return c_s * e / (1 - c_s + c_s * e)


def bdf_coefficients(dt: float, dt_old: float | None) -> tuple[float, float, float]:
    """(a0, a1, a2) of variable-step BDF2 for steps dt after dt_old; backward Euler if dt_old is None."""
    if dt_old is None:
        return 1.0, -1.0, 0.0
    w = dt / dt_old
    return (1 + 2 * w) / (1 + w), -(1 + w), w * w / (1 + w)


def residual(c, history, a, v, dt, D, dx_si, influx=0, sigma_h=None, kappa: float = 0.0, weight=1,
             lumped_weight=None) -> ufl.Form:
    """Residual of dc/dt + div J = 0 on the Si region.

    `weight` is the volume weight of a reduced coordinate system (R^2 for a sphere, R for a
    cylinder, in 1D; 2 pi r axisymmetric); 1 in Cartesian coordinates. `lumped_weight`, if given,
    replaces it in the lumped storage term: a P1 field whose vertex values are the row sums
    int weight phi_i / int phi_i, so that the lumped mass still sums to int weight dc exactly (the
    weight itself at the vertices would give nodes on a symmetry axis no storage at all).

    `history` = (c_old, c_older) and `a` = (a0, a1, a2) the BDF coefficients (constants that the
    time stepper sets each step, so the form is compiled once).
    `influx` is the boundary term (an integral over the lithiation surfaces, positive into Si)
    for galvanostatic loading; potentiostatic loading enters as a Dirichlet condition instead.
    """
    flux = D * ufl.grad(c)
    if sigma_h is not None and kappa != 0.0:
        flux = flux - D * kappa * c * ufl.grad(sigma_h)
    dx_lumped = dx_si(metadata={"quadrature_rule": "vertex", "quadrature_degree": 1})
    rate = (a[0] * c + a[1] * history[0] + a[2] * history[1]) / dt
    storage = weight if lumped_weight is None else lumped_weight
    return storage * rate * v * dx_lumped + weight * ufl.inner(flux, ufl.grad(v)) * dx_si - influx
