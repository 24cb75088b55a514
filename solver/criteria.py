"""Critical-size criteria of a round body, measured at every recorded step (docs/notes/criteria.md).

- `EnergyRelease` (`[output] energy_release`): the crack-plane normal stress along a radius from
  the outer surface (the flaw's line, +y, or `energy_release_direction`), and the weight-function
  energy-release rate G(a) of a surface crack of every depth a in it (solver/energy_release.py),
  with E, nu and the fracture energy Gc(c) read at the crack tip. The literature's critical size
  is the size below which max over a and over the lithiation of G stays below Gc (Ryu et al.
  2011; Liu et al. 2012): it depends on neither the phase-field length nor a flaw.
- `CrackPath` (`[fracture] criterion = "geometry"`): how deep the damage band d >= threshold
  reaches along the flaw's line, and where the uncracked crack-plane stress turns compressive
  (sampled on the radius along +x, away from the flaw): `fracture_reason` counts a crack through
  the wall of a hollow sphere, or one that reaches that compressive core, as fractured whatever
  its length ratio.

The lines sample each field on the one rank that owns each point (`solver/profile.py`) and
broadcast it, so every rank computes the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from dolfinx import fem

from sifrac.meshes.common import top_mesh_size
from sifrac.solver.case import ENERGY_RELEASE_POINTS, Case, Geometry
from sifrac.solver.energy_release import critical_size_by_scaling, energy_release_rate, maximise, scan_depths
from sifrac.solver.profile import RadialLine

FLAW_DIRECTION = (0.0, 1.0, 0.0)  # from the centre through the surface flaw (the top, plane x = 0)
AWAY_DIRECTION = (1.0, 0.0, 0.0)  # the radius 90 degrees from it (a symmetry edge of the quarter)
#: Below this G (J/m^2) no depth releases energy: the depth column reads 0, not the argmax of noise.
G_FLOOR = 1e-12
#: Relative precision of the peak depth: fine enough for the criterion, coarse enough that its
#: last choice between grid points is not decided by round-off (energy_release.maximise).
PEAK_TOL = 1e-4
#: criterion = geometry: the band must have grown this many elements (mesh_size_top) beyond its
#: step-0 depth, so that a pre-existing flaw deeper than a thin tensile layer does not count.
GROWTH_ELEMENTS = 2
#: Inset of the sampled points off the line, relative to the radius (solver/profile.py).
INSET = 1e-6


def radial_span(geometry: Geometry) -> tuple[float, float]:
    """(outer radius, depth of the line inside Si): the radius, or a hollow sphere's wall."""
    outer = 0.5 * geometry.diameter
    inner = 0.5 * geometry.inner_diameter if geometry.kind == "hollow_sphere" else 0.0
    return outer, outer - inner


def weight_function(case: Case) -> str:
    """The geometry of the weight function (solver/energy_release.py) for the case's body: the
    edge-cracked disc for plane sections of cylinders (2D particles, nanowires); the ring
    (half-plane limit) for spheres (axisymmetric, 3D); the strip of the wall's width for a hollow
    sphere (a through-wall crack of a thin shell, locally a strip)."""
    geometry = case.geometry
    if geometry.kind == "hollow_sphere":
        return "strip"
    if geometry.kind == "nanowire" or (geometry.dim == 2 and case.mechanics.out_of_plane != "axisymmetric"):
        return "disc"
    return "ring"


def crack_plane_normal(direction: tuple[float, ...]) -> tuple[float, float, float]:
    """The normal of the crack plane that contains the radius `direction` and the z axis (in 2D
    the in-plane perpendicular); for a radius along z, the plane x = const."""
    d = np.asarray(direction, dtype=float)
    n = np.cross(d, [0.0, 0.0, 1.0])
    if np.linalg.norm(n) < 1e-12 * np.linalg.norm(d):
        n = np.cross(d, [1.0, 0.0, 0.0])
    return tuple(float(v) for v in n / np.linalg.norm(n))


def damaged_depth(depths: np.ndarray, d: np.ndarray, threshold: float) -> float:
    """Depth to which d >= threshold runs without a break from the surface (depths[0]); linear
    between samples; the whole line when no sample falls below."""
    below = np.flatnonzero(~(d >= threshold))
    if not len(below):
        return float(depths[-1])
    k = int(below[0])
    if k == 0:
        return 0.0
    t = (d[k - 1] - threshold) / (d[k - 1] - d[k])
    return float(depths[k - 1] + t * (depths[k] - depths[k - 1]))


