"""The shape of the house as tests, read from the source (the AST of every module in gdsim/).

Every import statement counts: at the top, inside functions, under ``if TYPE_CHECKING``. An import inside a
function hides a dependency from the reader, not from the design. Each failing rule names the modules that
break it, with the line of each offending import, so the message says what to move.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gdsim"
MAX_LINES = 400
QT = ("PySide6", "pyqtgraph")
QT_ALLOWED = ("gdsim.ui", "gdsim.worker", "gdsim.worker_registry")  # the worker owns the one QThread


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module
    target: str  # a gdsim module, or the top-level name of a third-party package
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module in gdsim (a package is its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def _resolve(name: str) -> str | None:
    """The gdsim module ``name`` lives in: itself, or the closest enclosing module (a name in a package face)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def imports(module: str) -> list[Edge]:
    """Everything ``module`` imports: gdsim modules by their module name, anything else by its top-level name.

    ``from gdsim.engine import network`` is an edge to the module gdsim.engine.network; ``from gdsim.engine import
    Network`` is an edge to the package face gdsim.engine (the face imports its modules, so a module of the
    engine that did this would close a circle, and fail at import time in some orders).
    """
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    edges = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join(here + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for name in names:
            if name == "gdsim" or name.startswith("gdsim."):
                target = _resolve(name)
                if target is not None and target != module:
                    edges.append(Edge(module, target, node.lineno))
            else:
                edges.append(Edge(module, name.split(".")[0], node.lineno))
    return sorted(set(edges), key=lambda e: (e.line, e.target))


EDGES = {m: imports(m) for m in MODULES}


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def breaking(rule) -> list[Edge]:
    return sorted((e for edges in EDGES.values() for e in edges if rule(e)), key=str)


def report(what: str, edges: list[Edge]) -> str:
    return f"{what}:\n  " + "\n  ".join(map(str, edges))


# ---------------------------------------------------------------- circles


def circles(edges: dict[str, list[Edge]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    graph = {m: sorted({e.target for e in edges[m] if e.target in edges}) for m in edges}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for v in graph:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_no_import_circle_among_gdsim_modules():
    found = circles(EDGES)
    text = []
    for comp in found:
        inner = [e for m in comp for e in EDGES[m] if e.target in comp]
        text.append(report(f"a circle of {len(comp)} modules: {', '.join(comp)}; the imports that hold it", inner))
    assert not found, "\n".join(text)


def test_the_circle_finder_finds_a_circle():
    """The rule above can fail: a chain of imports is no circle, closing it makes one."""
    a, b, c = "gdsim.engine.network", "gdsim.engine.losses", "gdsim.engine.activations"
    edges = {m: [] for m in MODULES}
    edges[a], edges[b] = [Edge(a, b, 1)], [Edge(b, c, 1)]
    assert circles(edges) == []
    edges[c] = [Edge(c, a, 1)]
    assert circles(edges) == [sorted([a, b, c])]


# ---------------------------------------------------------------- layers


def test_the_engine_imports_nothing_from_gdsim_outside_the_engine():
    bad = breaking(lambda e: inside(e.source, "gdsim.engine") and inside(e.target, "gdsim")
                   and not inside(e.target, "gdsim.engine"))
    assert not bad, report("gdsim.engine imports from the layers above it", bad)


@pytest.mark.parametrize("layer", ["gdsim.lab", "gdsim.io"])
def test_lab_and_io_import_neither_the_ui_the_cli_nor_the_worker(layer):
    above = ("gdsim.ui", "gdsim.cli", "gdsim.worker", "gdsim.worker_registry")
    bad = breaking(lambda e: inside(e.source, layer) and any(inside(e.target, p) for p in above))
    assert not bad, report(f"{layer} imports from a layer above it", bad)


def test_the_ui_does_not_import_the_cli():
    """The CLI opens the app and renders figures; the app never reaches back into the CLI."""
    bad = breaking(lambda e: (inside(e.source, "gdsim.ui") or inside(e.source, "gdsim.worker"))
                   and inside(e.target, "gdsim.cli"))
    assert not bad, report("the app imports the CLI", bad)


def test_qt_and_pyqtgraph_are_imported_only_by_the_ui_and_the_worker():
    bad = breaking(lambda e: e.target in QT and not any(inside(e.source, p) for p in QT_ALLOWED))
    assert not bad, report("PySide6 or pyqtgraph imported outside gdsim/ui and the worker", bad)


def test_no_file_is_over_400_lines():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    long = sorted(f"{MODULES[m].relative_to(PACKAGE.parent)}: {n} lines" for m, n in sizes.items() if n > MAX_LINES)
    assert not long, f"files over {MAX_LINES} lines (split them):\n  " + "\n  ".join(long)


def test_an_import_inside_a_function_counts():
    """gdsim.ui.__init__ imports MainWindow only when asked: the edge is still there (the rules see it)."""
    assert "gdsim.ui.main_window" in {e.target for e in EDGES["gdsim.ui"]}
    assert "gdsim.engine.network" in {e.target for e in EDGES["gdsim.engine"]}


# ---------------------------------------------------------------- package faces


def _qt_free(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter, then print the Qt modules it loaded."""
    qt = "sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))"
    probe = f"import sys\n{code}\nprint({qt})"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=PACKAGE.parent, check=False)


def test_the_qt_free_faces_load_without_qt():
    result = _qt_free("from gdsim.engine import Network, Trainer, FunctionModel, Model, OPTIMIZERS, LOSSES\n"
                      "from gdsim.lab import Config, build, load_preset, Snapshot\n"
                      "from gdsim.io import session, torch_export, atomic\n"
                      "t = Trainer(Network([2, 2, 1]), [[0.0, 1.0]], [1.0]); t.step()")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


def test_gdsim_ui_loads_main_window_only_when_asked():
    result = _qt_free("import gdsim.ui, gdsim.ui.plotting, gdsim.ui.panels, gdsim.ui.widgets, gdsim.ui.controllers\n"
                      "print('gdsim.ui.main_window' in sys.modules, 'gdsim.ui.app' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "[]"], result.stdout

    from PySide6 import QtWidgets

    from gdsim.ui import MainWindow
    assert issubclass(MainWindow, QtWidgets.QMainWindow)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        importlib.import_module("gdsim.ui").Nothing  # noqa: B018


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_every_package_declares_what_it_exports(package):
    mod = importlib.import_module(package)
    assert "__all__" in vars(mod), f"{package}/__init__.py declares no __all__"
    missing = [name for name in mod.__all__
               if not hasattr(mod, name) and importlib.util.find_spec(f"{package}.{name}") is None]
    assert not missing, f"{package}.__all__ names what it does not have: {missing}"
