"""Stress fields derived from the solution: sampled tensors, scalar measures and output fields.

The stress tensor is interpolated into a discontinuous space one degree below the displacement
(exact for constant moduli), and every scalar measure (principal, von Mises, hoop) is evaluated
on its nodes with vectorised numpy, so the maxima reported in history.csv do not depend on
projections or on the number of ranks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import ufl
from dolfinx import fem, la
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI

if TYPE_CHECKING:
    from sifrac.meshes import MeshBundle


def tangential_name(bundle: MeshBundle) -> str:
    """Name of the geometry's characteristic in-surface stress: hoop for curved bodies, sigma_xx for films."""
    return "hoop_stress" if bundle.center is not None else "inplane_stress"


def tangential(s: np.ndarray, x: np.ndarray, bundle: MeshBundle, axisymmetric: bool = False) -> np.ndarray:
    """Hoop stress about the body's centre (sphere: mean of the two tangential stresses), or sigma_xx.

    s has shape (n, 3, 3), x shape (n, 3). At the centre itself (r = 0) the radial direction is
    undefined; there the x axis stands in for it (any direction is as good by symmetry), so an
    isotropic stress sigma gives hoop = sigma, and the hoop stress, a mean of normal stresses,
    never exceeds the largest principal stress. An axisymmetric section is a sphere's: the
    in-plane tangential stress is averaged with the circumferential one, s_zz.
    """
    if bundle.center is None:
        return s[:, 0, 0]
    r = x - np.asarray(bundle.center)
    dim = bundle.mesh.geometry.dim
    if dim == 2 or bundle.hoop_axis is not None:
        t = np.zeros_like(r)
        t[:, 0], t[:, 1] = -r[:, 1], r[:, 0]
        in_plane = _normal_stress(s, _unit(t, fallback=0))
        return 0.5 * (in_plane + s[:, 2, 2]) if axisymmetric else in_plane
    return 0.5 * (np.trace(s, axis1=1, axis2=2) - _normal_stress(s, _unit(r, fallback=0)))


def _unit(v: np.ndarray, fallback: int) -> np.ndarray:
    """The rows of v normalised; a zero row (the centre) becomes the unit vector along axis
    `fallback`."""
    norm = np.linalg.norm(v, axis=1)
    out = np.zeros_like(v)
    out[norm > 0] = v[norm > 0] / norm[norm > 0, None]
    out[norm == 0, fallback] = 1.0
    return out