def compressive_depth(depths: np.ndarray, sigma: np.ndarray) -> float:
    """Depth at which a tensile surface layer (sigma > 0 at the surface) turns compressive, linear
    between samples; NaN when the surface is not in tension or the whole line is."""
    if not sigma[0] > 0.0:
        return math.nan
    below = np.flatnonzero(~(sigma > 0.0))
    if not len(below):
        return math.nan
    k = int(below[0])
    t = sigma[k - 1] / (sigma[k - 1] - sigma[k])
    return float(depths[k - 1] + t * (depths[k] - depths[k - 1]))


def fracture_reason(case: Case, row: dict, first: dict) -> str | None:
    """Which part of the case's fracture criterion holds on one history row (None: not fractured);
    `first` is the row of step 0, the pre-existing crack as meshed and measured.

    max_damage, crack_length, crack_growth: as `[fracture] criterion` documents. geometry: the
    damage band along the flaw's line (crack_depth) has grown by GROWTH_ELEMENTS elements and
    reaches, within one element (mesh_size_top: a ligament the mesh does not resolve), the inner
    surface of a hollow sphere ("through_wall") or the compressive core ("compressive_core": only
    for a flaw whose tip started in the tensile layer; one already deeper must grow);
    else, with a pre-existing crack, the crack_growth condition ("crack_growth")."""
    frac = case.fracture
    if not row["max_damage"] >= frac.threshold:
        return None
    criterion = frac.criterion
    grown = row["crack_length"] >= frac.crack_growth_ratio * first["crack_length"]
    if criterion == "max_damage":
        return criterion
    if criterion == "crack_length":
        return criterion if row["crack_length"] >= frac.crack_length_min else None
    if criterion == "crack_growth":
        return criterion if grown else None
    h = top_mesh_size(case.geometry)
    depth = row["crack_depth"]
    if depth >= first["crack_depth"] + GROWTH_ELEMENTS * h:
        _, span = radial_span(case.geometry)
        if case.geometry.kind == "hollow_sphere" and depth >= span - h:
            return "through_wall"
        core = row["compressive_depth"]
        if math.isfinite(core) and first["crack_depth"] < core - h and depth >= core - h:
            return "compressive_core"
    flaw = frac.surface_flaw > 0 or frac.initial_crack is not None or frac.initial_disc is not None
    return "crack_growth" if flaw and grown else None


def _line(model, direction: tuple[float, ...], points: int) -> RadialLine:
    """The radius along `direction` from the outer surface into Si (to the centre or through the
    wall), with `points` samples and the crack plane containing it."""
    outer, span = radial_span(model.case.geometry)
    dim = model.dim
    return RadialLine(model.bundle.mesh, model.bundle.center[:dim], tuple(direction[:dim]), outer,
                      np.linspace(0.0, span, points), normal=crack_plane_normal(direction)[:dim],
                      inset=INSET * outer)


@dataclass(frozen=True)
class LineProfile:
    """One state sampled along the radius: reference and current depths (nm; equal in small
    strain), the crack-plane normal stress, E, nu and Gc(c) there, and the weight function."""

    reference: np.ndarray
    depth: np.ndarray
    sigma: np.ndarray
    E: np.ndarray
    nu: np.ndarray
    gc: np.ndarray
    geometry: str

    @property
    def width(self) -> float:
        """The disc's current diameter along the line, or the strip's (wall's) width."""
        return 2.0 * self.depth[-1] if self.geometry == "disc" else float(self.depth[-1])

    @property
    def a_max(self) -> float:
        """The deepest crack: through the radius, or 0.6 of the wall (the strip function's range)."""
        return 0.6 * float(self.depth[-1]) if self.geometry == "strip" else float(self.depth[-1])

    def current(self, reference: np.ndarray) -> np.ndarray:
        """Current depths of reference depths, at most a_max."""
        return np.minimum(np.interp(reference, self.reference, self.depth), self.a_max)

    def energy_release_rate(self, a: np.ndarray) -> np.ndarray:
        """G (J/m^2) of a crack of current depth a, E and nu at its tip."""
        return energy_release_rate(a, (self.depth, self.sigma), self.E, self.nu, self.geometry, self.width)

    def gc_at(self, a: np.ndarray) -> np.ndarray:
        return np.interp(a, self.depth, self.gc)

    def ratio(self, a: np.ndarray) -> np.ndarray:
        """G / Gc with Gc at the tip's composition."""
        return self.energy_release_rate(a) / self.gc_at(a)


