"""Line plots of a run's history (matplotlib, no display needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv as columns of floats."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in rows[0]} if rows else {}


_PREFIXES = {0: "", -3: "m", -6: "\u00b5", -9: "n", -12: "p", -15: "f", -18: "a"}


def energy_unit(values: list[float], per_depth: bool) -> tuple[float, str]:
    """(factor, unit) that turn sifrac energies into joules with a readable SI prefix.

    Energies are integrals of GPa over the body: in 2D (plane strain, generalised plane strain)
    per unit depth, 1 GPa nm^2 = 1e-9 J/m; in 3D and for axisymmetric bodies (integrals weighted
    by 2 pi r) an energy, 1 GPa nm^3 = 1e-18 J. The prefix puts the largest |value| in [1, 1000).
    """
    base, unit = (1e-9, "J/m") if per_depth else (1e-18, "J")
    peak = max((abs(v) for v in values), default=0.0) * base
    exponent = next((e for e in sorted(_PREFIXES, reverse=True) if peak >= 10.0 ** e), min(_PREFIXES))
    if peak == 0.0:
        exponent = -9 if per_depth else -18
    return base / 10.0 ** exponent, _PREFIXES[exponent] + unit


def _energy(ax, x: list[float], values: list[float], what: str, per_depth: bool, **style) -> None:
    factor, unit = energy_unit(values, per_depth)
    ax.plot(x, [v * factor for v in values], **style)
    ax.set_ylabel(f"{what}{' per unit depth' if per_depth else ''} ({unit})")


def _save(fig, axes, path: Path, title: str) -> Path:
    """Grid, title, layout, file: the common finish of every sifrac figure."""
    for ax in axes:
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def history_plot(history: dict[str, list[float]], path: Path, title: str = "", per_depth: bool = True) -> Path:
    """SOC, stresses and elastic energy against time, one panel each; `per_depth`: a 2D run's
    energies are per unit depth (see `energy_unit`)."""
    t = history["time"]
    tang = next((k[4:] for k in history if k in ("max_hoop_stress", "max_inplane_stress")), None)
    fig, axes = plt.subplots(3, 1, figsize=(7, 8), sharex=True)
    axes[0].plot(t, history["soc"], color="k")
    axes[0].set_ylabel("SOC")
    axes[1].plot(t, history["max_principal_stress"], label="max principal")
    axes[1].plot(t, history["max_von_mises"], label="max von Mises")
    if tang:
        axes[1].plot(t, history[f"max_{tang}"], "--", label=f"max {tang.replace('_', ' ')}")
        axes[1].plot(t, history[f"min_{tang}"], ":", label=f"min {tang.replace('_', ' ')}")
    axes[1].set_ylabel("stress in Si (GPa)")
    axes[1].legend(fontsize=8)
    _energy(axes[2], t, history["elastic_energy"], "elastic energy", per_depth, color="tab:red")
    axes[2].set_xlabel("time (s)")
    return _save(fig, axes, path, title)


def fracture_plot(history: dict[str, list[float]], path: Path, title: str = "", per_depth: bool = True) -> Path:
    """Normalised maximum crack opening and crack dissipation against SOC (as in the review's
    Fig. 13); `per_depth` as in `history_plot`."""
    soc = [100 * s for s in history["soc"]]
    fig, axes = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    axes[0].plot(soc, history["cod_normalized"], "o-", ms=3)
    axes[0].set_ylabel("max COD / reference length")
    _energy(axes[1], soc, history["dissipated_energy"], "crack dissipation", per_depth, marker="o", ms=3,
            color="tab:red")
    axes[1].set_xlabel("SOC (%)")
    if soc[-1] < soc[0]:
        axes[1].invert_xaxis()  # delithiation reads left to right
    return _save(fig, axes, path, title)


def _positions(values: list) -> tuple[list[float], list[str] | None]:
    """Numbers as they are; anything else (variant names, strings) at 0, 1, 2, ... with tick labels."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    names = list(dict.fromkeys(str(v) for v in values))
    return [float(names.index(str(v))) for v in values], names


