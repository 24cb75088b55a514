"""Prototype of the Allen-Cahn lithiation front (solver/front.py): the closed-form checks.

No mechanics: the pressure is a prescribed uniform field, the Li fraction behind the front 1.
Measures, each against its closed form:
  planar    (a) stress-free planar speed, (c) the rates facing <100>, <110>, <111>, against h/l0
            and the Courant number;
  pressure  (b) the slowing by exp(-B p / kT) for uniform p;
  disc      (d) front position under refinement (h, h/2) and against l0; (e) a shrinking core
            (circle, or a sphere in the axisymmetric section) against the sharp-interface ODE
            with and without the Allen-Cahn curvature speed-up;
  ranks     (f) the core radius on 1 and 2 ranks (run under mpiexec -n 2; prints it per size).

    .venv/bin/python benchmarks/front_prototype.py planar|pressure|disc|all
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/front_prototype.py ranks
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

from sifrac.solver import bootstrap  # noqa: F401  (before dolfinx)

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem, la, mesh
from dolfinx.fem.petsc import NonlinearProblem
from mpi4py import MPI

from sifrac.solver import axisymmetry, diffusion, front

#: Crystal axes (rows [100], [010], [001] in mesh axes) that put a principal direction along x.
FACING = {"100": front.axes_from_keys((0, 0, 1), (1, 0, 0)),
          "110": front.axes_from_keys((0, 0, 1), (1, 1, 0)),
          "111": front.axes_from_keys((1, -1, 0), (1, 1, 1))}


@dataclass
class Setup:
    """One Allen-Cahn front problem on a structured triangle mesh of [0, lx] x [0, ly]."""

    lx: float
    ly: float
    h: float
    l0: float
    tilt: float = 4.0
    lumped: bool = True
    axisymmetric: bool = False
    bdf2: bool = True
    compensate: bool = False  # cancel the Allen-Cahn curvature speed (front.total_curvature)


class FrontProblem:
    """phi on the mesh, the lagged speed law, and a Newton solve per time step."""

    def __init__(self, setup: Setup, law: front.FrontLaw, axes: np.ndarray, pressure: float,
                 comm: MPI.Comm = MPI.COMM_WORLD) -> None:
        nx, ny = max(1, round(setup.lx / setup.h)), max(1, round(setup.ly / setup.h))
        self.mesh = mesh.create_rectangle(comm, [[0.0, 0.0], [setup.lx, setup.ly]], [nx, ny],
                                          mesh.CellType.triangle, diagonal=mesh.DiagonalType.crossed)
        self.setup, self.law = setup, law
        V = fem.functionspace(self.mesh, ("Lagrange", 1))
        self.phi, self.phi_old, self.phi_older = fem.Function(V), fem.Function(V), fem.Function(V)
        self.distance = fem.Function(V)  # nodal logit of phi_old: the front normal's source
        W = fem.functionspace(self.mesh, ("Lagrange", 1, (self.mesh.geometry.dim,)))
        self.gradient = fem.Function(W)  # lumped projection of grad distance
        self.dt = fem.Constant(self.mesh, default_scalar_type(1.0))
        self.a = [fem.Constant(self.mesh, default_scalar_type(x)) for x in (1.0, -1.0, 0.0)]
        self.dt_old: float | None = None
        self.p = fem.Constant(self.mesh, default_scalar_type(pressure))
        dx = axisymmetry.measure("dx", self.mesh, None, setup.axisymmetric)
        dx_lumped = dx(metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}) if setup.lumped else None
        vertex = {"quadrature_rule": "vertex", "quadrature_degree": 1}
        g_form, m_form = front.gradient_projection(self.distance, ufl.TestFunction(W), ufl.dx(domain=self.mesh,
                                                                                               metadata=vertex))
        self.g_form = fem.form(g_form)
        lumped_mass = fem.assemble_vector(fem.form(m_form))
        lumped_mass.scatter_reverse(la.InsertMode.add)
        owned = W.dofmap.index_map.size_local
        self.inverse_mass = 1.0 / lumped_mass.array.reshape(-1, self.mesh.geometry.dim)[:owned, 0]
        speed = front.front_speed(law, self.p, front.front_normal(self.gradient), 1.0, axes)
        curvature = None
        if setup.compensate:
            radius = axisymmetry.radius(self.mesh) if setup.axisymmetric else None
            curvature = front.total_curvature(self.gradient, radius)
        F = front.residual(self.phi, (self.phi_old, self.phi_older), self.a, ufl.TestFunction(V), self.dt, speed,
                           setup.l0, setup.tilt, dx, dx_lumped, curvature)
        # tau / dt scales the residual with 1 / (M dt): a step tolerance as well as a residual one,
        # so that a slow (compressed) front, whose residual floor is large, still converges.
        opts = {"snes_type": "newtonls", "snes_linesearch_type": "basic", "snes_rtol": 1e-10, "snes_atol": 1e-12,
                "snes_stol": 1e-12, "snes_max_it": 30, "ksp_type": "preonly", "pc_type": "lu",
                "pc_factor_mat_solver_type": "mumps"}
        self.problem = NonlinearProblem(F, self.phi, petsc_options_prefix="front_prototype_", petsc_options=opts)
        self.lithiated = fem.form(front.interpolation(self.phi) * dx)  # the Li content / c_L
        self.pristine = fem.form((1 - front.interpolation(self.phi)) * dx)

    def initialise(self, signed_distance) -> None:
        """phi = the travelling-wave profile of the given signed distance (into the lithiated side)."""
        self.phi.interpolate(lambda x: front.front_profile(signed_distance(x), self.setup.l0))
        self._shift()

    def _shift(self) -> None:
        self.phi_older.x.array[:] = self.phi_old.x.array
        self.phi_old.x.array[:] = self.phi.x.array
        self.distance.x.array[:] = front.logit(self.phi_old.x.array, self.setup.l0)
        g = fem.assemble_vector(self.g_form)
        g.scatter_reverse(la.InsertMode.add)
        n = self.gradient.function_space.dofmap.index_map.size_local
        dim = self.mesh.geometry.dim
        self.gradient.x.array[: n * dim] = (g.array.reshape(-1, dim)[:n] * self.inverse_mass[:, None]).ravel()
        self.gradient.x.scatter_forward()

    def step(self, dt: float) -> None:
        coefficients = diffusion.bdf_coefficients(dt, self.dt_old if self.setup.bdf2 else None)
        for c, value in zip(self.a, coefficients):
            c.value = value
        self.dt.value = dt
        self.problem.solve()
        snes = self.problem.solver
        if snes.getConvergedReason() <= 0:
            raise RuntimeError(f"Allen-Cahn Newton failed: reason {snes.getConvergedReason()}")
        self.dt_old = dt
        self._shift()

    def integral(self, form) -> float:
        return self.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def planar_speed(law: front.FrontLaw, facing: str, pressure: float, h: float, l0: float, courant: float,
                 tilt: float = 4.0, lumped: bool = True, travel: float = 12.0,
                 bdf2: bool = True) -> tuple[float, float]:
    """(measured, closed-form) speed of a planar front crossing `travel` * l0 of a thin strip.

    The front starts 4 l0 from x = 0 (lithiated side) and moves +x; the position is the
    lithiated length int phi dx / ly; the speed is the slope of a straight-line fit over the
    second half of the run (the first half lets the discrete profile settle).
    """
    target = law.speed(pressure, facing)
    x0, ly = 4 * l0, 2 * h
    setup = Setup(lx=x0 + (travel + 6) * l0, ly=ly, h=h, l0=l0, tilt=tilt, lumped=lumped, bdf2=bdf2)
    prob = FrontProblem(setup, law, FACING[facing], pressure, MPI.COMM_SELF)
    prob.initialise(lambda x: x0 - x[0])
    dt = courant * h / target
    nsteps = max(20, math.ceil(travel * l0 / (target * dt)))
    t, pos = [0.0], [prob.integral(prob.lithiated) / ly]
    for k in range(nsteps):
        prob.step(dt)
        t.append((k + 1) * dt)
        pos.append(prob.integral(prob.lithiated) / ly)
    half = len(t) // 2
    slope = np.polyfit(t[half:], pos[half:], 1)[0]
    return float(slope), target


def core_radius(prob: FrontProblem) -> float:
    """Radius of the pristine core from its area (quarter disc) or volume (hemisphere, revolved)."""
    a = prob.integral(prob.pristine)
    return (3 * a / (2 * math.pi)) ** (1 / 3) if prob.setup.axisymmetric else math.sqrt(4 * a / math.pi)


def core_ode(r0: float, v: float, times: np.ndarray, speedup) -> np.ndarray:
    """Sharp-interface core radius under dr/dt = -v speedup(r) (speedup 1: the rate law alone;
    `front.curvature_speedup`: with the Allen-Cahn curvature speed), by RK4 on a fine grid."""
    out, r, t = [], r0, 0.0
    for target in times:
        while t < target - 1e-15:
            dt = min(target - t, 1e-3 * r0 / v)
            f = lambda rr: -v * speedup(max(rr, 1e-12))  # noqa: E731
            k1 = f(r)
            k2 = f(r + 0.5 * dt * k1)
            k3 = f(r + 0.5 * dt * k2)
            k4 = f(r + dt * k3)
            r += dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
            t += dt
        out.append(r)
    return np.array(out)


def shrinking_core(law: front.FrontLaw, r0: float, r_end: float, h: float, l0: float, advance: float,
                   axisymmetric: bool = False, tilt: float = 4.0, comm: MPI.Comm = MPI.COMM_SELF,
                   facing: str = "100", compensate: bool = False) -> dict:
    """A core of radius r0 in a quarter square of side r0 + 6 l0 shrinks to r_end; the time step
    is `advance` (nm) of stress-free travel facing `facing`."""
    v = law.speed(0.0, facing)
    side = r0 + 6 * l0
    setup = Setup(lx=side, ly=side, h=h, l0=l0, tilt=tilt, axisymmetric=axisymmetric, compensate=compensate)
    prob = FrontProblem(setup, law, FACING[facing], 0.0, comm)
    prob.initialise(lambda x: np.hypot(x[0], x[1]) - r0)
    dt = advance / v
    nsteps = math.ceil((r0 - r_end) / advance)
    start = time.perf_counter()
    times, radii = [0.0], [core_radius(prob)]
    for k in range(nsteps):
        prob.step(dt)
        times.append((k + 1) * dt)
        radii.append(core_radius(prob))
    d_minus_1 = 2 if axisymmetric else 1
    t = np.array(times)
    return {"t": t, "r": np.array(radii), "ode": core_ode(radii[0], v, t, lambda r: 1.0),
            "ode_ac": core_ode(radii[0], v, t, lambda r: front.curvature_speedup(l0, tilt, d_minus_1 / r)),
            "wall": time.perf_counter() - start,
            "dofs": prob.phi.function_space.dofmap.index_map.size_global, "steps": nsteps}


def report_planar() -> None:
    law = front.zhang_2016("c-Si", speed_110=1.0)
    print(f"c-Si law: kT = {law.kT:.5f} eV, B = {law.pressure_coefficient:.5f} eV/GPa, "
          f"r100 = {law.relative_rate(law.barrier_100):.5f}, r110/r100 = {1 / law.relative_rate(law.barrier_100):.3f}")
    print("(a) stress-free planar speed facing <110> against l0/h and the Courant number v dt / h (l0 = 4 nm):")
    for h, courant, lumped, bdf2 in [(2.0, 0.25, True, True), (1.0, 0.25, True, True), (0.8, 0.25, True, True),
                                     (0.5, 0.25, True, True), (1.0, 0.25, False, True), (0.5, 0.25, False, True),
                                     (0.8, 0.5, True, True), (0.8, 1.0, True, True), (0.8, 2.0, True, True),
                                     (0.8, 0.25, True, False), (0.8, 0.05, True, False)]:
        start = time.perf_counter()
        v, target = planar_speed(law, "110", 0.0, h, 4.0, courant, lumped=lumped, bdf2=bdf2)
        print(f"  l0/h = {4 / h:4.1f}, Courant {courant:4.2f}, {'lumped' if lumped else 'consistent'} mass, "
              f"{'BDF2' if bdf2 else 'backward Euler'}: v = {v:.5f} nm/s, closed form {target:.5f}, "
              f"error {100 * (v / target - 1):+6.2f}%  ({time.perf_counter() - start:.1f} s)", flush=True)
    print("(c) the three principal rates (l0/h = 5, Courant 0.5), cubic and zhang_linear laws:")
    for name in ("cubic", "zhang_linear"):
        law_o = front.zhang_2016("c-Si", speed_110=1.0, orientation_law=name)
        for facing in ("100", "110", "111"):
            v, target = planar_speed(law_o, facing, 0.0, 0.8, 4.0, 0.5)
            print(f"  {name:12s} facing <{facing}>: v = {v:.5f} nm/s, rate law {target:.5f}, "
                  f"error {100 * (v / target - 1):+6.2f}%", flush=True)


def report_pressure() -> None:
    law = front.zhang_2016("c-Si", speed_110=1.0)
    print("(b) slowing by exp(-B p / kT) for a uniform p (facing <110>, l0/h = 5, Courant 0.5):")
    v_free, _ = planar_speed(law, "110", 0.0, 0.8, 4.0, 0.5)
    for p in (-0.5, 0.5, 1.0, 2.0, 4.0):
        v, target = planar_speed(law, "110", p, 0.8, 4.0, 0.5)
        closed = math.exp(-law.pressure_coefficient * p / law.kT)
        print(f"  p = {p:+4.1f} GPa: v = {v:.6f} nm/s, v / v(0) = {v / v_free:.5f}, exp(-Bp/kT) = {closed:.5f} "
              f"(ratio error {100 * (v / v_free / closed - 1):+6.3f}%, speed error {100 * (v / target - 1):+6.2f}%)",
              flush=True)


def depth_error(res: dict, key: str, r0: float, skip: float) -> float:
    """Largest |r - r_ode| as a fraction of the lithiated depth r0 - r_ode, where that depth exceeds
    `skip` (the first few nm carry the profile's settling offset of ~0.05 nm)."""
    depth = r0 - res[key]
    mask = depth > skip
    return float(np.max(np.abs(res["r"][mask] - res[key][mask]) / depth[mask]))


def report_disc() -> None:
    law = front.zhang_2016("a-Si", speed_110=1.0)
    r0, r_end = 40.0, 10.0
    print(f"(d, e) shrinking core r0 = {r0:g} nm -> {r_end:g} nm, isotropic law, v = 1 nm/s, v dt = l0 / 10, tilt 4; "
          "r (nm) at the step nearest t = 6, 12, 18, 24, 30 s:")
    for axisym in (False, True):
        kind = "sphere (axisymmetric)" if axisym else "cylinder (plane)"
        results = {}
        for compensate, l0, h in [(True, 8.0, 1.6), (True, 4.0, 0.8), (True, 4.0, 0.4), (True, 2.0, 0.4),
                                  (False, 4.0, 0.8)]:
            advance = l0 / 10
            res = results[(compensate, l0, h)] = shrinking_core(law, r0, r_end, h, l0, advance, axisymmetric=axisym,
                                                                compensate=compensate)
            idx = [min(int(round(t / advance)), res["steps"]) for t in (6, 12, 18, 24, 30)]
            variant = "curvature compensated" if compensate else "plain Allen-Cahn     "
            print(f"  {kind}, {variant} l0 = {l0:g} h = {h:g} "
                  f"({res['dofs']} dofs, {res['steps']} steps, {res['wall']:.1f} s): t = "
                  + " ".join(f"{res['t'][i]:.1f}" for i in idx) + ": r = "
                  + " ".join(f"{res['r'][i]:.3f}" for i in idx)
                  + "; sharp ODE " + " ".join(f"{res['ode'][i]:.3f}" for i in idx)
                  + "; ODE + AC curvature " + " ".join(f"{res['ode_ac'][i]:.3f}" for i in idx)
                  + "; largest depth error (depth > 2 l0) vs sharp ODE "
                  f"{100 * depth_error(res, 'ode', r0, 2 * l0):.2f}%,"
                  f" vs ODE + AC curvature {100 * depth_error(res, 'ode_ac', r0, 2 * l0):.2f}%", flush=True)
        for label, a, b in (("h 0.8 -> 0.4 (l0 = 4)", (True, 4.0, 0.8), (True, 4.0, 0.4)),
                            ("l0 8 -> 4 (l0/h = 5)", (True, 8.0, 1.6), (True, 4.0, 0.8)),
                            ("l0 4 -> 2 (l0/h = 5)", (True, 4.0, 0.8), (True, 2.0, 0.4))):
            ref, other = results[b], results[a]
            depth_ref = r0 - ref["r"]
            depth = r0 - np.interp(ref["t"], other["t"], other["r"])
            mask = depth_ref > 8.0
            rel = np.max(np.abs(depth[mask] - depth_ref[mask]) / depth_ref[mask])
            print(f"    {label}: largest relative difference of the lithiated depth (depth > 8 nm) {100 * rel:.3f}%")


def hopf_lax_extent(law: front.FrontLaw, r0: float, t: float, angle: float) -> float:
    """Sharp-interface core extent along the direction `angle` (radians from [100], in a (001)
    section) of a disc shrinking at normal speed v(theta): the intersection of the half-planes
    x . n(theta) <= r0 - v(theta) t (Hopf-Lax; curvature-free, convex core)."""
    theta = np.linspace(-math.pi, math.pi, 400001)
    v = np.array([law.speed(0.0, (math.cos(a), math.sin(a), 0.0)) for a in theta[::1000]])
    v = np.interp(theta, theta[::1000], v)
    c = np.cos(theta - angle)
    ok = c > 1e-9
    return float(np.min((r0 - v[ok] * t) / c[ok]))


def report_anisotropic_disc() -> None:
    law = front.zhang_2016("c-Si", speed_110=1.0)
    r0, l0, h, advance = 40.0, 4.0, 0.8, 0.4
    print(f"(c) <100> section (x = [100]), core r0 = {r0:g} nm, cubic law, l0 = {l0:g}, h = {h:g}: core extent "
          "along [100] and [110] against the sharp Hopf-Lax solution")
    for compensate in (True, False):
        side = r0 + 6 * l0
        prob = FrontProblem(Setup(lx=side, ly=side, h=h, l0=l0, compensate=compensate), law, FACING["100"], 0.0,
                            MPI.COMM_SELF)
        prob.initialise(lambda x: np.hypot(x[0], x[1]) - r0)
        X = prob.phi.function_space.tabulate_dof_coordinates()
        lines = {}
        for name, mask, scale in (("100", np.abs(X[:, 1]) < 1e-9, 1.0), ("110", np.abs(X[:, 1] - X[:, 0]) < 1e-9,
                                                                          math.sqrt(2))):
            idx = np.where(mask)[0]
            idx = idx[np.argsort(X[idx, 0])]
            lines[name] = (idx, scale * X[idx, 0])
        for k in range(76):
            if k % 15 == 0:
                t = k * advance
                out = []
                for name, angle in (("100", 0.0), ("110", math.pi / 4)):
                    idx, s = lines[name]
                    f = prob.phi.x.array[idx]
                    j = int(np.argmax(f > 0.5))
                    extent = s[j - 1] + (0.5 - f[j - 1]) * (s[j] - s[j - 1]) / (f[j] - f[j - 1])
                    out.append(f"[{name}] {extent:7.3f} (sharp {hopf_lax_extent(law, r0, t, angle):7.3f})")
                variant = "compensated" if compensate else "plain AC   "
                print(f"  {variant} t = {t:5.1f} s: " + "  ".join(out), flush=True)
            prob.step(advance / law.speed_110)


def report_ranks() -> None:
    law = front.zhang_2016("a-Si", speed_110=1.0)
    comm = MPI.COMM_WORLD
    res = shrinking_core(law, 60.0, 40.0, 0.8, 4.0, 0.4, comm=comm, compensate=True)
    if comm.rank == 0:
        print(f"(f) {comm.size} rank(s): final core radius {res['r'][-1]:.15e} nm after {res['steps']} steps")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["planar", "pressure", "disc", "anisotropic", "ranks", "all"])
    args = ap.parse_args()
    if args.what in ("planar", "all"):
        report_planar()
    if args.what in ("pressure", "all"):
        report_pressure()
    if args.what in ("disc", "all"):
        report_disc()
    if args.what in ("anisotropic", "all"):
        report_anisotropic_disc()
    if args.what == "ranks":
        report_ranks()


if __name__ == "__main__":
    main()
