"""Finite-element check of the weight-function energy-release rate (solver/energy_release.py).

Plane strain, linear elasticity, P2 displacements, DOLFINx + Gmsh; units nm, GPa (G in GPa nm =
J/m^2). Each body is cut along the crack line and modelled by its half: the crack faces are the
free part of the cut, the ligament carries the symmetry condition (exactly a meshed slit under
mode I). Cases:

- ``strip_tension``, ``strip_bending``: edge-cracked strip of width W, half-height 2 W, loaded
  on its end by sigma0 or sigma_b (1 - 2 x / W): the handbook's load cases.
- ``disc_core``: disc of diameter D with a misfitting core, eigenstrain beta phi(r) I (3D, so
  also eps*_zz), phi = (1 - tanh((r - D/4) / (D/40))) / 2: the shell is in hoop tension.
- ``disc_bimaterial``: the misfitting core with a stiff core (E = 169 GPa inside r = 0.6 R, 41 GPa
  outside, joined over 0.1 R): how far the homogeneous weight function with E at the crack tip
  carries into a particle whose pristine core is four times stiffer than its lithiated shell
  (the J-integral gets the term - int W / E (grad E . e) q dA).
- ``disc_band``: the same disc with an expanding band below the surface, phi = exp(-((r - 0.75 R)
  / 0.08 R)^2): a tensile surface layer over a compressive band, like the swelling shell pushed
  out by a lithiation front.

G on the finite-element model, per crack tip, two ways:
- domain J-integral (Shih, Moran & Nakamura, Int. J. Fract. 30 (1986) 79, with the eigenstrain
  term): J = int_A (sigma_ij u_i,1 - W delta_1j) q,j dA + int_A sigma_ij eps*_ij,1 q dA, with
  W = (eps - eps*) : C : (eps - eps*) / 2 over all three plane-strain components and q a cone
  (1 inside r1, 0 beyond r2 about the tip); two domains show path independence;
- energy difference: G = -dPi/da by a central difference over +-delta on one mesh (the tip nodes
  at a - delta, a, a + delta are released in turn), Pi = int W dA - int t . u ds.
Both are doubled for the whole body (two halves). The weight-function G uses the applied stress
(strips) or the finite-element model's own uncracked sigma_xx on the crack line (discs, sampled
with solver/profile.py), with the strip function of width D (the disc approximation) and the
half-plane function.

    .venv/bin/python benchmarks/energy_release_check.py [--quick] [--out DIR]

Writes energy_release_check.json and .md in DIR (default benchmarks/results/energy_release).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sifrac.solver import bootstrap  # noqa: E402,F401  (must precede dolfinx imports)

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

import gmsh  # noqa: E402
import numpy as np  # noqa: E402
import ufl  # noqa: E402
from dolfinx import fem, mesh as dmesh  # noqa: E402
from dolfinx.fem.petsc import LinearProblem  # noqa: E402
from mpi4py import MPI  # noqa: E402

from sifrac.meshes.common import mesh_on_root  # noqa: E402
from sifrac.solver.energy_release import energy_release_rate  # noqa: E402
from sifrac.solver.profile import RadialLine  # noqa: E402

E, NU = 41.0, 0.24  # Li3.75Si (solver/materials.py)
E_CORE = 169.0  # c-Si, the stiff core of disc_bimaterial
SIGMA0 = 1.0  # GPa, strip end load
BETA = 0.01  # eigenstrain amplitude of the discs
WIDTH = 100.0  # W of the strip, D of the disc (nm)
DISC_ALPHAS = (0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


@dataclass
class Row:
    kind: str
    a_over_w: float
    a: float
    cells: int
    g_j_inner: float
    g_j_outer: float
    g_energy: float
    g_wf_strip: float
    g_wf_disc: float
    g_wf_half_plane: float
    seconds: float

    def error(self, g: float) -> float:
        """Relative difference of a weight-function G against the outer J."""
        return g / self.g_j_outer - 1.0


def _size_field(tips: list[int], h_tip: float, h_far: float, r_fine: float) -> None:
    """h_tip within r_fine of the tip vertices `tips`, graded to h_far."""
    fields = gmsh.model.mesh.field
    dist = fields.add("Distance")
    fields.setNumbers(dist, "PointsList", tips)
    thr = fields.add("Threshold")
    fields.setNumber(thr, "InField", dist)
    fields.setNumber(thr, "SizeMin", h_tip)
    fields.setNumber(thr, "SizeMax", h_far)
    fields.setNumber(thr, "DistMin", r_fine)
    fields.setNumber(thr, "DistMax", r_fine + 12.0 * (h_far - h_tip))
    fields.setAsBackgroundMesh(thr)
    for name in ("Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature", "Mesh.MeshSizeExtendFromBoundary"):
        gmsh.option.setNumber(name, 0)
    gmsh.option.setNumber("Mesh.MeshSizeMax", h_far)


def build_mesh(comm: MPI.Comm, kind: str, tips: list[float], h_tip: float, h_far: float, r_fine: float):
    """Half model with vertices at the crack-tip positions `tips` (crack depths from the surface)
    on the cut: strip [0, W] x [0, 2W] cut along y = 0; disc of diameter W cut along x = 0."""
    w = WIDTH

    def make() -> None:
        geo = gmsh.model.geo
        depths = sorted(tips)
        if kind.startswith("strip"):
            cut = [geo.addPoint(0.0, 0.0, 0.0)] + [geo.addPoint(a, 0.0, 0.0) for a in depths] + [geo.addPoint(w, 0.0, 0.0)]
            top_r, top_l = geo.addPoint(w, 2 * w, 0.0), geo.addPoint(0.0, 2 * w, 0.0)
            loop = [geo.addLine(p, q) for p, q in zip(cut[:-1], cut[1:])]
            loop += [geo.addLine(cut[-1], top_r), geo.addLine(top_r, top_l), geo.addLine(top_l, cut[0])]
        else:
            r = 0.5 * w
            centre = geo.addPoint(0.0, 0.0, 0.0)
            cut = [geo.addPoint(0.0, r, 0.0)] + [geo.addPoint(0.0, r - a, 0.0) for a in depths] + [geo.addPoint(0.0, -r, 0.0)]
            right = geo.addPoint(r, 0.0, 0.0)
            loop = [geo.addCircleArc(cut[-1], centre, right), geo.addCircleArc(right, centre, cut[0])]
            loop += [geo.addLine(p, q) for p, q in zip(cut[:-1], cut[1:])]
        surface = geo.addPlaneSurface([geo.addCurveLoop(loop)])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(2, [surface], 1, "body")
        _size_field(cut[1:-1], h_tip, h_far, r_fine)
        gmsh.model.mesh.generate(2)

    return mesh_on_root(comm, 2, make).mesh


def modulus(kind: str, r, tanh=np.tanh):
    """Young's modulus: E, or for disc_bimaterial a stiff core (E_CORE) inside r = 0.6 R under
    the soft shell (E), joined over 0.1 R (UFL with tanh=ufl.tanh, numpy otherwise)."""
    if kind != "disc_bimaterial":
        return E
    rad = 0.5 * WIDTH
    return E + (E_CORE - E) * 0.5 * (1 - tanh((r - 0.6 * rad) / (0.1 * rad)))


def disc_eigenstrain(kind: str, r):
    """phi(r) of the eigenstrain beta phi I of the disc cases (UFL)."""
    rad = 0.5 * WIDTH
    if kind in ("disc_core", "disc_bimaterial"):
        return 0.5 * (1 - ufl.tanh((r - 0.5 * rad) / (0.1 * rad)))
    return ufl.exp(-(((r - 0.6 * rad) / (0.1 * rad)) ** 2))


class HalfModel:
    """The elasticity problem of one half model, solved for any crack depth on its mesh.

    kind: strip_tension / strip_bending (end traction), disc_core / disc_band (eigenstrain),
    disc_pressure_K (crack-face pressure (1 - x/a)^K on the faces of the crack of depth a, the
    references of the disc weight function).
    """

    def __init__(self, domain, kind: str) -> None:
        self.mesh, self.kind = domain, kind
        self.strip = kind.startswith("strip")
        self.V = fem.functionspace(domain, ("Lagrange", 2, (2,)))
        self.u = fem.Function(self.V)
        x = ufl.SpatialCoordinate(domain)
        radius = ufl.sqrt(ufl.dot(x, x))
        young = modulus(kind, radius, ufl.tanh)
        mu, lam = young / (2 * (1 + NU)), young * NU / ((1 + NU) * (1 - 2 * NU))
        if kind in ("disc_core", "disc_band", "disc_bimaterial"):
            phi = disc_eigenstrain(kind, radius)
            self.eps_star, self.grad_phi = BETA * phi * ufl.Identity(3), BETA * ufl.grad(phi)
        else:
            self.eps_star, self.grad_phi = fem.Constant(domain, np.zeros((3, 3))), fem.Constant(domain, np.zeros(2))

        def strain3(v):
            e2 = ufl.sym(ufl.grad(v))
            return ufl.as_matrix([[e2[0, 0], e2[0, 1], 0], [e2[1, 0], e2[1, 1], 0], [0, 0, 0]])

        def plane(t3):
            return ufl.as_matrix([[t3[0, 0], t3[0, 1]], [t3[1, 0], t3[1, 1]]])

        def hooke(e3):
            return lam * ufl.tr(e3) * ufl.Identity(3) + 2 * mu * e3

        elastic_strain = strain3(self.u) - self.eps_star
        self.stress3 = hooke(elastic_strain)
        self.energy_density = 0.5 * ufl.inner(self.stress3, elastic_strain)
        trial, test = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        self.a_form = ufl.inner(plane(hooke(strain3(trial))), ufl.sym(ufl.grad(test))) * ufl.dx
        rhs = ufl.inner(plane(hooke(self.eps_star)), ufl.sym(ufl.grad(test))) * ufl.dx
        # loaded boundaries: the strip's end (traction t), the disc's crack faces (pressure)
        fdim = domain.topology.dim - 1
        where = (lambda p: np.isclose(p[1], 2 * WIDTH)) if self.strip else (lambda p: np.isclose(p[0], 0.0))
        facets = dmesh.locate_entities_boundary(domain, fdim, where)
        ds = ufl.Measure("ds", domain=domain, subdomain_data=dmesh.meshtags(
            domain, fdim, facets, np.full(len(facets), 1, dtype=np.int32)))(1)
        self.a_crack = fem.Constant(domain, 1.0)  # the loaded crack's depth (pressure cases)
        traction = fem.Constant(domain, np.zeros(2))
        if self.strip:
            t_y = SIGMA0 * (1 - 2 * x[0] / WIDTH) if kind == "strip_bending" else SIGMA0
            traction = ufl.as_vector([0, t_y])
        elif kind.startswith("disc_pressure"):
            depth = 0.5 * WIDTH - x[1]
            power = int(kind.rsplit("_", 1)[1])
            p = ufl.conditional(ufl.lt(depth, self.a_crack), (1 - depth / self.a_crack) ** power, 0.0)
            traction = ufl.as_vector([p, 0])  # on the face x = 0 of the half x >= 0: opens it
        self.L_form = rhs + ufl.dot(traction, test) * ds
        self.tip = fem.Constant(domain, np.zeros(2))
        self.r1, self.r2 = fem.Constant(domain, 1.0), fem.Constant(domain, 2.0)
        # propagation direction e: +x for the strip, -y (inward from the top) for the disc
        self.e = ufl.as_vector([1.0, 0.0]) if self.strip else ufl.as_vector([0.0, -1.0])
        dist = ufl.sqrt(ufl.dot(x - self.tip, x - self.tip))
        q = ufl.conditional(ufl.lt(dist, self.r1), 1.0,
                            ufl.conditional(ufl.gt(dist, self.r2), 0.0, (self.r2 - dist) / (self.r2 - self.r1)))
        grad_u_e = ufl.dot(ufl.grad(self.u), self.e)
        j_density = (ufl.dot(ufl.dot(plane(self.stress3), ufl.grad(q)), grad_u_e)
                     - self.energy_density * ufl.dot(self.e, ufl.grad(q))
                     + ufl.tr(self.stress3) * ufl.dot(self.grad_phi, self.e) * q)
        if kind == "disc_bimaterial":  # W's explicit dependence on x through E(x): W ~ E
            j_density -= self.energy_density / young * ufl.dot(ufl.grad(young), self.e) * q
        dx = ufl.dx(metadata={"quadrature_degree": 6})
        face_term = 0 if self.strip else ufl.dot(traction, grad_u_e) * q * ds  # loaded crack faces
        self.j_form = fem.form(j_density * dx - face_term)
        self.potential_form = fem.form(self.energy_density * dx - ufl.dot(traction, self.u) * ds)
        tensor_space = fem.functionspace(domain, ("DG", 1, (3, 3)))
        self.stress_field = fem.Function(tensor_space)
        self._stress_expr = fem.Expression(self.stress3, tensor_space.element.interpolation_points)

    def solve(self, a: float) -> None:
        """Equilibrium with a crack of depth a (0: uncracked)."""
        tol = 1e-8 * WIDTH
        self.a_crack.value = max(a, tol)
        if self.strip:  # ligament: u_y = 0 on y = 0, x >= a; rigid shift: u_x = 0 at (W, 0)
            cut, cut_marker = self.V.sub(1), lambda p: np.isclose(p[1], 0.0, atol=tol) & (p[0] >= a - tol)
            pin, pin_marker = self.V.sub(0), lambda p: np.isclose(p[0], WIDTH, atol=tol) & np.isclose(p[1], 0.0, atol=tol)
        else:  # ligament: u_x = 0 on x = 0 below the tip; rigid shift: u_y = 0 at the bottom
            cut, cut_marker = self.V.sub(0), lambda p: np.isclose(p[0], 0.0, atol=tol) & (p[1] <= 0.5 * WIDTH - a + tol)
            pin, pin_marker = self.V.sub(1), lambda p: np.isclose(p[0], 0.0, atol=tol) & np.isclose(p[1], -0.5 * WIDTH, atol=tol)
        bcs = []
        for space, marker in ((cut, cut_marker), (pin, pin_marker)):
            collapsed, _ = space.collapse()
            dofs = fem.locate_dofs_geometrical((space, collapsed), marker)
            bcs.append(fem.dirichletbc(fem.Function(collapsed), dofs, space))
        problem = LinearProblem(self.a_form, self.L_form, bcs=bcs, u=self.u, petsc_options_prefix="gcheck_",
                                petsc_options={"ksp_type": "preonly", "pc_type": "lu",
                                               "pc_factor_mat_solver_type": "mumps"})
        problem.solve()
        self.stress_field.interpolate(self._stress_expr)

    def _sum(self, form) -> float:
        return self.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def potential(self) -> float:
        return self._sum(self.potential_form)

    def j_integral(self, a: float, r1: float, r2: float) -> float:
        """J of the half model's tip at depth a, domain r1..r2 about it."""
        self.tip.value[:] = (a, 0.0) if self.strip else (0.0, 0.5 * WIDTH - a)
        self.r1.value, self.r2.value = r1, r2
        return self._sum(self.j_form)


