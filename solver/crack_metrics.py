"""Crack-opening displacement from a phase field (Chukwudozie, Bourdin & Yoshioka, 2019).

Along a line crossing a crack band, -int (u . t)(grad d . t) ds, with t the line's direction, is
the jump of the displacement across the band: the opening. Only the components along the line
count, so a crack running parallel to the line (e.g. along an interface) adds nothing. Lines are
laid across the Si where cracks run: for films, lines along the width (x) at heights through the
Si layer (cracks from the surface run down); for round bodies, circles about
the centre (radial cracks open along the hoop direction; a circle crossing several cracks gives
their total opening). `max_cod` is the largest value over the lines. A symmetry-reduced film
cuts a crack on its symmetry plane in half, so COD is meant for full films.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import fem

from sifrac.solver.case import Case
from sifrac.solver.probes import Probes

N_LINES = 24


def _lines(bundle, case: Case) -> list[np.ndarray]:
    """Points (n, 3) of each line, spaced a quarter of the finest element size."""
    geo = case.geometry
    step = geo.mesh_size_surface / 4
    dim = geo.dim
    if geo.kind == "thin_film":
        x0 = 0.0 if geo.symmetry else -geo.width / 2
        xs = np.arange(x0, geo.width / 2 + 1e-9, step)
        lines = []
        for h in np.linspace(0.02, 0.98, N_LINES) * geo.thickness:
            p = np.zeros((len(xs), 3))
            p[:, 0], p[:, dim - 1] = xs, h
            lines.append(p)
        return lines
    if bundle.center is None:
        return []
    R = bundle.reference_length / 2
    r_in = (geo.inner_diameter or 0.0) / 2
    span = np.pi / 2 if geo.symmetry else 2 * np.pi
    lines = []
    for r in np.linspace(r_in + 0.05 * (R - r_in), 0.99 * R, N_LINES):
        phi = np.linspace(0.0, span, max(8, int(span * r / step)))
        p = np.zeros((len(phi), 3))
        p[:, 0], p[:, 1] = r * np.cos(phi), r * np.sin(phi)
        lines.append(p + np.asarray(bundle.center))
    return lines


class CrackOpening:
    """max COD over the crack-crossing lines of a geometry, identical on every rank (a model with
    fracture: `ChemoMechanicalModel`)."""

    def __init__(self, problem) -> None:
        self.problem = problem
        self.lines = _lines(problem.bundle, problem.case)
        gdim = problem.dim
        self.gdim = gdim
        if not self.lines:
            return
        self._sizes = [len(p) for p in self.lines]
        self.probes = Probes(problem.bundle.mesh, np.vstack(self.lines).tolist(), strict=False)
        V = fem.functionspace(problem.bundle.mesh, ("DG", 0, (gdim,)))
        self.grad_d = fem.Function(V)
        self._expr = fem.Expression(ufl.grad(problem.d), V.element.interpolation_points)

    def max_cod(self) -> float:
        if not self.lines:
            return float("nan")
        self.grad_d.interpolate(self._expr)
        values = self.probes.values([self.problem.u, self.grad_d], [self.gdim, self.gdim])
        cod = None
        if values is not None:
            cods = []
            for pts, v in zip(self.lines, np.split(values, np.cumsum(self._sizes)[:-1])):
                t = np.gradient(pts[:, : self.gdim], axis=0)
                t /= np.linalg.norm(t, axis=1)[:, None]
                u_t = np.einsum("ni,ni->n", v[:, : self.gdim], t)
                g_t = np.einsum("ni,ni->n", v[:, self.gdim:], t)
                s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
                cods.append(np.trapezoid(np.nan_to_num(-u_t * g_t), s))
            cod = max(cods)
        return float(self.problem.comm.bcast(cod, root=0))
