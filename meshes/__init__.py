"""Gmsh builders for the geometry families of sifrac (one module per family)."""

from solver import bootstrap as _bootstrap  # noqa: F401  (must precede dolfinx imports)
