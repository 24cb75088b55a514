"""Energy-release rate of a surface crack in an uncracked stress field, by weight functions.

A straight crack of depth a runs from a free surface into the body; sigma(x) is the normal stress
that the uncracked body carries across the crack line at depth x from the surface. By
Bueckner's superposition the crack faces carry -sigma(x), and with the weight function m(x, a)
of the cracked geometry

    K(a) = int_0^a sigma(x) m(x, a) dx,        G(a) = K^2 (1 - nu^2) / E   (plane strain),

with G = 0 where K < 0 (the faces close). Why: the literature defines the critical size as the
size below which no flaw of any depth can grow, max over a and over the lithiation of G below
Gamma (Ryu, Choi, Cui & Nix, JMPS 59 (2011) 1717; Liu et al., ACS Nano 6 (2012) 1522); unlike
the phase-field decision it depends on neither ell nor the flaw. Pure numpy, no DOLFINx.

Weight functions, with s = x / a and alpha = a / W:

- ``half_plane``: edge crack in a semi-infinite plate (Hartranft & Sih, in G.C. Sih (ed.),
  Methods of Analysis and Solutions of Crack Problems, Noordhoff 1973, ch. 5; as reproduced by
  Tada, Paris & Irwin, The Stress Analysis of Cracks Handbook, 3rd ed., ASME 2000, part II,
  edge crack in a half-plane under arbitrary crack-face pressure; page numbers to confirm)::

      K = 2 sqrt(a / pi) int_0^1 sigma(a s) (1 + F(s)) / sqrt(1 - s^2) ds,
      F(s) = (1 - s^2) (0.2945 - 0.3912 s^2 + 0.7685 s^4 - 0.9942 s^6 + 0.5094 s^8).

  Uniform sigma gives 1.12147 sigma sqrt(pi a) (exact: 1.1215); sigma = x^n gives 0.6830, 0.5256,
  0.4411 a^n sigma sqrt(pi a) for n = 1, 2, 3 against 0.6820, 0.5245, 0.4404 (Buchalet &
  Bamford, ASTM STP 590 (1976) 385): 0.2%.
- ``strip``: edge crack in a strip of width W with free ends. Bueckner's weight function (Bueckner, ZAMM 50 (1970) 529; coefficients as
  quoted by Fett & Munz, Stress Intensity Factors and Weight Functions, CMP 1997, for
  alpha <= 0.5)::

      m(x, a) = lambda(alpha) 2 / sqrt(2 pi (a - x)) [1 + m1 (1 - s) + m2 (1 - s)^2],
      m1 = 0.6147 + 17.1844 alpha^2 + 8.7822 alpha^6,  m2 = 0.2502 + 3.2889 alpha^2 + 70.0444 alpha^6,

  renormalised by lambda(alpha) = F_t(alpha) / F_t^B(alpha) so that uniform tension gives the
  handbook's K = sigma sqrt(pi a) F_t exactly (Tada, Paris & Irwin 2000, edge-cracked strip in
  tension (page to confirm): F_t = sqrt(tan(b) / b) [0.752 + 2.02 alpha + 0.37 (1 - sin b)^3] / cos b,
  b = pi alpha / 2, 0.5% for any alpha); F_t^B = (2 sqrt(2) / pi) (1 + m1/3 + m2/5) is Bueckner's
  own tension value (lambda = 0.993 at alpha -> 0, 1.034 at 0.6). Used for alpha <= 0.6, where the
  pure-bending solution (Brown & Srawley, ASTM STP 410 (1966), as quoted by Tada et al. 2000:
  F_b = 1.122 - 1.40 alpha + 7.33 alpha^2 - 13.08 alpha^3 + 14.0 alpha^4, 0.2% for alpha <= 0.6)
  checks it independently (tests/test_energy_release.py). Solving m1, m2 at each alpha from the
  tension and bending formulas instead (the two-reference method) is ill-conditioned for small
  alpha: the handbook fits' 0.5% errors are differenced over 2 alpha.
- ``disc``: radial edge crack in a disc of diameter D = width (plane strain; the 2D particle and
  the nanowire cross-section), the same three-term form, unrenormalised, with m1(alpha), m2(alpha)
  solved at each alpha = a/D from two reference solutions (the two-reference method of Fett &
  Munz 1997 and of Glinka & Shen, Eng. Fract. Mech. 40 (1991) 1135): K = F_k sqrt(pi a) under
  the crack-face pressures (1 - x/a)^k, k = 0, 1, which give
  (2 sqrt(2) / pi) (1 + m1/3 + m2/5) = F_0 and (2 sqrt(2) / pi) (1/3 + m1/5 + m2/7) = F_1.
  F_0, F_1 are tabulated below for 0.01 <= alpha <= 0.6: computed with this repository's
  finite-element model (benchmarks/energy_release_check.py --references --refine 2: P2 half
  disc, domain J-integral with the face-load term; two J domains agree to 4e-4, mesh h -> h/2
  moves F by 0.06% at most), because no published disc weight function could be read here (Fett,
  and Gregory's 1979 crack-face-pressure solution, to confirm against); alpha = 0 is the
  half-plane (1.12147 and 1.12147 - 0.68302 from Hartranft & Sih). Cubic Hermite interpolation in
  alpha. The disc is far more compliant than the strip (F_0 = 1.313 against 1.196 at alpha = 0.1,
  1.913 against 1.655 at 0.3: the cracked disc opens like a split ring), so a strip or half-plane
  function underestimates the particle's G: by 16-26% at a/D = 0.1 for a misfitting core.
  Checked against the finite-element J on loads not used in the solve (quadratic face pressure,
  misfitting core, expanding band: within 0.9%; docs/notes/energy-release.md). A core 4x stiffer
  than the shell is outside it: +9..+33% with the tip in the shell near the core, -25..-37% with
  the tip in the core (E taken at the tip).
- ``ring``: a circumferential (ring) crack about a sphere or a wire of radius R, the flaw of the
  axisymmetric model, taken per unit length of its front as the plane-strain edge crack in a
  half-plane (the limit a/R -> 0, where the front is locally straight and plane strain). Limits:
  the handbook's circumferentially cracked round bar in tension (Tada et al. 2000, after Benthem &
  Koiter 1973) departs from it by +2.8 / +9.3 / +20.6% in K at a/R = 0.1 / 0.2 / 0.3; a sphere is
  not a bar and a residual profile carries no net force, so take it as an estimate for
  a/R <= 0.1 and as an underestimate beyond (for the disc, its 2D analogue, the half-plane
  function falls 14 / 26 / 46% short at a/D = 0.05 / 0.1 / 0.2 under a misfitting core). A semicircular (half-penny) surface flaw releases less
  (about 0.35 of the edge crack's G under uniform tension at its deepest point, Newman & Raju,
  Eng. Fract. Mech. 15 (1981) 185): the ring is the conservative choice.

Integration: the substitution x = a (1 - u^2) turns both singular kernels into smooth ones on
u in [0, 1] (dx / sqrt(a - x) = 2 sqrt(a) du), so Gauss-Legendre is exact up to the smoothness
of sigma; a sampled profile (piecewise linear between its points) is integrated piece by piece
between the points' images in u (and in at least 8 pieces), to rounding for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

GEOMETRIES = ("half_plane", "strip", "disc", "ring")
ALPHA_MAX = 0.6  # strip: range of the bending solution that checks it; disc: of its references
_ALPHA_MIN = 1e-6  # tan(b) / b at b -> 0

_BASE_EDGES = np.linspace(0.0, 1.0, 9)  # at least 8 pieces: the kernels are smooth but not polynomial
Stress = Callable[[np.ndarray], np.ndarray] | tuple[np.ndarray, np.ndarray]


@lru_cache(maxsize=8)
def _gauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


def tada_tension(alpha: np.ndarray | float) -> np.ndarray:
    """F_t(a/W) of the edge-cracked strip in tension (Tada et al. 2000; 0.5% for any a/W)."""
    alpha = np.asarray(alpha, dtype=float)
    b = 0.5 * np.pi * np.maximum(alpha, _ALPHA_MIN)
    return np.sqrt(np.tan(b) / b) * (0.752 + 2.02 * alpha + 0.37 * (1.0 - np.sin(b)) ** 3) / np.cos(b)


def strip_coefficients(alpha: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bueckner's m1, m2 at a/W = alpha and the factor lambda that renormalises his weight
    function to the handbook's tension solution: with x = a (1 - u^2), uniform sigma gives
    K / sqrt(pi a) = (2 sqrt(2) / pi) (1 + m1/3 + m2/5)."""
    alpha = np.asarray(alpha, dtype=float)
    m1 = 0.6147 + 17.1844 * alpha**2 + 8.7822 * alpha**6
    m2 = 0.2502 + 3.2889 * alpha**2 + 70.0444 * alpha**6
    f_bueckner = 2.0 * np.sqrt(2.0) / np.pi * (1.0 + m1 / 3.0 + m2 / 5.0)
    return m1, m2, tada_tension(alpha) / f_bueckner