def sweep_plot(rows: list[dict], parameter: str, criterion: str, path: Path,
               bracket: list | None = None, critical: float | None = None, title: str = "",
               target: list | None = None) -> Path:
    """A study's criterion (and crack initiation SOC, final max damage) against the parameter.

    Runs meeting the criterion are red, the others blue, undecided ones grey; the final bracket
    is shaded and the critical value drawn as a line; a published target range is hatched green.
    """
    x, names = _positions([r["value"] for r in rows])
    colours = ["tab:red" if r["criterion"] is True else "tab:blue" if r["criterion"] is False else "0.5"
               for r in rows]
    numeric = all(isinstance(r["criterion_value"], int | float) and not isinstance(r["criterion_value"], bool)
                  for r in rows if r["criterion"] is not None)
    panels = [(criterion if numeric else f"{criterion} (1 = true)",
               [r["criterion_value"] if numeric else (None if r["criterion"] is None else float(r["criterion"]))
                for r in rows])]
    for key, ylabel in (("crack_initiation_soc", "crack initiation SOC"), ("max_damage", "final max damage")):
        if any(r[key] is not None for r in rows):
            panels.append((ylabel, [r[key] for r in rows]))
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.6 * len(panels) + 0.6), sharex=True, squeeze=False)
    axes = axes[:, 0]
    for ax, (ylabel, y) in zip(axes, panels):
        pts = [(xi, yi, c) for xi, yi, c in zip(x, y, colours) if yi is not None]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], c=[p[2] for p in pts], zorder=3)
        ax.set_ylabel(ylabel)
        if bracket is not None and names is None:
            ax.axvspan(bracket[0], bracket[1], color="tab:orange", alpha=0.2)
        if critical is not None:
            ax.axvline(critical, color="tab:orange", ls="--", label=f"critical {critical:.6g}")
        if target is not None and names is None:
            ax.axvspan(target[0], target[1], facecolor="none", edgecolor="tab:green", hatch="//",
                       label=f"target {target[0]:g}-{target[1]:g}")
    if critical is not None or (target is not None and names is None):
        axes[0].legend(fontsize=8)
    if names is not None:
        axes[-1].set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes[-1].set_xlabel(parameter)
    return _save(fig, axes, path, title)


def overlay_plot(curves: dict[str, tuple[list[float], list[float]]], xlabel: str, ylabel: str, path: Path,
                 title: str = "") -> Path:
    """One history column of several runs on the same axes, labelled by run (parameter value or variant)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, (x, y) in curves.items():
        ax.plot(x, y, "o-", ms=2, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if xlabel == "soc" and all(x and x[-1] < x[0] for x, _ in curves.values()):
        ax.invert_xaxis()  # delithiation reads left to right, as in fracture_plot
    return _save(fig, [ax], path, title)


def trend_plot(points: dict[str, tuple[float | None, dict[str, float | None]]], xlabel: str,
               ykeys: list[str], path: Path, title: str = "") -> Path:
    """Summary values of a study's runs against a case parameter (e.g. the electrolyte's modulus).

    `points`: run -> (x, {key: y}). Runs without an x (a liquid electrolyte has no modulus) are
    horizontal dashed reference lines; the x axis is logarithmic when the x values span more than
    two decades (polymer to oxide moduli).
    """
    fig, axes = plt.subplots(len(ykeys), 1, figsize=(7, 2.8 * len(ykeys) + 0.6), sharex=True, squeeze=False)
    axes = axes[:, 0]
    xs = [x for x, _ in points.values() if x is not None]
    log_x = bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 100
    for ax, key in zip(axes, ykeys):
        for i, (name, (x, ys)) in enumerate(points.items()):
            y = ys.get(key)
            if y is None:
                continue
            if x is None:
                ax.axhline(y, ls="--", color=f"C{i % 10}", label=f"{name} (no {xlabel})")
            else:
                ax.scatter([x], [y], color=f"C{i % 10}", zorder=3)
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_ylabel(key)
        if any(x is None and ys.get(key) is not None for x, ys in points.values()):
            ax.legend(fontsize=7)
    if log_x:
        axes[-1].set_xscale("log")
    axes[-1].set_xlabel(xlabel)
    return _save(fig, axes, path, title)
