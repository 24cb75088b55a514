"""Critical sizes of c-Si and a-Si spheres and pillars from the 1D reaction-front model (issue 32).

The spherically symmetric particle, or the plane-strain cylinder (a pillar's section), of
`solver/radial.py` with a reaction-limited sharp front (`front = "reaction"`), J2 perfectly
plastic LixSi in finite strain and one LixSi law for both materials (`solver/lixsi.py`): c-Si
lithiates to Li3.75Si behind the front; a-Si to Li2.5Si (step 1), then by front-free diffusion to
Li3.75Si (step 2). At every recorded step the energy-release rate of a surface crack on the
uncracked hoop profile (`solver/radial_fracture.py`), its maximum over crack depth and over the
lithiation, and the critical size D_c = 2 R Gc / G_max (R_c = R Gc / G_max for pillars), valid
because G_max is proportional to R (checked by `sizes`). Tables: docs/notes/radial-critical-size.md.

    .venv/bin/python benchmarks/radial_critical_size.py table|figure|axial|decompose|sizes|convergence|stall|tables|all
        [--out benchmarks/results/radial_critical_size] [--radius 100] [--cell 0.5]
"""

from __future__ import annotations

from sifrac.solver import bootstrap  # noqa: F401

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from mpi4py import MPI

from sifrac.solver import front, lixsi, materials
from sifrac.solver import radial_fracture as rfr
from sifrac.solver.radial import RadialParticle, RadialSettings

YIELDS = tuple(float(y) for y in np.linspace(*lixsi.YIELD_STRESS.published, 4))  # 0.5, 1.0, 1.5, 2.0 GPa
LAWS = tuple(lixsi.MODULUS_LAWS)
GC = (lixsi.FRACTURE_ENERGY.published[0], lixsi.FRACTURE_ENERGY.value, lixsi.FRACTURE_ENERGY.published[1])
SOC_EVERY = 0.01  # G is evaluated at SOC steps of this size in step 1 (every step in step 2)
STALL = (0.1, 1e-2, 1e-3)  # speed factors whose first SOC the stall table reports
STAGE2_SOC_END = 0.995


@dataclass(frozen=True)
class Variant:
    """One lithiation: the material (pristine core and front law), its front composition, shape,
    LixSi modulus law, yield stress, step 2 on or off, and the mesh."""

    material: str = "c-Si"
    shape: str = "sphere"
    law: str = "linear"
    yield_stress: float = lixsi.YIELD_STRESS.value
    composition: float | None = None  # x behind the front; None: lixsi.FRONT_COMPOSITION
    expansion: float = 2.8  # theta: volume ratio 1 + theta x (2.8 at x = 1 is the one sourced value)
    core: str | None = None  # the pristine core's material; None: `material`
    stage2: bool | None = None  # None: on for a-Si
    radius: float = 100.0
    cell: float = 0.5
    width_cells: float = 4.0
    front_step: float = 0.5
    axial: str = "plane_strain"  # cylinder: or "free" (generalised plane strain)

    @property
    def c_front(self) -> float:
        return lixsi.FRONT_COMPOSITION[self.material] if self.composition is None else self.composition

    @property
    def second_step(self) -> bool:
        return self.material == "a-Si" if self.stage2 is None else self.stage2

    def settings(self) -> RadialSettings:
        core = materials.get(self.core or self.material).values()
        m = core | {"expansion": self.expansion, "yield_stress": self.yield_stress, "diffusivity_law": "linear",
                    "diffusivity": 100.0, "diffusivity_lithiated": 1500.0}
        return RadialSettings(m, self.radius, kinematics="finite", shape=self.shape, front="reaction",
                              front_concentration=self.c_front, surface_concentration=1.0,
                              soc_end=STAGE2_SOC_END if self.second_step else self.c_front, cell_size=self.cell,
                              front_width=self.width_cells * self.cell, front_step=self.front_step,
                              front_law=front.zhang_2016(self.material, 1.0), modulus_law=self.law,
                              yield_law="constant", axial=self.axial,
                              # step 2 in units of R^2 / D: the same steps at every size
                              dt_initial=1e-3 * (self.radius / 100.0) ** 2, dt_max=10.0 * (self.radius / 100.0) ** 2)

    def label(self) -> str:
        extra = "" if self.composition is None else f" x={self.composition:.3g}"
        extra += "" if self.expansion == 2.8 else f" theta={self.expansion:.3g}"
        extra += "" if self.core is None else f" core={self.core}"
        extra += "" if self.stage2 is None else f" stage2={self.stage2}"
        extra += "" if self.axial == "plane_strain" else f" axial={self.axial}"
        return (f"{self.material} {self.shape} {self.law} sY={self.yield_stress:g}{extra} R={self.radius:g} "
                f"h={self.cell:g}")