# a/D, F_0, F_1 of the disc (see the module docstring); alpha = 0: the half-plane.
_DISC_REFERENCES = np.array([
    [0.000, 1.12147, 0.43846], [0.010, 1.13817, 0.44944], [0.020, 1.15559, 0.46009],
    [0.035, 1.18269, 0.47664], [0.050, 1.21075, 0.49382], [0.075, 1.26028, 0.52414],
    [0.100, 1.31298, 0.55663], [0.125, 1.36958, 0.59145], [0.150, 1.43048, 0.62896],
    [0.200, 1.56649, 0.71325], [0.250, 1.72553, 0.81210], [0.300, 1.91330, 0.92930],
    [0.350, 2.13821, 1.07030], [0.400, 2.41065, 1.24168], [0.450, 2.74650, 1.45406],
    [0.500, 3.16793, 1.72162], [0.550, 3.71005, 2.06703], [0.600, 4.42782, 2.52643]])


def _hermite(x: np.ndarray, xs: np.ndarray, ys: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Cubic Hermite interpolation through (xs, ys) with the given slopes."""
    k = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    h = xs[k + 1] - xs[k]
    t = (x - xs[k]) / h
    return ((2 * t**3 - 3 * t**2 + 1) * ys[k] + (t**3 - 2 * t**2 + t) * h * slopes[k]
            + (-2 * t**3 + 3 * t**2) * ys[k + 1] + (t**3 - t**2) * h * slopes[k + 1])


_DISC_ALPHA, _DISC_F0, _DISC_F1 = _DISC_REFERENCES.T
# three-point slopes (one-sided at the ends)
_DISC_SLOPES = [np.gradient(f, _DISC_ALPHA, edge_order=2) for f in (_DISC_F0, _DISC_F1)]


def disc_coefficients(alpha: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """m1, m2 of the disc at a/D = alpha from its reference F_0, F_1 (interpolated)."""
    alpha = np.asarray(alpha, dtype=float)
    scale = np.pi / (2.0 * np.sqrt(2.0))
    r1 = scale * _hermite(alpha, _DISC_ALPHA, _DISC_F0, _DISC_SLOPES[0]) - 1.0
    r2 = scale * _hermite(alpha, _DISC_ALPHA, _DISC_F1, _DISC_SLOPES[1]) - 1.0 / 3.0
    det = 1.0 / 21.0 - 1.0 / 25.0  # of [[1/3, 1/5], [1/5, 1/7]]
    return (r1 / 7.0 - r2 / 5.0) / det, (r2 / 3.0 - r1 / 5.0) / det


def _kernel(u: np.ndarray, geometry: str, alpha: np.ndarray) -> np.ndarray:
    """k(u) with K = sqrt(a) int_0^1 sigma(a (1 - u^2)) k(u) du (smooth on [0, 1]); u has one
    row per crack depth, alpha one value per row."""
    if geometry in ("strip", "disc"):
        m1, m2, scale = strip_coefficients(alpha) if geometry == "strip" else (*disc_coefficients(alpha), 1.0)
        m1, m2, scale = (np.broadcast_to(v, np.shape(alpha))[:, None] for v in (m1, m2, scale))
        return scale * 4.0 / np.sqrt(2.0 * np.pi) * (1.0 + m1 * u**2 + m2 * u**4)
    s = 1.0 - u**2  # half_plane, ring: ds / sqrt(1 - s^2) = 2 du / sqrt(2 - u^2)
    s2 = s * s
    f = (1.0 - s2) * (0.2945 + s2 * (-0.3912 + s2 * (0.7685 + s2 * (-0.9942 + s2 * 0.5094))))
    return 4.0 / np.sqrt(np.pi) * (1.0 + f) / np.sqrt(2.0 - u**2)


def _check_geometry(geometry: str, width: float | None) -> None:
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry = {geometry!r}: unknown; allowed: {', '.join(GEOMETRIES)}")
    if geometry in ("strip", "disc") and not (width is not None and width > 0):
        raise ValueError(f"geometry = {geometry!r} needs a positive width, got {width!r}")


def _check_profile(depth: np.ndarray, sigma: np.ndarray) -> None:
    if depth.ndim != 1 or depth.shape != sigma.shape or len(depth) < 2:
        raise ValueError("a sampled profile needs 1D depth and stress arrays of one length >= 2")
    if not (np.all(np.isfinite(depth)) and np.all(np.isfinite(sigma))):
        raise ValueError("the profile holds non-finite values")
    if depth[0] != 0.0 or np.any(np.diff(depth) <= 0.0):
        raise ValueError("profile depths must start at 0 (the surface) and increase strictly")


def stress_intensity(a: np.ndarray | float, stress: Stress, geometry: str = "half_plane",
                     width: float | None = None, points: int = 48) -> np.ndarray:
    """K(a) (units of stress x sqrt(length)) of the surface crack under the uncracked profile.

    stress: a callable sigma(depth), integrated with `points` Gauss points in u, or a sampled
    profile (depth, sigma) with depth[0] = 0 rising, linear between samples and integrated
    exactly piece by piece. width: W of the strip, D of the disc.
    """
    _check_geometry(geometry, width)
    a_arr = np.atleast_1d(np.asarray(a, dtype=float))
    if np.any(a_arr <= 0.0) or not np.all(np.isfinite(a_arr)):
        raise ValueError("crack depths must be positive and finite")
    if geometry in ("strip", "disc") and a_arr.max() > ALPHA_MAX * width * (1 + 1e-12):
        raise ValueError(f"{geometry}: a/W = {a_arr.max() / width:.3g} > {ALPHA_MAX} (range of its "
                         "checked weight function)")
    sampled = not callable(stress)
    if sampled:
        depth, sigma = (np.asarray(v, dtype=float) for v in stress)
        _check_profile(depth, sigma)
        if a_arr.max() > depth[-1] * (1 + 1e-12):
            raise ValueError(f"crack depth {a_arr.max():.6g} beyond the profile ({depth[-1]:.6g})")
    g, wg = _gauss(6 if sampled else points)
    if sampled:  # pieces between the images u_k = sqrt(1 - x_k / a) of the samples, and _BASE_EDGES;
        # a sample beyond a crack's tip maps to u = 0 and makes a zero-width piece of that row
        inner = depth[(depth > 0.0) & (depth < a_arr.max())]
        images = np.sqrt(np.clip(1.0 - inner[None, :] / a_arr[:, None], 0.0, 1.0))
        edges = np.sort(np.hstack([images, np.broadcast_to(_BASE_EDGES, (len(a_arr), len(_BASE_EDGES)))]), axis=1)
        h = np.diff(edges, axis=1)
        u = (edges[:, :-1, None] + h[:, :, None] * g).reshape(len(a_arr), -1)
        w = (h[:, :, None] * wg).reshape(len(a_arr), -1)
        s = np.interp(a_arr[:, None] * (1.0 - u**2), depth, sigma)
    else:
        u, w = np.broadcast_to(g, (len(a_arr), len(g))), wg[None, :]
        s = np.asarray(stress(a_arr[:, None] * (1.0 - u**2)), dtype=float)
    alpha = a_arr / width if geometry in ("strip", "disc") else np.zeros_like(a_arr)
    out = np.sqrt(a_arr) * np.sum(w * s * _kernel(u, geometry, alpha), axis=1)
    return out if np.ndim(a) else out[0]


def _at_tip(value: float | np.ndarray, a: np.ndarray, depth: np.ndarray | None) -> np.ndarray:
    """A modulus given as a number, or sampled on the profile's depths (read at the tip)."""
    if np.ndim(value) == 0:
        return np.full_like(a, float(value))
    if depth is None or np.shape(value) != np.shape(depth):
        raise ValueError("a sampled modulus needs the sampled profile's depths")
    return np.interp(a, depth, np.asarray(value, dtype=float))


def energy_release_rate(a: np.ndarray | float, stress: Stress, E: float | np.ndarray, nu: float | np.ndarray,
                        geometry: str = "half_plane", width: float | None = None) -> np.ndarray:
    """Plane-strain G(a) = max(K, 0)^2 (1 - nu^2) / E (GPa nm = J/m^2 in the project's units).

    E, nu: numbers, or arrays on the sampled profile's depths, read at the crack tip (a graded
    body is treated locally: the weight function itself is the homogeneous body's).
    """
    k = stress_intensity(a, stress, geometry, width)
    a_arr = np.atleast_1d(np.asarray(a, dtype=float))
    depth = None if callable(stress) else np.asarray(stress[0], dtype=float)
    e_tip, nu_tip = _at_tip(E, a_arr, depth), _at_tip(nu, a_arr, depth)
    if np.any(e_tip <= 0.0) or np.any((nu_tip <= -1.0) | (nu_tip >= 0.5)):
        raise ValueError("need E > 0 and -1 < nu < 0.5")
    g = np.maximum(np.atleast_1d(k), 0.0) ** 2 * (1.0 - nu_tip**2) / e_tip
    return g if np.ndim(a) else g[0]


def scan_depths(a_max: float, samples: int = 200) -> np.ndarray:
    """The first scan of `maximise`: `samples` equally spaced depths up to a_max."""
    return a_max * np.arange(1, samples + 1) / samples


def maximise(f: Callable[[np.ndarray], np.ndarray], a_max: float, samples: int = 200,
             tol: float = 1e-6, scan: np.ndarray | None = None) -> tuple[float, float]:
    """(a, f(a)) at the largest value of a vectorised f over 0 < a <= a_max: a scan on `samples`
    depths, then scans of 21 points across the bracket of the best one (each 10 times finer)
    until the spacing is at most tol * a_max, and the vertex of the parabola through the best
    point and its neighbours. Every choice is an argmax over values far apart except at the last
    level, and the vertex is a continuous function of the values, so round-off in f (a solution
    on 1 or 2 ranks) moves the result by round-off, not by a bracket width as a golden-section
    search can. A maximum at a_max itself means f still rises there. `scan`: f on
    `scan_depths(a_max, samples)` when already known (two maxima from one scan)."""
    if not (a_max > 0.0 and samples >= 3 and tol > 0.0):
        raise ValueError("need a_max > 0, samples >= 3 and tol > 0")
    grid = scan_depths(a_max, samples)
    values = f(grid) if scan is None else np.asarray(scan, dtype=float)
    if values.shape != grid.shape:
        raise ValueError(f"scan: {len(grid)} values expected, got {values.shape}")
    i = int(np.argmax(values))
    spacing = a_max / samples
    while spacing > tol * a_max * (1 + 1e-12):
        lo, hi = grid[i - 1] if i else 0.5 * grid[0], grid[min(i + 1, len(grid) - 1)]
        grid = np.linspace(lo, hi, 21)
        values = f(grid)
        i = int(np.argmax(values))
        spacing = (hi - lo) / 20
    best_a, best = float(grid[i]), float(values[i])
    if 0 < i < len(grid) - 1:
        curvature = values[i - 1] - 2.0 * values[i] + values[i + 1]
        if curvature < 0.0:
            vertex = grid[i] + 0.5 * (values[i - 1] - values[i + 1]) / curvature * (grid[i + 1] - grid[i])
            at_vertex = float(f(np.array([vertex]))[0])
            if at_vertex >= best:
                best_a, best = float(vertex), at_vertex
    return best_a, best


@dataclass(frozen=True)
class Peak:
    """The largest G over crack depth: G (GPa nm), the depth a where it occurs, K there."""

    G: float
    a: float
    K: float


def peak_energy_release_rate(stress: Stress, E: float | np.ndarray, nu: float | np.ndarray,
                             a_max: float, geometry: str = "half_plane", width: float | None = None,
                             samples: int = 200, tol: float = 1e-6) -> Peak:
    """max over 0 < a <= a_max of G(a) (`maximise`, to `tol` relative to a_max in a). A maximum
    at a_max itself means G still rises there: compare a with a_max."""
    a, g = maximise(lambda a: energy_release_rate(a, stress, E, nu, geometry, width), a_max, samples, tol)
    return Peak(g, a, float(stress_intensity(a, stress, geometry, width)))


def critical_size_by_scaling(size: float, g_peak: float, gc: float) -> float:
    """Critical size from one run, when the uncracked profile is self-similar (sigma a function
    of x / size at equal state of charge: no length scale in the uncracked problem). Then
    K ~ sigma sqrt(size) and max G ~ size, so G_peak = Gc at size * Gc / G_peak."""
    if not (size > 0.0 and g_peak > 0.0 and gc > 0.0):
        raise ValueError("need size, g_peak and gc > 0")
    return size * gc / g_peak


def critical_size_by_interpolation(sizes: np.ndarray, g_peaks: np.ndarray, gc: float) -> float | None:
    """Critical size across runs of different size (profiles not self-similar): the smallest
    size at which max G reaches Gc, interpolated linearly in log G against log size between the
    two runs that bracket it; None when no pair of runs brackets Gc (no extrapolation)."""
    sizes, g = np.asarray(sizes, dtype=float), np.asarray(g_peaks, dtype=float)
    if sizes.ndim != 1 or sizes.shape != g.shape or len(sizes) < 2 or np.any(sizes <= 0) or gc <= 0:
        raise ValueError("need >= 2 positive sizes with one G each, and gc > 0")
    order = np.argsort(sizes)
    sizes, g = sizes[order], np.maximum(g[order], 1e-300)
    for k in range(len(sizes) - 1):
        if g[k] < gc <= g[k + 1]:
            t = (np.log(gc) - np.log(g[k])) / (np.log(g[k + 1]) - np.log(g[k]))
            return float(np.exp(np.log(sizes[k]) + t * (np.log(sizes[k + 1]) - np.log(sizes[k]))))
    return None
