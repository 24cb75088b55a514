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


def history_plot(history: dict[str, list[float]], path: Path, title: str = "") -> Path:
    """SOC, stresses and elastic energy against time, one panel each."""
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
    axes[2].plot(t, history["elastic_energy"], color="tab:red")
    axes[2].set_ylabel("elastic energy (GPa nm^d)")
    axes[2].set_xlabel("time (s)")
    return _save(fig, axes, path, title)


def fracture_plot(history: dict[str, list[float]], path: Path, title: str = "") -> Path:
    """Normalised maximum crack opening and crack dissipation against SOC (as in the review's Fig. 13)."""
    soc = [100 * s for s in history["soc"]]
    fig, axes = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    axes[0].plot(soc, history["cod_normalized"], "o-", ms=3)
    axes[0].set_ylabel("max COD / reference length")
    axes[1].plot(soc, history["dissipated_energy"], "o-", ms=3, color="tab:red")
    axes[1].set_ylabel("crack dissipation (GPa nm^d = 1e-18 J)")
    axes[1].set_xlabel("SOC (%)")
    if soc[-1] < soc[0]:
        axes[1].invert_xaxis()  # delithiation reads left to right
    return _save(fig, axes, path, title)