def lithiate(v: Variant, marks: tuple[float, ...] = ()) -> dict:
    """Runs one variant; returns its history, G per evaluation and the hoop profiles (against
    r / r_surface) at the SOC marks."""
    geoms = rfr.GEOMETRIES[v.shape]
    rows, profiles, last = [], {}, [-1.0]

    def on_step(p: RadialParticle) -> None:
        soc, stage = p.soc(), p._stage
        for mark in marks:
            if soc >= mark - 1e-9 and mark not in profiles:
                pr = p.profile()
                profiles[mark] = {"x": pr["r"] / p.surface_radius(), "sigma_theta": pr["sigma_theta"], "soc": soc}
        if stage == 1 and soc - last[0] < SOC_EVERY and soc < v.c_front - 1e-6:
            return
        last[0] = soc
        line = rfr.crack_line(p)
        row = {"soc": soc, "stage": stage, "surface_hoop": float(line.sigma[0])}
        for g in geoms:
            for reading in rfr.MODULUS_READINGS if stage == 2 else ("tip",):
                r = rfr.peak_release(line, g, reading)
                row[f"G_{g}_{reading}"], row[f"a_{g}_{reading}"] = r.G, r.a_over_r
                row[f"tip_phase_{g}_{reading}"] = r.tip_phase
        rows.append(row)

    t0 = time.perf_counter()
    p = RadialParticle(v.settings(), MPI.COMM_SELF)
    hist = p.run(on_step).as_arrays()
    wall = time.perf_counter() - t0
    return {"variant": v, "history": hist, "G": rows, "profiles": profiles, "wall_s": wall}


def summarise(res: dict) -> dict:
    """G_max / R over the lithiation per geometry (and reading in step 2), where it occurs, the
    critical sizes for the Gc values, and the front's stall."""
    v, rows, hist = res["variant"], res["G"], res["history"]
    out = {"label": v.label(), "wall_s": round(res["wall_s"], 1), "steps": int(len(hist["soc"])),
           "soc_end": float(hist["soc"][-1]), "surface_hoop_end_stage1": float(_at_stage_end(hist, "hoop"))}
    for g in rfr.GEOMETRIES[v.shape]:
        key = f"G_{g}_tip"
        vals = np.array([r[key] for r in rows])
        i = int(np.argmax(vals))
        g_max = float(vals[i])
        out[g] = {"G_max_per_R": g_max / v.radius, "soc_at_max": rows[i]["soc"], "stage_at_max": rows[i]["stage"],
                  "a_over_r": rows[i][f"a_{g}_tip"], "tip_phase": rows[i][f"tip_phase_{g}_tip"],
                  "G_at_soc_0.5_per_R": _g_at(rows, key, 0.5) / v.radius,
                  "G_max_to_soc_0.9_per_R": max(r[key] for r in rows if r["soc"] <= 0.9 + 1e-9) / v.radius,
                  "G_max_stage1_per_R": max(r[key] for r in rows if r["stage"] == 1) / v.radius,
                  "critical_size": {f"{gc:g}": rfr.critical_size(v.radius, g_max, gc, v.shape == "sphere")
                                    for gc in GC}}
        stage2 = [r for r in rows if r["stage"] == 2]
        if stage2:
            out[g]["G_max_stage2_per_R"] = {rd: max(r[f"G_{g}_{rd}"] for r in stage2) / v.radius
                                            for rd in rfr.MODULUS_READINGS}
    law = front.zhang_2016(v.material, 1.0)
    out["stall"] = stall(hist, v.radius, law.pressure_coefficient / law.kT)
    return out


def _at_stage_end(hist: dict, key: str) -> float:
    stage1 = np.flatnonzero(hist["stage"] == 1)
    return hist[key][stage1[-1]]


def _g_at(rows: list[dict], key: str, soc: float) -> float:
    s = np.array([r["soc"] for r in rows])
    return float(np.interp(soc, s, [r[key] for r in rows]))


