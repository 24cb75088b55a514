"""Axisymmetric reduction of a 2D model: the section is revolved about the x axis.

The symmetric quarter disk (x >= 0, y >= 0) of a particle or hollow sphere is then the meridian
section of a hemisphere: y is the distance r to the axis, the symmetry line y = 0 is the axis
(u_y = u_r = 0 there, the same condition), and x = 0 is the equatorial plane. The surface flaw at
the top point (0, D/2) becomes a ring flaw around the equator, and a crack growing down x = 0 a
ring crack in the equatorial plane, opened by the meridional stress: a sphere's surface crack at
2D cost, exact for that crack shape (not for a local, penny-shaped flaw).

Kinematics: the out-of-plane strain of plane strain becomes the hoop strain u_r / r. Every
integral over the section carries the weight 2 pi r, so volumes, energies and the Li balance are
those of the body of revolution; only the crack measure stays a length in the section (the ring
crack's depth: see `solver/damage.py`).
"""

from __future__ import annotations

import math

import ufl
from dolfinx import fem, la
from ufl.measure import Measure


def radius(mesh) -> ufl.core.expr.Expr:
    """The distance to the axis of revolution (the x axis): the y coordinate."""
    return ufl.SpatialCoordinate(mesh)[1]


def weight(mesh) -> ufl.core.expr.Expr:
    """2 pi r: the section's integrals times this are integrals over the body of revolution."""
    return 2 * math.pi * radius(mesh)


def weight_scale(reference_length: float) -> float:
    """The weight at the body's outer radius (reference length = diameter): the factor by which
    revolution multiplies residuals near the surface, where cracks and fronts live. Absolute
    Newton tolerances are scaled by it; unscaled, a damage solve of a 300 nm sphere stalled at
    its round-off floor (400 step cuts where the scaled one had none)."""
    return 2 * math.pi * 0.5 * reference_length


def hoop_strain(u: ufl.core.expr.Expr, r: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
    """u_r / r, and its limit d u_r / d r on the axis itself (u_r = 0 there), where interpolation
    points of output fields may sit; quadrature points never do."""
    return ufl.conditional(ufl.gt(r, 0), u[1] / r, ufl.grad(u)[1, 1])


class RevolvedMeasure(Measure):
    """A UFL measure that integrates `integrand * 2 pi r` over the section: the integral over the
    body of revolution. Restricting it (subdomain, metadata) keeps the weight, so the coupling
    layer's forms are written once for plane and axisymmetric models."""

    def __init__(self, *args, weight: ufl.core.expr.Expr, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.weight = weight

    def _plain(self, **changes) -> Measure:
        return Measure.reconstruct(self, **changes)

    def reconstruct(self, **kwargs) -> RevolvedMeasure:
        plain = self._plain(**kwargs)
        return RevolvedMeasure(plain.integral_type(), domain=plain.ufl_domain(), subdomain_id=plain.subdomain_id(),
                               metadata=plain.metadata(), subdomain_data=plain.subdomain_data(),
                               intersect_measures=plain.intersect_measures(), weight=self.weight)

    def __rmul__(self, integrand):
        if isinstance(integrand, int | float):
            integrand = ufl.as_ufl(integrand)
        if not isinstance(integrand, ufl.core.expr.Expr):
            return NotImplemented
        w = self.weight("+") if self.integral_type() == "interior_facet" else self.weight
        return (integrand * w) * self._plain()  # the plain twin integrates: the weight enters once


def lumped_weight(V: fem.FunctionSpace) -> fem.Function:
    """The P1 field m_i = int 2 pi r phi_i / int phi_i: with vertex quadrature, m phi_i integrates
    to the row sum of the weighted mass matrix (see `diffusion.residual`)."""
    phi = ufl.TestFunction(V)
    dx = ufl.Measure("dx", domain=V.mesh)
    weighted, plain = (fem.assemble_vector(fem.form(w * phi * dx)) for w in (weight(V.mesh), 1.0))
    m = fem.Function(V, name="lumped_weight")
    for vec in (weighted, plain):
        vec.scatter_reverse(la.InsertMode.add)
    n = V.dofmap.index_map.size_local
    m.x.array[:n] = weighted.array[:n] / plain.array[:n]
    m.x.scatter_forward()
    return m


def measure(integral_type: str, mesh, subdomain_data, axisymmetric: bool) -> Measure:
    """A plain measure, or the revolved one (weight 2 pi r) for an axisymmetric model."""
    if not axisymmetric:
        return ufl.Measure(integral_type, domain=mesh, subdomain_data=subdomain_data)
    return RevolvedMeasure(integral_type, domain=mesh, subdomain_data=subdomain_data, weight=weight(mesh))
