"""`sifrac report DIR`: PNG pictures and plots of a finished run plus a Markdown index."""

from __future__ import annotations

import json
from pathlib import Path

from postprocess.plots import fracture_plot, history_plot, read_history


def write_report(outdir: Path) -> Path:
    """Pictures of the final fields, the history plot and `report.md` linking them."""
    import pyvista

    from postprocess.pictures import LABELS, field_picture

    history_csv = outdir / "history.csv"
    if not history_csv.exists():
        raise FileNotFoundError(f"{outdir}: no history.csv (is it a sifrac run directory?)")
    summary = json.loads((outdir / "summary.json").read_text()) if (outdir / "summary.json").exists() else {}
    figs = outdir / "figures"
    figs.mkdir(exist_ok=True)
    history = read_history(history_csv)
    images = [history_plot(history, figs / "history.png", summary.get("case", ""))]
    if "dissipated_energy" in history:
        images.append(fracture_plot(history, figs / "fracture.png", summary.get("case", "")))
    for state, label in (("peak_state", "at the peak of the max principal stress"), ("final_state", "at the end")):
        vtu = outdir / f"{state}.vtu"
        if not vtu.exists():
            continue
        grid = pyvista.read(vtu)
        title = f"{label}: t = {grid.field_data['time'][0]:.4g} s, SOC = {grid.field_data['soc'][0]:.3f}"
        for name in ("concentration", "damage", "hoop_stress", "inplane_stress", "von_mises"):
            if name in grid.point_data:
                images.append(field_picture(grid, name, figs / f"{state}_{name}.png", title=title))
    lines = [f"# sifrac report: {summary.get('case', outdir.name)}", ""]
    if summary:
        lines += [f"- status: **{summary['status']}** ({summary['reason']})",
                  f"- steps: {summary['steps']}, final time {summary['time']:.6g} s, SOC {summary['soc']:.4f}",
                  f"- ranks: {summary['ranks']}, dofs: {summary['dofs']}, wall time {summary['wall_time']:.1f} s",
                  f"- versions: {summary['versions']}"]
        if "fractured" in summary:
            lines += [f"- fractured: {summary['fractured']}, crack initiation at t = "
                      f"{summary['crack_initiation_time']} s, SOC = {summary['crack_initiation_soc']}"]
        lines += [""]
    for img in images:
        state, _, field = img.stem.partition("_state_")
        heading = f"{LABELS.get(field, field)}, {state} state" if field else img.stem.replace("_", " ")
        lines += [f"## {heading}", "", f"![{img.stem}](figures/{img.name})", ""]
    index = outdir / "report.md"
    index.write_text("\n".join(lines))
    return index
