"""Case files as typed models: the TOML schema, `--set` overrides, validation and resolution to a
full case.

A case is validated completely before any collective (MPI, PETSc, DOLFINx) call, so every rank
reaches the same verdict and a user mistake costs one clear message instead of a hung job; for
that reason this package is pure Python. Resolution fills every default and derived ("auto")
value and expands material names to their parameters, so the resolved case written next to the
results records everything the run used.

Where each section lives: `[case]`, `[output]` and the whole `Case` in `model`; `[geometry]` in
`geometry`; `[active]`, `[electrolyte]`, `[collector]` in `material_sections`; `[loading]` and
`[mechanics]` in `loading`; `[time]` and `[solver]` in `numerics`; `[fracture]` in `fracture`. How
a key is declared: `keys`; how to add one: docs/notes/case-schema.md.
"""

from sifrac.solver.case.errors import OPS, CaseError, format_value, is_finite, value_error
from sifrac.solver.case.fracture import Fracture
from sifrac.solver.case.geometry import Geometry
from sifrac.solver.case.loading import MECHANICAL_MODES, Loading, Mechanics
from sifrac.solver.case.model import (ENERGY_RELEASE_POINTS, Case, Output, apply_overrides, case_sha256, dump_case,
                                      energy_release_applies, load_case, parse_overrides, read_toml,
                                      resolution_warnings, resolve_case)
from sifrac.solver.case.numerics import Solver, Time
from sifrac.solver.case.reference import reference_markdown

__all__ = ["ENERGY_RELEASE_POINTS", "Case", "CaseError", "Fracture", "Geometry", "Loading", "MECHANICAL_MODES",
           "Mechanics", "OPS", "Output", "Solver", "Time", "apply_overrides", "case_sha256", "dump_case",
           "energy_release_applies", "format_value", "is_finite", "load_case", "parse_overrides", "read_toml",
           "reference_markdown", "resolution_warnings", "resolve_case", "value_error"]