class EnergyRelease:
    """G(a) of a surface crack along one radius of a round body, at every recorded step of a
    `ChemoMechanicalModel` (`measure`), and its summary over a run (`summary`)."""

    def __init__(self, model, case: Case) -> None:
        out, act, frac = case.output, case.active, case.fracture
        self.model = model
        self.geometry = weight_function(case)
        flawed = frac.model != "none" and frac.surface_flaw > 0
        self.direction = tuple(out.energy_release_direction or (AWAY_DIRECTION if flawed else FLAW_DIRECTION))
        self.line = _line(model, self.direction, out.energy_release_points or ENERGY_RELEASE_POINTS)
        self.finite = case.mechanics.kinematics == "finite"
        self.flaw = frac.surface_flaw
        self.gc = (act.Gc, act.Gc_lithiated)
        # E and nu as the mechanics has them (fields of c and region): per cell in DG1, so that a
        # point next to a region interface reads the Si cell's values on any partition.
        V = fem.functionspace(model.bundle.mesh, ("DG", 1))
        material = model.mechanics.material
        self._moduli = [fem.Function(V) for _ in range(2)]
        self._exprs = [fem.Expression(m, V.element.interpolation_points) for m in (material.E, material.nu)]

    def profile(self, stress: fem.Function) -> LineProfile:
        """The sampled radius at the current state (`stress`: the Cauchy stress tensor field)."""
        line, model = self.line, self.model
        for f, expr in zip(self._moduli, self._exprs):
            f.interpolate(expr)
        values = line.values([model.c, *self._moduli])
        sigma = line.normal_stress(stress)
        depth = line.current_depths(model.u) if self.finite else line.depths
        keep = np.isfinite(sigma) & np.isfinite(depth) & np.all(np.isfinite(values), axis=1)
        c = np.clip(values[keep, 0], 0.0, 1.0)
        return LineProfile(line.depths[keep], depth[keep], sigma[keep], values[keep, 1], values[keep, 2],
                           self.gc[0] + (self.gc[1] - self.gc[0]) * c, self.geometry)

    def measure(self, stress: fem.Function) -> dict[str, float]:
        """The history columns at the current state."""
        prof = self.profile(stress)
        grid = scan_depths(prof.a_max)
        scan = prof.energy_release_rate(grid)
        a_star, g_max = maximise(prof.energy_release_rate, prof.a_max, tol=PEAK_TOL, scan=scan)
        a_ratio, ratio = maximise(prof.ratio, prof.a_max, tol=PEAK_TOL, scan=scan / prof.gc_at(grid))
        released = g_max > G_FLOOR
        row = {"max_energy_release_rate": g_max, "energy_release_depth": a_star if released else 0.0,
               "max_energy_release_ratio": ratio,
               "energy_release_gc": float(prof.gc_at(np.array([a_ratio if released else 0.0]))[0])}
        if self.flaw > 0:
            at = prof.current(np.array([self.flaw]))
            row["flaw_energy_release_rate"] = float(prof.energy_release_rate(at)[0])
            row["flaw_energy_release_ratio"] = float(prof.ratio(at)[0])
        return row

    def summary(self, case: Case, history: list[dict]) -> dict:
        """The run's maximum over the lithiation: G_max (J/m^2) with its SOC and depth (current
        nm), the criterion G_max_over_Gc = max over a and SOC of G(a) / Gc(c at the tip) and the Gc
        where it is taken, and D Gc / G_max (the critical size if the profile is self-similar)."""
        best = max(history, key=lambda r: r["max_energy_release_rate"])
        decisive = max(history, key=lambda r: r["max_energy_release_ratio"])
        size = case.geometry.diameter
        ratio = decisive["max_energy_release_ratio"]
        return {"G_max": best["max_energy_release_rate"], "soc_at_max": best["soc"],
                "depth_at_max": best["energy_release_depth"],
                "Gc": decisive["energy_release_gc"], "G_max_over_Gc": ratio,
                "soc_at_max_ratio": decisive["soc"], "geometry": self.geometry,
                "direction": list(self.direction[:self.model.dim]),
                "critical_size_by_scaling": critical_size_by_scaling(size, ratio, 1.0) if ratio > 0 else None,
                "gc_law": "Gc + (Gc_lithiated - Gc) c at the crack tip ([active])"}


class CrackPath:
    """The history columns of `[fracture] criterion = "geometry"`: crack_depth (reference nm, the
    band d >= threshold along the flaw's line from the surface) and compressive_depth (reference
    nm, where the crack-plane stress on the radius away from the flaw turns compressive)."""

    def __init__(self, model, case: Case) -> None:
        points = case.output.energy_release_points or ENERGY_RELEASE_POINTS
        self.model, self.threshold = model, case.fracture.threshold
        self.flaw_line = _line(model, FLAW_DIRECTION, points)
        self.away_line = _line(model, AWAY_DIRECTION, points)

    def measure(self, stress: fem.Function) -> dict[str, float]:
        d = self.flaw_line.values([self.model.d])[:, 0]
        sigma = self.away_line.normal_stress(stress)
        depths = self.flaw_line.depths
        return {"crack_depth": damaged_depth(depths[np.isfinite(d)], d[np.isfinite(d)], self.threshold),
                "compressive_depth": compressive_depth(depths[np.isfinite(sigma)], sigma[np.isfinite(sigma)])}