def _normal_stress(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    """n . s . n row by row: the normal stress on the plane of unit normal n."""
    return np.einsum("ni,nij,nj->n", n, s, n)


def von_mises(s: np.ndarray) -> np.ndarray:
    dev = s - np.trace(s, axis1=1, axis2=2)[:, None, None] / 3 * np.eye(3)
    return np.sqrt(1.5 * np.einsum("nij,nij->n", dev, dev))


class StressFields:
    """The stress tensor of a ChemoMechanicalModel, its Si maxima and P1 fields for ParaView."""

    def __init__(self, problem) -> None:
        self.problem = problem
        bundle = problem.bundle
        mesh = bundle.mesh
        self.bundle = bundle
        degree = max(problem.Vu.ufl_element().embedded_superdegree - 1, 0)
        W = fem.functionspace(mesh, ("DG", degree, (3, 3)))
        self.tensor = fem.Function(W, name="stress")
        if problem.plastic:
            # The plastic state lives at quadrature points, so sigma cannot be sampled elsewhere:
            # L2-project it instead. The DG mass matrix is block diagonal by cell, so block Jacobi
            # with LU is an exact solve on any number of ranks.
            S, T = ufl.TrialFunction(W), ufl.TestFunction(W)
            self._projection = LinearProblem(
                ufl.inner(S, T) * problem.dx_mech, ufl.inner(problem.sigma, T) * problem.dx_mech, u=self.tensor,
                petsc_options_prefix="sifrac_stress_",
                petsc_options={"ksp_type": "preonly", "pc_type": "bjacobi", "sub_pc_type": "lu"})
        else:
            self._expr = fem.Expression(problem.sigma, W.element.interpolation_points)
        tdim = mesh.topology.dim
        si_cells = bundle.cell_tags.find(bundle.regions["si"])
        si_cells = si_cells[si_cells < mesh.topology.index_map(tdim).size_local]
        self._si_nodes = W.dofmap.list[si_cells].ravel()
        self._si_x = W.tabulate_dof_coordinates()[self._si_nodes]
        self.tangential_name = tangential_name(bundle)

        # P1 output fields (nodal values, for visualisation)
        P1 = fem.functionspace(mesh, ("Lagrange", 1))
        self._p1_tensor = fem.Function(fem.functionspace(mesh, ("Lagrange", 1, (3, 3))))
        self._p1_x = P1.tabulate_dof_coordinates()
        self.displacement = fem.Function(fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,))),
                                         name="displacement")
        self.scalars = {name: fem.Function(P1, name=name) for name in
                        ("von_mises", "hydrostatic_stress", "max_principal_stress", self.tangential_name)}
        if problem.plastic:
            self.plastic_strain = fem.Function(P1, name="equivalent_plastic_strain")
            phi = ufl.TestFunction(P1)
            self._p_form = fem.form(problem.p_old * phi * problem.dx_mech)
            self._lumped_mass = fem.assemble_vector(fem.form(phi * problem.dx_mech))
            self._lumped_mass.scatter_reverse(la.InsertMode.add)

    def update(self) -> None:
        """Resample the stress tensor after a mechanics solve."""
        if self.problem.plastic:
            self._projection.solve()
        else:
            self.tensor.interpolate(self._expr)

    def _si_tensors(self) -> np.ndarray:
        return self.tensor.x.array.reshape(-1, 9)[self._si_nodes].reshape(-1, 3, 3)

    def measures(self) -> dict[str, float]:
        """Extremes of the stress measures over Si (GPa), identical on every rank."""
        s = self._si_tensors()
        comm = self.bundle.mesh.comm
        principal = np.linalg.eigvalsh(s) if len(s) else np.zeros((0, 3))
        tang = tangential(s, self._si_x, self.bundle, self.problem.axisymmetric)
        name = self.tangential_name
        local_max = [principal[:, -1].max(initial=-np.inf), von_mises(s).max(initial=-np.inf),
                     tang.max(initial=-np.inf), -principal[:, 0].min(initial=np.inf), -tang.min(initial=np.inf)]
        g = np.empty(len(local_max))
        comm.Allreduce(np.array(local_max, dtype=float), g, op=MPI.MAX)
        return {"max_principal_stress": g[0], "min_principal_stress": -g[3], "max_von_mises": g[1],
                f"max_{name}": g[2], f"min_{name}": -g[4]}

    def update_output_fields(self) -> None:
        """Nodal (P1) displacement and stress measures for the field files and pictures."""
        self.displacement.interpolate(self.problem.u)
        self._p1_tensor.interpolate(self.tensor)
        s = self._p1_tensor.x.array.reshape(-1, 3, 3)
        values = {"von_mises": von_mises(s), "hydrostatic_stress": np.trace(s, axis1=1, axis2=2) / 3,
                  "max_principal_stress": np.linalg.eigvalsh(0.5 * (s + s.transpose(0, 2, 1)))[:, -1],
                  self.tangential_name: tangential(s, self._p1_x, self.bundle, self.problem.axisymmetric)}
        for name, f in self.scalars.items():
            f.x.array[:] = values[name]
        if self.problem.plastic:  # nodal value: the mass-lumped L2 projection of p
            b = fem.assemble_vector(self._p_form)
            b.scatter_reverse(la.InsertMode.add)
            n = b.index_map.size_local
            self.plastic_strain.x.array[:n] = b.array[:n] / self._lumped_mass.array[:n]
            self.plastic_strain.x.scatter_forward()
