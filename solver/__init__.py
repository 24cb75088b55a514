"""sifrac solver: Li transport, chemo-elasticity and (later) phase-field fracture in Si anodes."""

from solver import bootstrap as _bootstrap  # noqa: F401  (must precede dolfinx imports)

__version__ = "0.1.0"
