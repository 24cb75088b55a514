"""Reaction-controlled lithiation front as an Allen-Cahn order parameter (pure UFL; prototype).

phi = 0 is pristine Si, phi = 1 the lithiated phase. The front is carried by

    tau(x) dphi/dt = l0^2 lap(phi) - W'(phi) + tilt h'(phi),   W = 16 phi^2 (1 - phi)^2,
    h = 3 phi^2 - 2 phi^3,   tau = 1 / M,

whose planar travelling wave (Nagumo) has the profile 1 / (1 + exp(-4 sqrt(2) s / l0)) for every
tilt and moves at exactly V = (3 sqrt(2) / 4) tilt M l0. The tilt is a fixed numerical constant;
the physics is in the mobility: M(x) = V_target(x) / ((3 sqrt(2) / 4) tilt l0), so the front
moves at the speed the rate law prescribes where it is (Zhang, Krischok & Linder, CMAME 312
(2016) 51, eq. (70)):

    v_n = v_110 r(n) exp(-B p / kT) f(c),   B = phi_Si V_Si / (2 e),   f = 1 / (1 + exp(C (c0 - c))),

r(n) the rate facing the front normal n relative to <110> (exp(-(E0(n) - E0_110) / kT) at the
three principal directions). The form is divided by M (a relaxation time), not multiplied, so a
mobility that varies in space adds no spurious drift l0^2 grad M . grad phi. Curvature adds the
speed M l0^2 K (K the sum of the principal curvatures; it speeds up a shrinking core), a fraction
(4 / (3 sqrt 2)) l0 K / tilt of V (`curvature_speedup`); `mobility` can divide it out.
Design and measurements: docs/notes/front-model.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ufl

K_BOLTZMANN = 8.617333262e-5  # eV/K
E_CHARGE = 1.602176634e-19  # C (J per eV)
SQRT2 = math.sqrt(2.0)

#: Planar speed per unit mobility, tilt and l0 of the Nagumo wave: V = SPEED_FACTOR tilt M l0.
SPEED_FACTOR = 3.0 * SQRT2 / 4.0

#: B p / kT is clipped here before the exponential (a wild mechanics iterate must not overflow).
EXP_CLIP = 40.0

#: |grad phi| (1/nm) below which the front normal is shortened (regularisation): the interface
#: itself has |grad phi| of order 1/l0; this only keeps n finite where phi is flat.
NORMAL_FLOOR = 1e-8

#: Volume per Si atom of the diamond lattice, a^3 / 8 with a = 0.5431 nm (nm^3): the V_Si of B.
SI_ATOMIC_VOLUME = 0.5431**3 / 8

ORIENTATION_LAWS = ("isotropic", "cubic", "zhang_linear")
PRINCIPAL = {"100": (1, 0, 0), "110": (1, 1, 0), "111": (1, 1, 1)}


@dataclass(frozen=True)
class FrontLaw:
    """Parameters of the rate law v_n = v_110 r(n) exp(-B p / kT) f(c).

    Only barrier differences enter r(n); the absolute speed is `speed_110`, the stress-free speed
    of a front facing <110> (of any front, for the isotropic law) at c well above c0.
    """

    speed_110: float  # nm/s
    barrier_100: float  # eV
    barrier_110: float  # eV
    barrier_111: float  # eV
    bond_fraction: float  # phi_Si, -
    si_volume: float  # nm^3 per Si atom
    temperature: float  # K
    threshold: float  # c0, -
    steepness: float  # C, -
    orientation_law: str = "cubic"

    def __post_init__(self) -> None:
        if self.orientation_law not in ORIENTATION_LAWS:
            raise ValueError(f"orientation_law {self.orientation_law!r} not in {ORIENTATION_LAWS}")
        if self.speed_110 <= 0 or self.temperature <= 0 or self.si_volume <= 0:
            raise ValueError("speed_110, temperature and si_volume must be positive")

    @property
    def kT(self) -> float:
        return K_BOLTZMANN * self.temperature

    @property
    def pressure_coefficient(self) -> float:
        """B in eV/GPa: phi_Si V_Si p / 2 is the work per Si-Si bond (two bonds per Si atom)."""
        return self.bond_fraction * self.si_volume * 1e-27 * 1e9 / (2 * E_CHARGE)

    def relative_rate(self, barrier: float) -> float:
        """Stress-free rate of a front with this barrier relative to the <110> one."""
        return math.exp(-(barrier - self.barrier_110) / self.kT)

    def speed(self, pressure: float = 0.0, facing: str | tuple = "110", c: float = 1.0) -> float:
        """The law for a planar front facing a crystal direction (nm/s): "100", "110", "111" or
        Miller indices (in crystal axes)."""
        direction = np.asarray(PRINCIPAL.get(facing, facing), float)
        return float(self.speeds(np.array([pressure]), direction[None, :] / np.linalg.norm(direction), np.eye(3),
                                 c)[0])

    def speeds(self, pressure: np.ndarray, normal: np.ndarray, axes: np.ndarray, c: float = 1.0) -> np.ndarray:
        """The law at points (numpy): `pressure` (m,) in GPa, `normal` (m, dim) unit normals in mesh
        axes (a 2D normal lies in the mesh x-y plane), `axes` as in `crystal_components`."""
        rate = 1.0
        if self.orientation_law != "isotropic":
            d = normal @ axes[:, :normal.shape[1]].T
            rate = _orientation(self, [d[:, 0], d[:, 1], d[:, 2]], _Ops(symbolic=False))
        bp = np.clip(self.pressure_coefficient * pressure / self.kT, -EXP_CLIP, EXP_CLIP)
        return self.speed_110 * rate * np.exp(-bp) / (1 + math.exp(self.steepness * (self.threshold - c)))


def interpolation(phi):
    """h(phi) = 3 phi^2 - 2 phi^3: composition and swelling follow the front through h."""
    return phi**2 * (3 - 2 * phi)


def double_well_derivative(phi):
    """W'(phi) for W = 16 phi^2 (1 - phi)^2 (Gao & Hong, JMPS 94 (2016) 18, in units of w0)."""
    return 32 * phi * (1 - phi) * (1 - 2 * phi)


