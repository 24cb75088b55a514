"""The discretisation every physics problem shares: mesh, regions, measures, spaces, reductions.

c (and the damage d) are P1 on the whole mesh, so that they couple to u without a submesh; the
displacement is vector Lagrange of the case's degree. An axisymmetric model revolves the section
about x: every integral except `dx_section`'s carries the weight 2 pi r (`solver/axisymmetry.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import basix.ufl
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from sifrac.solver import axisymmetry
from sifrac.solver.case import Case

if TYPE_CHECKING:
    from sifrac.meshes import MeshBundle


class Domain:
    """Mesh, regions and boundaries of a `MeshBundle`, with the measures and function spaces of
    the case, and the reductions over ranks the problems use."""

    def __init__(self, bundle: MeshBundle, case: Case) -> None:
        mesh = bundle.mesh
        self.bundle, self.mesh, self.comm = bundle, mesh, mesh.comm
        self.dim = mesh.geometry.dim
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        self.axisymmetric = self.dim == 2 and case.mechanics.out_of_plane == "axisymmetric"
        self.radius = axisymmetry.radius(mesh) if self.axisymmetric else None
        # Residuals carry the weight too: absolute Newton tolerances scale with it.
        self.atol_scale = axisymmetry.weight_scale(bundle.reference_length) if self.axisymmetric else 1.0
        self.dx, self.ds, self.dS = (axisymmetry.measure(kind, mesh, data, self.axisymmetric) for kind, data in
                                     (("dx", bundle.cell_tags), ("ds", bundle.facet_tags), ("dS", bundle.facet_tags)))
        self.dx_si = self.dx(bundle.regions["si"])
        # The unweighted measure on the section: the same as dx unless axisymmetric.
        self.dx_section = ufl.Measure("dx", domain=mesh, subdomain_data=bundle.cell_tags)
        self.Vc = fem.functionspace(mesh, ("Lagrange", 1))
        degree = case.mechanics.displacement_degree
        self.Vu = fem.functionspace(mesh, ("Lagrange", degree, (self.dim,)))
        # UFL would estimate a very high degree for the rational E(c), nu(c) expressions: fix it
        # at the degree that integrates the constant-moduli integrand exactly.
        self.dx_mech = self.dx(metadata={"quadrature_degree": 2 * degree})
        self.DG0 = fem.functionspace(mesh, ("DG", 0))

    @property
    def regions(self) -> dict[str, int]:
        return self.bundle.regions

    @property
    def boundaries(self) -> dict[str, int]:
        return self.bundle.boundaries

    def facets(self, name: str) -> np.ndarray:
        """The local facets of a named boundary."""
        return self.bundle.facet_tags.find(self.bundle.boundaries[name])

    def region_field(self, values: dict[str, float]) -> fem.Function:
        """A DG0 field with one value per named region (0 elsewhere)."""
        f = fem.Function(self.DG0)
        for region, value in values.items():
            f.x.array[self.bundle.cell_tags.find(self.bundle.regions[region])] = value
        f.x.scatter_forward()
        return f

    def dofs_outside(self, regions: list[str]) -> np.ndarray:
        """P1 dofs that touch no cell of the given regions (pinned for fields living there only)."""
        tdim = self.mesh.topology.dim
        inside = [self.bundle.cell_tags.find(self.bundle.regions[r]) for r in regions if r in self.bundle.regions]
        inside_dofs = np.unique(self.Vc.dofmap.list[np.concatenate(inside)].ravel())
        n_cells = self.mesh.topology.index_map(tdim).size_local + self.mesh.topology.index_map(tdim).num_ghosts
        all_dofs = np.unique(self.Vc.dofmap.list[:n_cells].ravel())
        return np.setdiff1d(all_dofs, inside_dofs).astype(np.int32)

    def quadrature_space(self, shape: tuple) -> fem.FunctionSpace:
        """Values at the quadrature points of the mechanics forms (`dx_mech`)."""
        degree = self.dx_mech.metadata()["quadrature_degree"]
        return fem.functionspace(self.mesh, basix.ufl.quadrature_element(self.mesh.topology.cell_name(),
                                                                         value_shape=shape, degree=degree))

    # -- reductions over ranks ----------------------------------------------------------------
    def integral(self, form: fem.Form) -> float:
        """A compiled scalar form, summed over ranks."""
        return self.comm.allreduce(fem.assemble_scalar(form))

    def assemble(self, integrand) -> float:
        """A scalar UFL form, compiled and summed over ranks."""
        return self.integral(fem.form(integrand))

    def max_abs(self, values: np.ndarray, space: fem.FunctionSpace | None = None) -> float:
        """Largest |value| over the owned dofs of `space` (default: the P1 space of c and d)."""
        dofmap = (space or self.Vc).dofmap
        n = dofmap.index_map.size_local * dofmap.index_map_bs
        return self.comm.allreduce(float(np.abs(values[:n]).max(initial=0.0)), op=MPI.MAX)

    def dot(self, a: np.ndarray, b: np.ndarray) -> float:
        """Inner product of two P1 arrays over the owned dofs (global)."""
        n = self.Vc.dofmap.index_map.size_local
        return self.comm.allreduce(float(a[:n] @ b[:n]))
