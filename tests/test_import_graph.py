"""The package's dependencies point one way: no import circle among sifrac's modules, the solver's
modules sit in layers (laws -> problems -> scheme -> model -> simulation -> run -> cli) and import
only from their own layer or below, and nothing below the top layer (studies and the command line,
which draw figures) imports `postprocess`.

The graph is read from the source (every import statement, including those inside functions and
under TYPE_CHECKING), so the test needs no build and runs in well under a second.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("solver", "meshes", "postprocess")
NAMESPACE = "sifrac"  # the folders install as sifrac.solver, sifrac.meshes, sifrac.postprocess

#: The solver's modules from the bottom up; a module imports from its own layer or below.
LAYERS = [
    {"bootstrap", "log", "stats", "versions", "materials", "parameters"},  # infrastructure
    {"axisymmetry", "kinematics", "elasticity", "phasefield", "plasticity", "diffusion", "front", "lixsi",  # laws
     "analytic", "energy_release", "radial_fracture"},                   # and closed forms
    {"case"},                                                            # the case (validated input)
    {"solvers", "nonlinear", "timestepping"},                            # PETSc presets and solves
    {"domain", "concentration"},                                         # discretisation and shared state
    {"loading", "damage", "mechanics", "transport", "radial", "reaction_front"},  # physics problems
    {"staggered"},                                                       # the staggered scheme
    {"model"},                                                           # the model built top to bottom
    {"probes", "profile", "outputs", "fields", "crack_metrics", "criteria", "checkpoint"},  # what a run measures
    {"simulation"},                                                      # the time loop
    {"run"},                                                             # the entry point
    {"studies", "cli"},                                                  # studies and the command line
]


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = [package, *path.relative_to(ROOT / package).with_suffix("").parts]
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _layer(module: str) -> int | None:
    """The layer of a solver module `solver.a[.b]` (a subpackage's modules share its layer)."""
    parts = module.split(".")[1:]
    for i, layer in enumerate(LAYERS):
        if ".".join(parts) in layer or (parts and parts[0] in layer):
            return i
    return None


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The sifrac modules `name` imports (a package import counts as its __init__)."""
    found = set()
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per dot after the first
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            target = target.removeprefix(f"{NAMESPACE}.")  # installed as sifrac.solver, ...: named by folder here
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def test_no_import_circle(graph):
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_every_solver_module_has_a_layer(graph):
    placed = [m for layer in LAYERS for m in layer]
    assert len(placed) == len(set(placed)), "a module is listed in two layers"
    unplaced = sorted(m for m in graph if m.startswith("solver.") and _layer(m) is None)
    assert not unplaced, f"add these to LAYERS: {unplaced}"


def test_dependencies_point_down(graph):
    level = {m: _layer(m) for m in graph if m.startswith("solver.")}
    upward = [f"{a} -> {b}" for a in sorted(level) for b in sorted(graph[a])
              if b in level and level[b] > level[a]]
    assert not upward, "imports from a higher layer: " + ", ".join(upward)


def test_only_the_top_layer_imports_postprocess(graph):
    top = len(LAYERS) - 1
    offenders = [a for a in sorted(graph) if a.startswith("solver") and _layer(a) != top
                 and any(b.startswith("postprocess") for b in graph[a])]
    assert not offenders, offenders


def test_the_checker_sees_a_circle():
    """The circle search on a graph with a known circle (a check that cannot fail proves nothing)."""
    with pytest.raises(pytest.fail.Exception, match="a -> b -> c -> a"):
        test_no_import_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