def stall(hist: dict, radius: float, b_over_kt: float) -> dict:
    """First SOC at which the front's speed factor exp(-B p / kT) falls below each STALL value,
    read with the front pressure (the run's time axis) and with the core pressure; the front
    time to SOC 0.5 and 0.9 in units of R / v_110 (1 stress-free); both pressures at SOC 0.5."""
    stage1 = hist["stage"] == 1
    soc, t = hist["soc"][stage1], hist["time"][stage1]
    out = {}
    for name in ("front", "core"):
        p = hist[f"{name}_pressure"][stage1]
        ok = np.isfinite(p)
        factor = np.exp(-np.clip(p[ok] * b_over_kt, -40, 40))
        out[f"soc_below_{name}"] = {f"{s:g}": _first(soc[ok], factor < s) for s in STALL}
        out[f"p_{name}_at_soc_0.5"] = float(np.interp(0.5, soc[ok], p[ok]))
    out["time_over_R_to_soc"] = {f"{s:g}": float(np.interp(s, soc, t)) / radius for s in (0.5, 0.9) if s <= soc[-1]}
    return out


def _first(soc: np.ndarray, mask: np.ndarray) -> float | None:
    idx = np.flatnonzero(mask & (soc > 0.01))
    return float(soc[idx[0]]) if idx.size else None


def run(v: Variant, marks: tuple[float, ...] = ()) -> tuple[dict, dict]:
    res = lithiate(v, marks)
    s = summarise(res)
    print(f"{s['label']}: {s['wall_s']} s, " + ", ".join(
        f"{g} G_max/R {s[g]['G_max_per_R']:.4g} at SOC {s[g]['soc_at_max']:.3f} (a/r {s[g]['a_over_r']:.3f})"
        for g in rfr.GEOMETRIES[v.shape]), flush=True)
    return res, s


# --- studies -------------------------------------------------------------------------------------
def table(args) -> dict:
    """D_c (spheres) and R_c (pillars) for both materials, both modulus laws and the yield stresses."""
    out = {}
    for material in ("c-Si", "a-Si"):
        for shape in ("sphere", "cylinder"):
            for law in LAWS:
                for sy in YIELDS:
                    v = Variant(material, shape, law, sy, radius=args.radius, cell=args.cell)
                    out[v.label()] = run(v)[1]
    return out


def decompose(args) -> dict:
    """From c-Si to a-Si one change at a time (sigma_Y = 1 GPa, both laws, both shapes): the
    pristine core; the first step's expansion alone (Li3.75Si's modulus with the volume of
    Li2.5Si, theta x = 1.87); its composition (Li2.5Si's modulus too); step 2."""
    out = {}
    for shape in ("sphere", "cylinder"):
        for law in LAWS:
            for v in decompose_chain(shape, law):
                v = replace(v, radius=args.radius, cell=args.cell)
                out[v.label()] = run(v)[1]
    return out


def decompose_chain(shape: str, law: str) -> list[Variant]:
    return [Variant("c-Si", shape, law),
            Variant("c-Si", shape, law, core="a-Si"),
            Variant("c-Si", shape, law, core="a-Si", expansion=2.8 * lixsi.FRONT_COMPOSITION["a-Si"]),
            Variant("a-Si", shape, law, stage2=False),
            Variant("a-Si", shape, law)]


def sizes(args) -> dict:
    """G_max / R and the hoop profile against r / r_surface at two radii (cell / R fixed)."""
    out = {}
    marks = (0.3, 0.6, 0.9)
    for material, shape in (("c-Si", "sphere"), ("c-Si", "cylinder"), ("a-Si", "sphere")):
        runs = {}
        for k in (1, 3):
            v = Variant(material, shape, "hertzberg", radius=args.radius * k, cell=args.cell * k)
            runs[k] = run(v, marks)
        (r1, s1), (r3, s3) = runs[1], runs[3]
        diff = {}
        for mark in marks:
            if mark in r1["profiles"] and mark in r3["profiles"]:
                a, b = r1["profiles"][mark], r3["profiles"][mark]
                x = np.linspace(0.3, 0.99, 200)
                sa, sb = np.interp(x, a["x"], a["sigma_theta"]), np.interp(x, b["x"], b["sigma_theta"])
                diff[f"{mark:g}"] = float(np.abs(sa - sb).max())
        out[f"{material} {shape}"] = {
            "radii": [args.radius, 3 * args.radius],
            "G_max_per_R": {g: [s1[g]["G_max_per_R"], s3[g]["G_max_per_R"]] for g in rfr.GEOMETRIES[shape]},
            "max_hoop_difference_GPa_at_soc": diff}
    return out


