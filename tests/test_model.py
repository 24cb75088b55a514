"""The model (solver/model.py) holds no reference cycle: it is freed by reference counting alone,
so its parallel PETSc objects are destroyed on every rank at the same point of the program, not
whenever each rank's cyclic garbage collector happens to run (a collective destruction at
different times deadlocks, e.g. in a sweep that builds one model after another)."""

from sifrac.solver import bootstrap  # noqa: F401

import gc
import weakref

from mpi4py import MPI

from sifrac import meshes
from sifrac.solver.case import resolve_case
from sifrac.solver.model import ChemoMechanicalModel


def test_a_model_is_freed_without_the_cyclic_collector():
    """Every problem, the scheme and every solver of a model with plasticity, fracture and the
    coupled (c, u, sigma_h) transport go with the model's last reference."""
    case = resolve_case({
        "geometry": {"kind": "particle", "dim": 2, "diameter": 100.0, "mesh_size": 20.0, "matrix": True},
        "electrolyte": {"material": "Li6PS5Cl"},
        "mechanics": {"plasticity": "J2"},
        "fracture": {"model": "AT1", "split": "rankine", "length_scale": 10.0},
        "loading": {"mode": "potentiostatic", "surface_concentration": 0.98, "surface_stress_coupling": True},
        "time": {"t_end": 1.0}, "output": {"fields": False}}, "cycles")
    bundle = meshes.build(case.geometry, MPI.COMM_WORLD)
    gc.collect()
    gc.disable()
    try:
        model = ChemoMechanicalModel(bundle, case)
        parts = {"model": model, "mechanics": model.mechanics, "transport": model.transport, "damage": model.damage,
                 "scheme": model.scheme, "mechanics solver": model.mechanics.solver,
                 "transport solver": model.transport.solver, "damage solver": model.damage.solver}
        assert model.transport.coupled and model.plastic and model.fracture
        refs = {name: weakref.ref(obj) for name, obj in parts.items()}
        del model, parts
        assert [name for name, ref in refs.items() if ref() is not None] == []
    finally:
        gc.enable()