def check(kind: str, alpha: float, refine: float = 1.0, comm: MPI.Comm = MPI.COMM_WORLD) -> Row:
    """One crack depth a = alpha W: J (two domains), energy difference (not for crack-face
    pressure, whose load moves with the crack) and the weight functions."""
    t0 = time.perf_counter()
    a = alpha * WIDTH
    ligament = WIDTH - a if kind.startswith("strip") else min(WIDTH - a, a)
    reach = min(a, ligament)  # the J domain stays off the outer boundary
    delta = 0.02 * a
    h_tip = reach / (60.0 * refine)
    domain = build_mesh(comm, kind, [a - delta, a, a + delta], h_tip, WIDTH / (30.0 * refine), 0.5 * reach)
    model = HalfModel(domain, kind)
    if kind.startswith("strip"):
        depth = np.array([0.0, a])
        profile = (depth, SIGMA0 * (1 - 2 * depth / WIDTH) if kind == "strip_bending" else np.full(2, SIGMA0))
    elif kind.startswith("disc_pressure"):
        power = int(kind.rsplit("_", 1)[1])
        profile = lambda x: (1 - x / a) ** power  # noqa: E731 (Bueckner: the face load is the uncracked stress)
    else:
        model.solve(0.0)
        line = RadialLine(domain, (0.0, 0.0), (0.0, 1.0), 0.5 * WIDTH, np.linspace(0.0, a, 801), normal=(1.0, 0.0))
        profile = line.profile(model.stress_field)
    e_tip = modulus(kind, 0.5 * WIDTH - a)  # the weight functions take E at the crack tip
    g_wf = [float(energy_release_rate(a, profile, e_tip, NU, geometry, WIDTH))
            for geometry in ("strip", "disc", "half_plane")]
    g_energy = float("nan")
    if not kind.startswith("disc_pressure"):
        energies = []
        for depth in (a - delta, a + delta):
            model.solve(depth)
            energies.append(model.potential())
        g_energy = -2.0 * (energies[1] - energies[0]) / (2.0 * delta)
    model.solve(a)
    g_j = [2.0 * model.j_integral(a, f1 * reach, f2 * reach) for f1, f2 in ((0.1, 0.25), (0.3, 0.6))]
    cells = domain.topology.index_map(2).size_global
    return Row(kind, alpha, a, cells, *g_j, g_energy, *g_wf, time.perf_counter() - t0)


