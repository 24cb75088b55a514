"""`sifrac report DIR`: PNG pictures and plots of a run, a Markdown index and one HTML page.

Field pictures come from the gathered VTU snapshots a run writes: the crack initiation, the peak
of the max principal stress and the final state, plus `state_step_N.vtu` every `[output]
snapshot_every` steps (chosen with `--steps`). `report.html` embeds every image (base64), so it
is one file to mail or attach.
"""

from __future__ import annotations

import base64
import html
import json
import re
import tomllib
from pathlib import Path

from sifrac.postprocess.plots import fracture_plot, history_plot, read_history

FIELDS = ("damage", "concentration", "max_principal_stress", "hoop_stress", "inplane_stress", "von_mises",
          "equivalent_plastic_strain")
KEY_STATES = (("initiation_state", "at crack initiation"), ("peak_state", "at the peak of the max principal stress"),
              ("final_state", "at the end"))


def snapshot_steps(outdir: Path) -> list[int]:
    """Steps with a VTU snapshot (state_step_N.vtu) in a run directory."""
    return sorted(int(m.group(1)) for p in outdir.glob("state_step_*.vtu")
                  if (m := re.fullmatch(r"state_step_(\d+)\.vtu", p.name)))


def _states(outdir: Path, steps: list[int] | None) -> list[tuple[str, str]]:
    """(VTU stem, label) of the states to draw: the key states, then the chosen snapshots."""
    states = [(stem, label) for stem, label in KEY_STATES if (outdir / f"{stem}.vtu").exists()]
    available = snapshot_steps(outdir)
    for step in steps or []:
        if step not in available:
            raise FileNotFoundError(f"--steps {step}: no snapshot of step {step} in {outdir}; available: "
                                    f"{', '.join(map(str, available)) or 'none (set [output] snapshot_every)'}")
        states.append((f"state_step_{step:06d}", f"at step {step}"))
    return states


def write_report(outdir: Path, steps: list[int] | None = None) -> Path:
    """Pictures of the key states (and the chosen steps), history plots, report.md and report.html."""
    import pyvista

    from sifrac.postprocess.pictures import LABELS, field_picture

    history_csv = outdir / "history.csv"
    if not history_csv.exists():
        raise FileNotFoundError(f"{outdir}: no history.csv (is it a sifrac run directory?)")
    states = _states(outdir, steps)
    summary = json.loads((outdir / "summary.json").read_text()) if (outdir / "summary.json").exists() else {}
    figs = outdir / "figures"
    figs.mkdir(exist_ok=True)
    history = read_history(history_csv)
    title = summary.get("case", "")
    per_depth = energies_per_depth(outdir)
    sections: list[tuple[str, list[Path]]] = [("History", [history_plot(history, figs / "history.png", title,
                                                                        per_depth)])]
    if "dissipated_energy" in history:
        sections[0][1].append(fracture_plot(history, figs / "fracture.png", title, per_depth))
    for stem, label in states:
        grid = pyvista.read(outdir / f"{stem}.vtu")
        heading = (f"State {label}: step {int(grid.field_data['step'][0])}, t = {grid.field_data['time'][0]:.4g} s, "
                   f"SOC = {grid.field_data['soc'][0]:.3f}")
        images = [field_picture(grid, name, figs / f"{stem}_{name}.png", title=heading)
                  for name in FIELDS if name in grid.point_data]
        sections.append((heading, images))
    facts = _facts(summary)
    lines = [f"# sifrac report: {summary.get('case', outdir.name)}", "", *[f"- {f}" for f in facts], ""]
    for heading, images in sections:
        lines += [f"## {heading}", ""]
        for img in images:
            lines += [f"![{_caption(img, LABELS)}](figures/{img.name})", ""]
    (outdir / "report.md").write_text("\n".join(lines))
    _write_html(outdir / "report.html", summary.get("case", outdir.name), facts, sections, LABELS)
    return outdir / "report.md"


def energies_per_depth(outdir: Path) -> bool:
    """Whether the run's energies are per unit depth: a 2D section in plane strain or generalised
    plane strain, not an axisymmetric body (read from the run's resolved case.toml)."""
    case = tomllib.loads((outdir / "case.toml").read_text()) if (outdir / "case.toml").exists() else {}
    geometry, mechanics = case.get("geometry", {}), case.get("mechanics", {})
    return geometry.get("dim", 2) == 2 and mechanics.get("out_of_plane") != "axisymmetric"


def _caption(img: Path, labels: dict[str, str]) -> str:
    field = next((f for f in FIELDS if img.stem.endswith(f"_{f}")), "")
    return labels.get(field, field) if field else img.stem.replace("_", " ")


def _facts(summary: dict) -> list[str]:
    if not summary:
        return ["no summary.json: the run did not finish"]
    facts = [f"status: **{summary['status']}** ({summary['reason']})",
             f"steps: {summary['steps']}, final time {summary['time']:.6g} s, SOC {summary['soc']:.4f}",
             f"ranks: {summary['ranks']}, dofs: {summary['dofs']}, wall time {summary['wall_time']:.1f} s",
             f"versions: {summary['versions']}, git commit {summary.get('git_commit', 'unknown')}",
             f"case sha256: {summary.get('case_sha256', 'unknown')}"]
    if "parameters_outside_published_range" in summary:
        outside = summary["parameters_outside_published_range"]
        facts.append("material parameters and their sources: parameters.csv; outside their published range: "
                     + (f"**{'; '.join(outside)}**" if outside else "none"))
    if "fractured" in summary:
        facts.append(f"fractured: {summary['fractured']}, crack initiation at t = {summary['crack_initiation_time']} s, "
                     f"SOC = {summary['crack_initiation_soc']}")
    return facts


def _write_html(path: Path, name: str, facts: list[str], sections: list[tuple[str, list[Path]]],
                labels: dict[str, str]) -> None:
    """One self-contained page: every picture inlined as a base64 data URI."""
    def item(fact: str) -> str:
        return "<li>" + re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(fact)) + "</li>"

    body = [f"<h1>sifrac report: {html.escape(name)}</h1>", "<ul>", *map(item, facts), "</ul>"]
    for heading, images in sections:
        body.append(f"<h2>{html.escape(heading)}</h2><div class='row'>")
        for img in images:
            data = base64.b64encode(img.read_bytes()).decode()
            cap = html.escape(_caption(img, labels))
            body.append(f"<figure><img src='data:image/png;base64,{data}' alt='{cap}'><figcaption>{cap}"
                        "</figcaption></figure>")
        body.append("</div>")
    style = ("body{font-family:sans-serif;max-width:1400px;margin:auto}.row{display:flex;flex-wrap:wrap}"
             "figure{margin:4px;width:32%}img{width:100%}figcaption{text-align:center}")
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>sifrac report: {html.escape(name)}"
                    f"</title><style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
