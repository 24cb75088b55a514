"""Dotted keys into nested run outputs (summary.json, case.toml), shared by `sifrac sweep` and
the benchmark scripts. Kept free of DOLFINx and MPI so that tools that only read a run's files
start instantly."""

from __future__ import annotations

from typing import Any


def dig(node: Any, key: str) -> Any:
    """node[a][b][c] for key "a.b.c"; KeyError naming the key when a part is missing."""
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def lookup(summary: dict, key: str) -> Any:
    """A summary value by key: top level, else final.KEY, else extremes.KEY. A dotted key is a
    path from the top and gives None where the path is missing (a failed run has no extremes)."""
    if "." in key:
        try:
            return dig(summary, key)
        except KeyError:
            return None
    for table in (summary, summary.get("final", {}), summary.get("extremes", {})):
        if key in table:
            return table[key]
    raise KeyError(f"{key!r} is not in the run's summary")