def disc_reference(alpha: float, power: int, refine: float = 1.0, comm: MPI.Comm = MPI.COMM_WORLD) -> tuple[float, float]:
    """F = K / sqrt(pi a) of the disc's radial edge crack under the crack-face pressure
    (1 - x/a)^power, from the outer J (and the inner one, for the path-independence check)."""
    a = alpha * WIDTH
    reach = min(a, WIDTH - a)
    domain = build_mesh(comm, "disc", [a], reach / (60.0 * refine), WIDTH / (30.0 * refine), 0.5 * reach)
    model = HalfModel(domain, f"disc_pressure_{power}")
    model.solve(a)
    e_plane = E / (1 - NU**2)
    f = [np.sqrt(2.0 * model.j_integral(a, f1 * reach, f2 * reach) * e_plane / (np.pi * a))
         for f1, f2 in ((0.1, 0.25), (0.3, 0.6))]
    return f[1], f[0]


def table(rows: list[Row]) -> str:
    lines = ["| case | a/W | cells | G J inner | G J outer | G energy diff | G WF disc (err) | G WF strip (err) "
             "| G WF half-plane (err) | s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        wf = " | ".join(f"{g:.5g} ({100 * r.error(g):+.2f}%)" for g in (r.g_wf_disc, r.g_wf_strip, r.g_wf_half_plane))
        lines.append(f"| {r.kind} | {r.a_over_w:.3f} | {r.cells} | {r.g_j_inner:.5g} | {r.g_j_outer:.5g} | "
                     f"{r.g_energy:.5g} | {wf} | {r.seconds:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one crack depth per case")
    parser.add_argument("--references", action="store_true",
                        help="the disc weight function's reference solutions instead (crack-face pressure "
                             "1 and 1 - x/a on a grid of a/D, and the m1, m2 they give)")
    parser.add_argument("--refine", type=float, default=1.0, help="divide every mesh size by this")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "energy_release")
    args = parser.parse_args()
    root = MPI.COMM_WORLD.rank == 0
    if args.references:
        refs = []
        for alpha in DISC_ALPHAS:
            (f0, f0_inner), (f1, f1_inner) = disc_reference(alpha, 0, args.refine), disc_reference(alpha, 1, args.refine)
            refs.append({"alpha": alpha, "F0": f0, "F1": f1, "F0_inner": f0_inner, "F1_inner": f1_inner})
            if root:
                print(refs[-1], flush=True)
        if root:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"disc_references_refine{args.refine:g}.json").write_text(json.dumps(refs, indent=1))
        return
    alphas = {"strip_tension": (0.1, 0.3, 0.5, 0.6), "strip_bending": (0.1, 0.3, 0.5, 0.6),
              "disc_core": (0.05, 0.1, 0.2, 0.3, 0.4), "disc_band": (0.02, 0.05, 0.1, 0.15),
              "disc_bimaterial": (0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
              "disc_pressure_2": (0.05, 0.2, 0.4, 0.6)}
    rows = []
    for kind in alphas:
        for alpha in alphas[kind][1:2] if args.quick else alphas[kind]:
            rows.append(check(kind, alpha, args.refine))
            if root:
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    if root:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "energy_release_check.json").write_text(json.dumps(
            {"E": E, "nu": NU, "width": WIDTH, "beta": BETA, "sigma0": SIGMA0, "refine": args.refine,
             "rows": [asdict(r) for r in rows]}, indent=1))
        (args.out / "energy_release_check.md").write_text(table(rows) + "\n")
        print(table(rows))


if __name__ == "__main__":
    main()
