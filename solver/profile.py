"""The uncracked stress profile along a radial line of a round body, for solver/energy_release.py.

A surface flaw at the top of a particle or wire runs radially inward; the weight-function G of
that flaw needs the normal stress across its line, sigma_nn(depth) = n . sigma . n with n the
normal of the crack plane (the hoop direction for a radial crack in 2D; the axis for the ring
crack of an axisymmetric section). The points are located once by dolfinx's point-ownership
search (solver/probes.py), each is evaluated on the one rank that owns it, and the values are
broadcast, so every rank holds the same array whatever the partition. With an `inset`, the
points are moved that far off the line into the body (and off its end points), so that none lies
on a mesh vertex or edge, where a discontinuous (DG) stress has one value per cell and which one
is read would depend on the partition.
"""

from __future__ import annotations

import numpy as np
from dolfinx import fem

from sifrac.solver.probes import Probes


def _width(f: fem.Function) -> int:
    return int(np.prod(f.ufl_shape, dtype=int))


#: A point outside the mesh moves inward by SHIFT_FIRST radius, then twice as far each time, in all
#: at most SHIFT_MAX radius (a coarse surface mesh, h = D/6, lies up to R/70 inside the circle).
SHIFT_FIRST, SHIFT_MAX = 1e-4, 0.05


class RadialLine:
    """Points at reference depths `depths` below the surface of a round body of reference radius
    `radius` about `centre`, on the ray along `direction` (the crack line), with the crack-plane
    normal `normal` (default in 2D: the in-plane perpendicular of `direction`). `inset` (a
    length, 0: none) moves the points off the line, into the positive octant (the inside of a
    symmetry-reduced body) along a direction with no special angle to the axes, and keeps them
    that far inside the end points. A point that no rank finds is moved toward the centre until
    one does (at most SHIFT_MAX radius): between its vertices the faceted surface of a mesh lies
    inside the round one, by about h^2 / (8 radius), so the surface point of a body whose line
    meets no vertex there would otherwise be lost."""

    def __init__(self, mesh, centre: tuple[float, ...], direction: tuple[float, ...], radius: float,
                 depths: np.ndarray, normal: tuple[float, ...] | None = None, inset: float = 0.0) -> None:
        self.depths = np.asarray(depths, dtype=float)
        ray = np.zeros(3)
        ray[:len(direction)] = direction
        if not (radius > 0 and np.linalg.norm(ray) > 0 and self.depths.ndim == 1 and len(self.depths) >= 2
                and self.depths[0] == 0.0 and np.all(np.diff(self.depths) > 0) and self.depths[-1] <= 2 * radius):
            raise ValueError("RadialLine needs radius > 0, a nonzero direction and depths rising from 0 "
                             "(the surface point) to at most 2 radius")
        self.direction = ray / np.linalg.norm(ray)
        if normal is None:
            if mesh.geometry.dim != 2:
                raise ValueError("RadialLine: give the crack-plane normal in 3D")
            normal = (-self.direction[1], self.direction[0], 0.0)
        n = np.zeros(3)
        n[:len(normal)] = normal
        if abs(n @ self.direction) > 1e-12 * np.linalg.norm(n) or np.linalg.norm(n) == 0:
            raise ValueError("RadialLine: the crack-plane normal must be nonzero and normal to the line")
        self.normal = n / np.linalg.norm(n)
        self.centre = np.zeros(3)
        self.centre[:len(centre)] = centre
        self.radius = float(radius)
        self.points = self.centre + (self.radius - self.depths)[:, None] * self.direction
        if inset > 0.0:  # a direction that no mesh face through the line is likely to contain
            side = np.array([0.83, 0.47, 0.29])
            side[mesh.geometry.dim:] = 0.0
            side -= (side @ self.direction) * self.direction
            if np.linalg.norm(side) < 1e-3:
                side = self.normal
            inside = np.clip(self.depths, inset, self.depths[-1] - inset)
            off = side / np.linalg.norm(side) + 0.37 * self.direction  # oblique to the line too
            self.points = self.centre + (self.radius - inside)[:, None] * self.direction + inset * off
        self._probes = Probes(mesh, self.points.tolist(), strict=False)
        shift, moved = SHIFT_FIRST * self.radius, 0.0
        while len(self._probes.missing) and moved + shift <= SHIFT_MAX * self.radius:
            self.points[self._probes.missing] -= shift * self.direction
            self._probes = Probes(mesh, self.points.tolist(), strict=False)
            moved, shift = moved + shift, 2.0 * shift
        self._comm = mesh.comm

    def values(self, functions: list[fem.Function]) -> np.ndarray:
        """The functions' values at the points (one row per point, their flattened components
        side by side; NaN outside the mesh), the same on every rank."""
        rows = self._probes.values(functions, [_width(f) for f in functions])
        return self._comm.bcast(rows, root=0)

    def normal_stress(self, stress: fem.Function) -> np.ndarray:
        """n . sigma . n at the points from a 3x3 tensor field, or the values of a scalar field
        that already holds it (the hoop-stress output field)."""
        rows = self.values([stress])
        if rows.shape[1] == 1:
            return rows[:, 0]
        if rows.shape[1] != 9:
            raise ValueError(f"normal_stress: a scalar or 3x3 tensor field, got {rows.shape[1]} components")
        return np.einsum("i,nij,j->n", self.normal, rows.reshape(-1, 3, 3), self.normal)

    def current_depths(self, displacement: fem.Function) -> np.ndarray:
        """Depths in the deformed body: the surface point's radial coordinate minus each point's,
        both after the displacement (a rigid shift along the line cancels)."""
        u = self.values([displacement])
        x = self.points.copy()
        x[:, :u.shape[1]] += u
        r = (x - self.centre) @ self.direction
        return r[0] - r

    def profile(self, stress: fem.Function, displacement: fem.Function | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(depth, sigma_nn) ready for solver/energy_release.py: reference depths, or current ones
        with a displacement (finite strain); points outside the mesh are dropped."""
        sigma = self.normal_stress(stress)
        depth = self.depths if displacement is None else self.current_depths(displacement)
        keep = np.isfinite(sigma) & np.isfinite(depth)
        return depth[keep], sigma[keep]