def interpolation_derivative(phi):
    return 6 * phi * (1 - phi)


def front_profile(s: np.ndarray | float, l0: float):
    """The exact travelling-wave profile; s is the signed distance into the lithiated side."""
    return 1.0 / (1.0 + np.exp(-4 * SQRT2 * np.asarray(s) / l0))


def mobility(speed, l0: float, tilt: float, curvature=None):
    """M such that a front moves at `speed`: the inverse of the Nagumo speed, and with the total
    curvature K of the front (`total_curvature`) the inverse of the Nagumo speed plus the
    Allen-Cahn curvature speed M l0^2 K, so that curvature adds nothing. K is clipped at half
    the planar term (curvature radii below 2 l0 / (SPEED_FACTOR tilt), where M must stay positive)."""
    planar = SPEED_FACTOR * tilt * l0
    if curvature is None:
        return speed / planar
    k = ufl.max_value(ufl.min_value(l0**2 * curvature, 0.5 * planar), -0.5 * planar)
    return speed / (planar + k)


def total_curvature(gradient, radius=None):
    """K = div n (n = `front_normal`, pointing into the lithiated phase): 1/r for a shrinking
    cylindrical core, 2/r for a sphere; `radius` (the distance to the axis) adds the hoop
    curvature n_r / r of an axisymmetric section revolved about the x axis."""
    n = front_normal(gradient)
    k = ufl.div(n)
    return k if radius is None else k + n[1] / radius


def curvature_speedup(l0: float, tilt: float, curvature: float) -> float:
    """V / V_target of an uncompensated front with total curvature K (1/r of a cylinder, 2/r of a
    sphere). The tilt must stay below 16/3, where pristine Si (Nagumo a = 1/2 - 3 tilt/32)
    would lose its stability."""
    return 1.0 + l0 * curvature / (SPEED_FACTOR * tilt)


def front_normal(gradient):
    """n = g / |g| for g the (smoothed, nodal) gradient of the signed distance into the lithiated
    phase: it points against the motion of the front."""
    return gradient / ufl.sqrt(ufl.inner(gradient, gradient) + NORMAL_FLOOR**2)


def gradient_projection(distance, w, dx_lumped) -> tuple[ufl.Form, ufl.Form]:
    """Forms (int grad s . w, int w_1) of the lumped L2 projection of grad s onto a P1 vector field:
    nodal averages of the cell gradients. The discrete profile is not exactly one-dimensional, so
    single cells tilt; neighbouring cells tilt oppositely, and their average is straight."""
    return ufl.inner(ufl.grad(distance), w) * dx_lumped, w[0] * dx_lumped


