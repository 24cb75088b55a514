"""sifrac solver: Li transport, chemo-mechanics (elasticity, J2 plasticity, small or finite strain) and
phase-field fracture in Si anodes. The module map and the order they build in: solver/model.py."""

from sifrac.solver import bootstrap as _bootstrap  # noqa: F401  (must precede dolfinx imports)

__version__ = "0.1.0"
