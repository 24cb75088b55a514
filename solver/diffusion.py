"""Li transport in Si: Fickian flux with a concentration-dependent diffusivity D(c).

c is the Li concentration as a fraction of c_max. The flux is J = -D(c) (grad c - kappa c grad
sigma_h) with kappa = Omega / (R T) when stress-assisted diffusion is on (sigma_h the hydrostatic
stress, GPa; kappa in 1/GPa). Time discretisation is backward Euler, which conserves Li exactly:
summing the residual over all test functions leaves (mass change)/dt = boundary flux.
"""

from __future__ import annotations

import math

import ufl

R_GAS = 8.314462618  # J/(mol K)


def diffusivity(c: ufl.core.expr.Expr, law: str, d0: float, d1: float) -> ufl.core.expr.Expr:
    """D(c) interpolating D(0) = d0 and D(1) = d1 (nm^2/s).

    "log_linear" (D = d0 (d1/d0)^c) is the usual form for Li in LixSi (Zhang, Krischok & Linder
    2016: 1e-12 -> 1.5e-11 cm^2/s rising with c); a steeper law is the hook for a sharp
    two-phase front.
    """
    if law == "constant":
        return d0 + 0 * c
    if law == "linear":
        return d0 + (d1 - d0) * c
    if law == "log_linear":
        return d0 * ufl.exp(math.log(d1 / d0) * c)
    raise ValueError(f"unknown diffusivity law {law!r}")


def stress_coupling(partial_molar_volume: float, temperature: float) -> float:
    """kappa = Omega / (R T) in 1/GPa (Omega in m^3/mol, stress in GPa = 1e9 Pa)."""
    return partial_molar_volume * 1e9 / (R_GAS * temperature)


def residual(c, c_old, v, dt, D, dx_si, influx=0, sigma_h=None, kappa: float = 0.0) -> ufl.Form:
    """Backward-Euler residual of dc/dt + div J = 0 on the Si region.

    `influx` is the boundary term (an integral over the lithiation surfaces, positive into Si)
    for galvanostatic loading; potentiostatic loading enters as a Dirichlet condition instead.
    """
    flux = D * ufl.grad(c)
    if sigma_h is not None and kappa != 0.0:
        flux = flux - D * kappa * c * ufl.grad(sigma_h)
    return (c - c_old) / dt * v * dx_si + ufl.inner(flux, ufl.grad(v)) * dx_si - influx