def crystal_components(n, axes: np.ndarray):
    """Components of n on the crystal axes: `axes` rows are [100], [010], [001] in mesh axes.

    A 2D normal (plane strain section) lies in the mesh x-y plane; its third component is 0.
    """
    dim = ufl.shape(n)[0]
    return [sum(float(axes[i, j]) * n[j] for j in range(dim)) for i in range(3)]


def cubic_invariants(d):
    """(f, g): f is 1 facing <110> and 0 facing <100>, <111>; g is 1 facing <111>, 0 else."""
    s = [di**2 for di in d]
    f = 4 * (s[0] * s[1] + s[1] * s[2] + s[2] * s[0]) - 36 * s[0] * s[1] * s[2]
    return f, 27 * s[0] * s[1] * s[2]


class _Ops:
    """The few non-polynomial functions of the orientation laws, for UFL or for numpy."""

    def __init__(self, symbolic: bool) -> None:
        self.max = ufl.max_value if symbolic else np.maximum
        self.min = ufl.min_value if symbolic else np.minimum
        self.acos = ufl.acos if symbolic else np.arccos


def _orientation(law: FrontLaw, d, ops: _Ops):
    r100, r111 = law.relative_rate(law.barrier_100), law.relative_rate(law.barrier_111)
    if law.orientation_law == "cubic":
        f, g = cubic_invariants(d)
        return r100 + (1 - r100) * f + (r111 - r100) * g
    a = [abs(di) for di in d]
    near_100 = ops.max(a[0], ops.max(a[1], a[2]))
    near_110 = ops.max(a[0] + a[1], ops.max(a[1] + a[2], a[2] + a[0])) / SQRT2
    angle_100, angle_110 = (ops.acos(ops.min(ops.max(x, -1.0), 1.0)) for x in (near_100, near_110))
    return r100 + (1 - r100) * angle_100 / (angle_100 + angle_110 + 1e-12)


def orientation_factor(law: FrontLaw, n, axes: np.ndarray):
    """r(n): the stress-free rate facing n relative to <110>.

    "cubic": r = r100 + (1 - r100) f + (r111 - r100) g, the rate interpolated linearly by cubic
    invariants: exact at <100>, <110>, <111>, smooth, valid in 3D; in a (001) section it is
    r100 + (1 - r100) sin^2(2 theta), equal to Zhang's interpolation at 0, 22.5 and 45 degrees.
    "zhang_linear": the rate linear in the angle between the nearest <100> (weight 0) and the
    nearest <110> (weight 1), Zhang 2016 section 4.2, literally: kinks at both ends (noise in
    the normal biases it), and <111> 61% of the way to <110>. "isotropic": 1.
    """
    if law.orientation_law == "isotropic":
        return 1.0 + 0 * n[0]
    return _orientation(law, crystal_components(n, axes), _Ops(symbolic=True))


def pressure_factor(law: FrontLaw, p):
    """exp(-B p / kT): compression (p > 0, GPa) slows the front, tension speeds it up."""
    x = law.pressure_coefficient * p / law.kT
    return ufl.exp(-ufl.max_value(ufl.min_value(x, EXP_CLIP), -EXP_CLIP))


def concentration_factor(law: FrontLaw, c):
    """f(c) = 1 / (1 + exp(C (c0 - c))): the front starves where c behind it falls below c0."""
    return 1 / (1 + ufl.exp(law.steepness * (law.threshold - c)))


def front_speed(law: FrontLaw, p, n, c, axes: np.ndarray):
    """v_n (nm/s) at the front from its pressure p (GPa), normal n and Li fraction c behind it."""
    return law.speed_110 * orientation_factor(law, n, axes) * pressure_factor(law, p) * concentration_factor(law, c)


