"""The Li concentration and its time history: the state that transport advances and every other
problem reads (moduli, swelling, yield stress and fracture toughness depend on it)."""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem

from sifrac.solver.domain import Domain


class Concentration:
    """The Li concentration c (P1, fraction of c_max), its last two accepted values, the step and
    its BDF coefficients, and c_ref, the stress-free concentration that swelling is measured from."""

    def __init__(self, domain: Domain, soc_start: float) -> None:
        self.c = fem.Function(domain.Vc, name="concentration")
        self.c_old, self.c_older = fem.Function(domain.Vc), fem.Function(domain.Vc)
        self.bdf = fem.Constant(domain.mesh, np.array([1.0, -1.0, 0.0], dtype=default_scalar_type))
        self.dt = fem.Constant(domain.mesh, default_scalar_type(1.0))
        self.dt_old: float | None = None  # None: the next step is backward Euler
        self.c_ref = fem.Constant(domain.mesh, default_scalar_type(soc_start))

    @property
    def change(self) -> ufl.core.expr.Expr:
        """c - c_ref: what the material swells by."""
        return self.c - self.c_ref

    def accept(self) -> None:
        self.c_older.x.array[:] = self.c_old.x.array
        self.c_old.x.array[:] = self.c.x.array
        self.dt_old = float(self.dt.value)

    def reject(self) -> None:
        self.c.x.array[:] = self.c_old.x.array
