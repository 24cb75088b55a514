"""Energy-release rate of a surface crack on the radial model's uncracked hoop-stress profile.

Why: the critical size of a lithiating particle is the size below which no surface crack of any
depth can grow during the lithiation, max over a and SOC of G below Gc (Ryu et al., JMPS 59
(2011) 1717; Liu et al., ACS Nano 6 (2012) 1522). `solver/radial.py` gives the Cauchy hoop stress
against the current radius; `solver/energy_release.py` turns it into G(a) by weight functions
(docs/notes/energy-release.md). Depths are current (from the deformed surface), as finite strain
needs. A reaction-limited, rate-independent 1D problem has no length scale but R, so G_max is
proportional to R and one run gives the critical size, D_c = 2 R Gc / G_max(R)
(`critical_size_by_scaling`); docs/notes/radial-critical-size.md checks this.

Which modulus: G = K^2 (1 - nu^2) / E with E, nu of the cracked material. Where they vary with
depth (the a-Si shell after step 2, a tip that reaches the front) three readings bound the
choice: at the crack tip (`tip`, the module's default: the local Irwin relation), at the surface
(`surface`) and the mean over the cracked depth (`mean`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sifrac.solver import energy_release

MODULUS_READINGS = ("tip", "surface", "mean")
#: Sphere: the ring crack (the half-plane function per unit front length, lower bracket) and the
#: disc (a plane-strain section opening like a split ring, upper bracket). Cylinder: the disc.
GEOMETRIES = {"sphere": ("ring", "disc"), "cylinder": ("disc",)}


@dataclass(frozen=True)
class CrackLine:
    """The uncracked state along a radius, from the surface inward: current depth (starts at 0),
    Cauchy hoop stress, E, nu, total c and lithiated phase fraction; the current outer radius."""

    depth: np.ndarray
    sigma: np.ndarray
    E: np.ndarray
    nu: np.ndarray
    c: np.ndarray
    phase: np.ndarray
    radius: float


def crack_line(particle) -> CrackLine:
    """The profile of a `RadialParticle` (quadrature points) as a crack line: the surface point is
    added with the hoop stress extrapolated linearly from the two outermost points and the
    outermost values of the rest."""
    prof = particle.profile()
    r_s = particle.surface_radius()
    r = prof["r"][::-1]
    depth = r_s - r
    if depth[0] <= 0 or np.any(np.diff(depth) <= 0):
        raise ValueError("profile points must lie strictly inside the surface, ordered")
    sigma = prof["sigma_theta"][::-1]
    s0 = sigma[0] - (sigma[1] - sigma[0]) * depth[0] / (depth[1] - depth[0])

    def with_surface(v: np.ndarray, first: float) -> np.ndarray:
        return np.concatenate([[first], v])

    rest = {k: prof[k][::-1] for k in ("E", "nu", "c", "phase")}
    return CrackLine(with_surface(depth, 0.0), with_surface(sigma, s0),
                     *(with_surface(rest[k], rest[k][0]) for k in ("E", "nu", "c", "phase")), radius=r_s)


def _moduli(line: CrackLine, reading: str) -> tuple[float | np.ndarray, float | np.ndarray]:
    """E, nu as `energy_release` takes them: sampled on the depths (read at the tip) or numbers."""
    if reading == "tip":
        return line.E, line.nu
    if reading == "surface":
        return float(line.E[0]), float(line.nu[0])
    if reading == "mean":  # running mean over [0, depth], read at the tip = the mean over the crack

        def running(v: np.ndarray) -> np.ndarray:
            integral = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(line.depth))])
            out = np.empty_like(v)
            out[0], out[1:] = v[0], integral[1:] / line.depth[1:]
            return out

        return running(line.E), running(line.nu)
    raise ValueError(f"modulus reading {reading!r}: allowed {', '.join(MODULUS_READINGS)}")


@dataclass(frozen=True)
class Release:
    """max over crack depth of G (GPa nm = J/m^2), the depth a* (current, nm), a* over the
    current radius, and the lithiated phase fraction at the tip (1: the tip is in the shell)."""

    G: float
    a: float
    a_over_r: float
    tip_phase: float


def peak_release(line: CrackLine, geometry: str, reading: str = "tip", samples: int = 120) -> Release:
    """max_a G(a) of a surface crack from 0 to the innermost sample (the centre, up to a cell)."""
    E, nu = _moduli(line, reading)
    width = 2.0 * line.radius if geometry in ("disc", "strip") else None
    peak = energy_release.peak_energy_release_rate((line.depth, line.sigma), E, nu, a_max=line.depth[-1],
                                                   geometry=geometry, width=width, samples=samples, tol=1e-4)
    return Release(peak.G, peak.a, peak.a / line.radius, float(np.interp(peak.a, line.depth, line.phase)))


def critical_size(radius: float, g_max: float, gc: float, diameter: bool = True) -> float:
    """D_c = 2 R Gc / G_max (or R_c = R Gc / G_max): valid where G_max is proportional to R."""
    return energy_release.critical_size_by_scaling((2.0 if diameter else 1.0) * radius, g_max, gc)