def residual(phi, history, a, q, dt, speed, l0: float, tilt: float, dx, dx_lumped=None,
             curvature=None, lumped_weight=None) -> ufl.Form:
    """Residual of tau dphi/dt = l0^2 lap phi - W' + tilt h', tau = 1 / M(speed), by variable-step
    BDF2: dphi/dt ~ (a0 phi + a1 phi_old + a2 phi_older) / dt, `history` = (phi_old, phi_older)
    and `a` the coefficients (`diffusion.bdf_coefficients`; (1, -1, 0) is backward Euler).

    `speed` is the target normal speed (UFL, from lagged fields); `dx_lumped`, if given,
    integrates the storage and reaction terms at the vertices (mass lumping); `curvature`, if
    given, compensates the Allen-Cahn curvature speed (`mobility`). `lumped_weight`: the revolution
    weight of the lumped terms of an axisymmetric section, a P1 field of row sums
    (`axisymmetry.lumped_weight`; `dx_lumped` is then the section's own vertex rule), so that nodes
    on the axis keep their storage.
    """
    tau = 1 / mobility(speed, l0, tilt, curvature)
    dxl = dx if dx_lumped is None else dx_lumped
    rate = (a[0] * phi + a[1] * history[0] + a[2] * history[1]) / dt
    local = tau * rate + double_well_derivative(phi) - tilt * interpolation_derivative(phi)
    if lumped_weight is not None:
        local = lumped_weight * local
    return local * q * dxl + l0**2 * ufl.inner(ufl.grad(phi), ufl.grad(q)) * dx


def logit(phi: np.ndarray, l0: float, floor: float = 1e-12) -> np.ndarray:
    """The signed distance that the travelling-wave profile maps to phi: (l0 / (4 sqrt 2)) ln(phi / (1 - phi)).

    Nodal values of it are linear across a planar front, so its P1 interpolant carries the normal
    far better than phi's, whose P1 gradient tilts cell by cell across a steep profile (the slow
    <100> rate is quadratic in that tilt: docs/notes/front-model.md 5.2); clipped at `floor`.
    """
    x = np.clip(phi, floor, 1 - floor)
    return l0 / (4 * SQRT2) * np.log(x / (1 - x))


def axes_from_keys(axis: tuple[int, int, int], x_direction: tuple[int, int, int]) -> np.ndarray:
    """Crystal axes (rows [100], [010], [001]) in mesh coordinates, from the crystal directions
    (Miller indices) along the mesh z axis (a pillar's axis, a section's normal) and x axis.

    <100> pillar: axis (0, 0, 1), x (1, 0, 0); <110> pillar: axis (1, 1, 0), x (0, 0, 1).
    """
    z = np.asarray(axis, float)
    x = np.asarray(x_direction, float)
    if abs(np.dot(z, x)) > 1e-12 * np.linalg.norm(z) * np.linalg.norm(x):
        raise ValueError(f"crystal directions {axis} and {x_direction} are not orthogonal")
    z, x = z / np.linalg.norm(z), x / np.linalg.norm(x)
    y = np.cross(z, x)
    # Rows of [x; y; z] are the mesh axes in crystal components; the transpose (its inverse)
    # has the crystal axes as rows in mesh components.
    return np.vstack([x, y, z]).T


def zhang_2016(material: str, speed_110: float, orientation_law: str = "cubic") -> FrontLaw:
    """The rate-law parameters of Zhang, Krischok & Linder 2016 (Table 2, sections 5.1.2, 5.3).

    c-Si: E0 = 0.60 eV facing <110>, 0.66 eV facing <100> (section 5.1.2; the fast <110> front of
    the experiments), <111> taken as <100> (Pharr et al., Nano Lett. 12 (2012) 5039: {110} faster
    than the other two); phi_Si 1.0, c0 0.10. a-Si: isotropic (E0 0.58 eV of section 5.3 sets no
    ratio, so it does not enter), phi_Si 0.8, c0 0.06. Shared: C = 50,
    T = 300 K. V_Si = a^3 / 8 with a = 0.5431 nm. `speed_110` is not in the paper (its v_r is a
    fraction of the Li flux, eq. (72)): see docs/notes/front-model.md.
    """
    v_si = SI_ATOMIC_VOLUME
    if material == "c-Si":
        return FrontLaw(speed_110, 0.66, 0.60, 0.66, 1.0, v_si, 300.0, 0.10, 50.0, orientation_law)
    if material == "a-Si":
        return FrontLaw(speed_110, 0.58, 0.58, 0.58, 0.8, v_si, 300.0, 0.06, 50.0, "isotropic")
    raise ValueError(f"no Zhang 2016 front law for {material!r}")