def convergence(args) -> dict:
    """Element size h (front width 4 h), front width at fixed h and the front step: G_max / R,
    the hoop stress at r / r_s = 0.7, 0.9 at SOC 0.5 and the core pressure at SOC 0.5."""
    out = {}
    base = dict(law="hertzberg", radius=args.radius)
    cases = [("h", dict(cell=1.0)), ("h", dict(cell=0.5)), ("h", dict(cell=0.25)), ("h", dict(cell=0.125)),
             ("width", dict(cell=0.25, width_cells=2.0)), ("width", dict(cell=0.25, width_cells=8.0)),
             ("width", dict(cell=0.25, width_cells=16.0)), ("step", dict(cell=0.25, front_step=0.25))]
    for material, shape in (("c-Si", "sphere"), ("c-Si", "cylinder"), ("a-Si", "sphere")):
        for kind, kw in cases:
            v = Variant(material, shape, **base, **kw)
            res, s = run(v, (0.5,))
            pr = res["profiles"].get(0.5)
            hoop = {f"{x:g}": float(np.interp(x, pr["x"], pr["sigma_theta"])) for x in (0.7, 0.9)} if pr else {}
            h = res["history"]
            out[v.label() + f" l0={v.width_cells * v.cell:g} step={v.front_step:g}"] = {
                "study": kind, "G_max_per_R": {g: s[g]["G_max_per_R"] for g in rfr.GEOMETRIES[shape]},
                "hoop_at_soc_0.5": hoop,
                "p_core_at_soc_0.5": float(np.interp(0.5, h["soc"][h["stage"] == 1],
                                                     h["core_pressure"][h["stage"] == 1])),
                "p_front_at_soc_0.5": s["stall"]["p_front_at_soc_0.5"], "wall_s": s["wall_s"]}
    return out


def stall_study(args) -> dict:
    """The front law's pressure factor along the lithiation, sigma_Y = 1 GPa, both laws."""
    out = {}
    for material in ("c-Si", "a-Si"):
        for shape in ("sphere", "cylinder"):
            for law in LAWS:
                for sy in (0.5, 1.0, 2.0):
                    v = Variant(material, shape, law, sy, stage2=False, radius=args.radius, cell=args.cell)
                    out[v.label()] = run(v)[1]["stall"]
    return out


def axial(args) -> dict:
    """Pillars: plane strain against a free axial strain (zero axial force), sigma_Y = 1 GPa."""
    out = {}
    for material in ("c-Si", "a-Si"):
        for law in LAWS:
            for ax in ("plane_strain", "free"):
                v = Variant(material, "cylinder", law, axial=ax, radius=args.radius, cell=args.cell)
                out[v.label()] = run(v)[1]
    return out


