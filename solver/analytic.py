"""Closed-form references for verification: diffusion-induced stress in a sphere and a cylinder.

Sphere (Cheng & Verbrugge, J. Power Sources 190 (2009) 453; Timoshenko's thermal analogue) and
long cylinder in plane strain (Timoshenko & Goodier, thermal stresses in a long cylinder), for
linear elasticity with swelling strain (expansion / 3) c I and Fickian diffusion with constant D.
Lengths are normalised by the radius (x = r / R) and time by R^2 / D (tau = D t / R^2).
Concentrations are fractions of c_max; `flux` is the normalised influx j R / D with j in
(fraction of c_max) * nm / s.
"""

from __future__ import annotations

import numpy as np


def _roots_tan_eq(n: int) -> np.ndarray:
    """First n positive roots of tan(a) = a (a cot a = 1), by Newton from each branch."""
    a = (np.arange(1, n + 1) + 0.5) * np.pi - 1e-3
    for _ in range(50):
        f = np.tan(a) - a
        a -= f / (np.tan(a) ** 2)  # d/da (tan a - a) = tan^2 a
    return a


def sphere_c_potentiostatic(x: np.ndarray, tau: float, c0: float = 0.0, cs: float = 1.0,
                            terms: int = 400) -> np.ndarray:
    """c(x, tau) in a sphere, uniform c0 initially and c = cs on the surface (Crank 6.18)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.arange(1, terms + 1)[:, None]
    xs = np.where(x == 0, 1e-12, x)
    series = np.sum((-1.0) ** n / n * np.sin(n * np.pi * xs) * np.exp(-(n * np.pi) ** 2 * tau), axis=0)
    return c0 + (cs - c0) * (1 + 2 / (np.pi * xs) * series)


def sphere_c_galvanostatic(x: np.ndarray, tau: float, flux: float, c0: float = 0.0, terms: int = 200) -> np.ndarray:
    """c(x, tau) in a sphere under a constant influx (Crank 6.43), flux = j R / D."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    a = _roots_tan_eq(terms)[:, None]
    xs = np.where(x == 0, 1e-12, x)
    series = np.sum(np.sin(a * xs) / (a**2 * np.sin(a)) * np.exp(-(a**2) * tau), axis=0)
    return c0 + flux * (3 * tau + xs**2 / 2 - 3 / 10 - 2 / xs * series)


def _running_mean(x: np.ndarray, c, power: int, n: int = 4001) -> np.ndarray:
    """cbar(x) = (p+1)/x^(p+1) int_0^x c(s) s^p ds on a fine grid (p = 2 sphere, 1 cylinder)."""
    s = np.linspace(0.0, 1.0, n)
    w = c(s) * s**power
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(s))])
    integral = np.interp(x, s, cumulative)
    xs = np.where(x == 0, 1e-12, x)
    mean = (power + 1) * integral / xs ** (power + 1)
    return np.where(x == 0, c(np.zeros(1))[0], mean)


def sphere_stress(x: np.ndarray, c, E: float, nu: float, expansion: float) -> tuple[np.ndarray, np.ndarray]:
    """Radial and hoop stress (GPa) for a radial profile c(x) (a callable on arrays).

    sigma_r = 2 Omega E / (9 (1 - nu)) (cbar(1) - cbar(x)),
    sigma_t = Omega E / (9 (1 - nu)) (2 cbar(1) + cbar(x) - 3 c(x)), Omega = volumetric expansion.
    """
    x = np.asarray(x, dtype=float)
    cbar, cbar1 = _running_mean(x, c, 2), _running_mean(np.ones(1), c, 2)[0]
    k = expansion * E / (9 * (1 - nu))
    return 2 * k * (cbar1 - cbar), k * (2 * cbar1 + cbar - 3 * c(x))


def cylinder_stress(x: np.ndarray, c, E: float, nu: float, expansion: float):
    """Radial, hoop and axial stress (GPa) of a long cylinder in plane strain for a profile c(x).

    With beta = expansion / 3 and cbar the mean over the disk of radius x:
    sigma_r = beta E / (1 - nu) (cbar(1) - cbar(x)) / 2,
    sigma_t = beta E / (1 - nu) ((cbar(1) + cbar(x)) / 2 - c), sigma_z = beta E / (1 - nu) (nu cbar(1) - c).
    """
    x = np.asarray(x, dtype=float)
    cbar, cbar1 = _running_mean(x, c, 1), _running_mean(np.ones(1), c, 1)[0]
    k = expansion / 3 * E / (1 - nu)
    cx = c(x)
    return k * (cbar1 - cbar) / 2, k * ((cbar1 + cbar) / 2 - cx), k * (nu * cbar1 - cx)


def cylinder_c_galvanostatic_steady(x: np.ndarray, tau: float, flux: float, c0: float = 0.0) -> np.ndarray:
    """Long-time (tau >~ 0.5) profile in a cylinder under constant influx: c0 + flux (2 tau + x^2/2 - 1/4)."""
    x = np.asarray(x, dtype=float)
    return c0 + flux * (2 * tau + x**2 / 2 - 0.25)