def figure(args) -> dict:
    """G_max / R against SOC and the hoop profiles at SOC 0.3 / 0.6 / 0.9 (c-Si) and 0.3 / 0.6 /
    0.66 / 0.9 (a-Si), spheres, sigma_Y = 1 GPa, both laws: `G_soc.png`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    out = {}
    for (material, law), colour in zip([(m, l) for m in ("c-Si", "a-Si") for l in LAWS], ("C0", "C1", "C2", "C3")):
        v = Variant(material, "sphere", law, radius=args.radius, cell=args.cell)
        res, s = run(v, (0.3, 0.6, 0.66, 0.9))
        soc = [r["soc"] for r in res["G"]]
        for g, ls in (("ring", "-"), ("disc", "--")):
            axes[0].plot(soc, np.array([r[f"G_{g}_tip"] for r in res["G"]]) / v.radius, ls=ls, color=colour,
                         label=f"{material}, {law}, {g}")
        axes[1].plot(res["history"]["soc"], res["history"]["hoop"], color=colour, label=f"{material}, {law}")
        if law == "hertzberg":
            for mark, pr in res["profiles"].items():
                if material == "a-Si" or mark != 0.66:
                    axes[2].plot(pr["x"], pr["sigma_theta"], color=colour, alpha=0.4 + 0.6 * mark,
                                 label=f"{material}, SOC {pr['soc']:.2f}")
        out[v.label()] = s
    axes[0].set(xlabel="SOC", ylabel="max over a of G / R (J/m^2 per nm)",
                title="energy-release rate, sphere, sigma_Y 1 GPa")
    axes[1].set(xlabel="SOC", ylabel="surface hoop stress (GPa)", title="surface hoop stress")
    axes[2].set(xlabel="r / r_surface (current)", ylabel="hoop stress (GPa)", title="hoop profiles, Hertzberg law")
    for a in axes:
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "G_soc.png", dpi=120)
    return out


def _range(d: dict) -> str:
    lo, hi = d["critical_size"][f"{GC[0]:g}"], d["critical_size"][f"{GC[-1]:g}"]
    return f"{lo:.0f}-{hi:.0f}"


def tables(args) -> str:
    """The note's tables (markdown, `tables.md`) from the studies' JSON files."""
    def load(name: str) -> dict:
        path = args.out / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else {}

    out = []
    t = load("table")
    for shape, geoms, size in (("sphere", ("ring", "disc"), "D_c"), ("cylinder", ("disc",), "R_c")):
        for g in geoms:
            out += [f"\n{size} (nm) of {shape}s, {g} crack, Gc {GC[0]:g}-{GC[-1]:g} J/m^2 (G_max / R in J/m^2/nm at "
                    "sigma_Y = 1 GPa; where the maximum lies)\n",
                    "| material | E law | " + " | ".join(f"sigma_Y {y:g}" for y in YIELDS)
                    + " | G_max/R at 1 GPa | SOC (step) of the max at 1 GPa |",
                    "|---" * (4 + len(YIELDS)) + "|"]
            for material in ("c-Si", "a-Si"):
                for law in LAWS:
                    row = [t[Variant(material, shape, law, y, radius=args.radius, cell=args.cell).label()][g]
                           for y in YIELDS]
                    one = row[YIELDS.index(1.0)]
                    out.append(f"| {material} | {law} | " + " | ".join(_range(d) for d in row)
                               + f" | {one['G_max_per_R']:.4g} | {one['soc_at_max']:.3f} ({one['stage_at_max']}) |")
    d = load("decompose")
    if d:
        out += ["\nFrom c-Si to a-Si, one change at a time (sigma_Y = 1 GPa; D_c or R_c at Gc 6 J/m^2; ratio to the "
                "line above)\n", "| run | G_max/R ring | G_max/R disc | size (ring) | size (disc) | ratio (ring) | "
                "ratio (disc) |", "|---" * 7 + "|"]
        chain = len(decompose_chain("sphere", LAWS[0]))
        prev: dict = {}
        for k, (label, v) in enumerate(d.items()):
            sizes = {g: v[g]["critical_size"]["6"] for g in ("ring", "disc") if g in v}
            cells = [[f"{v[g]['G_max_per_R']:.4g}" if g in v else "-" for g in ("ring", "disc")],
                     [f"{sizes[g]:.0f}" if g in sizes else "-" for g in ("ring", "disc")],
                     [f"{sizes[g] / prev[g]:.2f}" if g in sizes and k % chain else "-" for g in ("ring", "disc")]]
            out.append(f"| {label} | " + " | ".join(" | ".join(c) for c in cells) + " |")
            prev = sizes
    st = load("stall")
    if st:
        out += ["\nFront law: first SOC at which exp(-B p / kT) falls below 0.1 / 0.01 / 0.001, with the front's "
                "and the core's pressure; front time to SOC 0.5 / 0.9 in R / v_110 (stress-free: 0.21 / 0.54 sphere, "
                "0.29 / 0.68 cylinder)\n",
                "| run | front p at SOC 0.5 (GPa) | SOC front | core p at SOC 0.5 | SOC core | t to SOC 0.5 / 0.9 |",
                "|---" * 6 + "|"]
        for label, v in st.items():
            def socs(k: str) -> str:
                return " / ".join("-" if x is None else f"{x:.2f}" for x in v[k].values())
            times = " / ".join(f"{x:.3g}" for x in v["time_over_R_to_soc"].values())
            out.append(f"| {label} | {v['p_front_at_soc_0.5']:.2f} | {socs('soc_below_front')} | "
                       f"{v['p_core_at_soc_0.5']:.2f} | {socs('soc_below_core')} | {times} |")
    text = "\n".join(out) + "\n"
    (args.out / "tables.md").write_text(text)
    return {"tables": text}


STUDIES = {"table": table, "figure": figure, "axial": axial, "decompose": decompose, "sizes": sizes,
           "convergence": convergence, "stall": stall_study, "tables": tables}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", choices=[*STUDIES, "all"])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "radial_critical_size")
    ap.add_argument("--radius", type=float, default=100.0, help="reference radius of the runs, nm")
    ap.add_argument("--cell", type=float, default=0.5, help="cell size, nm (front width 4 cells)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in STUDIES if args.study == "all" else (args.study,):
        t0 = time.perf_counter()
        result = STUDIES[name](args)
        target = args.out / ("tables.md" if name == "tables" else f"{name}.json")
        if name != "tables":
            target.write_text(json.dumps(result, indent=1, default=float))
        print(f"{name}: {time.perf_counter() - t0:.0f} s -> {target}", flush=True)


if __name__ == "__main__":
    main()
