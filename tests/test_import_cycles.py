"""No import cycles between frvsr modules.

Every ``frvsr/**/*.py`` is parsed with ``ast``; each import of an frvsr module is an edge
of the module graph. ``from frvsr.x import y`` is an edge to ``frvsr.x.y`` when ``y`` is a
submodule, else to ``frvsr.x``; relative imports are resolved against the importing module;
a package's ``__init__.py`` is the module ``frvsr.<package>``. Importing ``frvsr.a.b`` also
runs ``frvsr.a/__init__.py`` first, so it is an edge to ``frvsr.a`` too, except from a module
inside ``frvsr.a`` (its package is already loading: ``frvsr.a.b`` importing ``frvsr.a.c``
while ``frvsr.a`` re-exports both is no cycle).

Only imports executed when the module loads count: module-level statements, including
those under ``if``/``try`` at module level. Imports inside functions (and methods) are
lazy on purpose: they are the standard way to break a load-time cycle or to keep a heavy
dependency off a light entry point, so they are not edges. Imports under
``if TYPE_CHECKING:`` never run and are not edges either.

``test_lower_layers_never_import_higher_ones`` checks the layer order of docs/DESIGN.md
on the same graph, with lazy imports included.

A cycle is reported as a path (``frvsr.a -> frvsr.b -> frvsr.a``) from the strongly
connected components of the graph (Tarjan).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "frvsr"

# Known cycles to be fixed in frvsr/ (none today); a non-empty entry makes the check a
# strict xfail naming the cycle, so the test fails again once it is gone.
KNOWN_CYCLES: list[str] = []


def module_files(root: Path) -> dict[str, Path]:
    """Module name -> file for every ``.py`` under `root` (``__init__`` = the package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _load_time_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements run at module load: not in functions/classes' methods, not
    under ``if TYPE_CHECKING``; class bodies run at load time, so they count."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _load_time_imports(node.body)
            found += _load_time_imports(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    found += _load_time_imports(
                        [c for c in children if isinstance(c, ast.stmt)]
                        + [s for c in children if not isinstance(c, ast.stmt)
                           for s in getattr(c, "body", [])])
    return found


def _resolve_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _ancestors(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def import_graph(root: Path, lazy: bool = False) -> dict[str, set[str]]:
    """Module -> the frvsr modules it imports at load time (`lazy`: in functions too)."""
    files = module_files(root)
    top = root.name
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        nodes = ([n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
                 if lazy else _load_time_imports(tree.body))
        for node in nodes:
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve_base(name, path.name == "__init__.py", node)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                           for alias in node.names]
            own_packages = _ancestors(name)
            for target in targets:
                if target.split(".")[0] != top:
                    continue
                while target not in files and "." in target:  # `import frvsr.a.b` of a name
                    target = target.rsplit(".", 1)[0]
                loaded = {target, *_ancestors(target)} - own_packages - {name}
                graph[name] |= {t for t in loaded if t in files}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, as a closed path (BFS: shortest)."""
    start, members = component[0], set(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle in {component}")


def describe_cycles(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for comp in strongly_connected(graph):
        path = cycle_path(graph, comp)
        extra = f" (in the cycle group {', '.join(comp)})" if len(comp) > len(path) - 1 else ""
        out.append(" -> ".join(path) + extra)
    return out


_mark = ([pytest.mark.xfail(strict=True, reason="known cycle: " + "; ".join(KNOWN_CYCLES))]
         if KNOWN_CYCLES else [])


@pytest.mark.parametrize("_", [pytest.param(None, marks=_mark, id="frvsr")])
def test_no_import_cycles(_: None) -> None:
    graph = import_graph(PKG)
    assert len(graph) > 50 and graph["frvsr.evaluation.run"], "the graph looks empty"
    cycles = describe_cycles(graph)
    assert not cycles, "import cycles between frvsr modules:\n" + "\n".join(cycles)


# docs/DESIGN.md, "Import rules": lower layers never import higher ones. Top-level modules
# not listed (train, evaluate, export, ...) are entry points, the top layer. DESIGN does not
# place checkpoint.py: it sits above models (it rebuilds them) and below evaluation and lit.
LAYERS = [
    {"errors", "io"},
    {"ops", "models", "losses", "metrics", "data"},
    {"inference", "checkpoint"},
    {"evaluation", "report"},
    {"lit", "callbacks"},
    {"cli"},
    # applications on everything below (player, ladder, demo, sweep summaries)
    {"web", "bandwidth", "demo", "sweep"},
]


def layer_violations(graph: dict[str, set[str]], root: Path) -> list[str]:
    rank = {name: i for i, names in enumerate(LAYERS) for name in names}
    entry = len(LAYERS)

    def rank_of(module: str) -> int | None:
        parts = module.split(".")
        if len(parts) == 1:
            return None  # the root package: `frvsr/__init__.py` re-exports lazily
        if parts[1] in rank:
            return rank[parts[1]]
        assert not (root / parts[1]).is_dir(), (
            f"package frvsr/{parts[1]} is in no layer: add it to LAYERS (and docs/DESIGN.md)")
        return entry

    ranks = {module: rank_of(module) for module in graph}  # every package is placed
    bad = []
    for src, targets in sorted(graph.items()):
        for dst in sorted(targets):
            a, b = ranks[src], ranks[dst]
            if a is not None and b is not None and b > a:
                bad.append(f"{src} (layer {a}) imports {dst} (layer {b})")
    return bad


def test_lower_layers_never_import_higher_ones() -> None:
    """Lazy (function-level) imports count here: an upward dependency is one when it runs."""
    bad = layer_violations(import_graph(PKG, lazy=True), PKG)
    assert not bad, "imports against the layering of docs/DESIGN.md:\n" + "\n".join(bad)


def test_layer_check_flags_an_upward_import(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "frvsr/__init__.py": "def f():\n    from frvsr import train\n",
        "frvsr/models/__init__.py": "def f():\n    from frvsr.lit import fit\n",
        "frvsr/lit/__init__.py": "", "frvsr/lit/fit.py": "import frvsr.models\n",
        "frvsr/train.py": "from frvsr.lit.fit import x\n",
    })
    assert layer_violations(import_graph(pkg, lazy=True), pkg) == [
        "frvsr.models (layer 1) imports frvsr.lit (layer 4)",
        "frvsr.models (layer 1) imports frvsr.lit.fit (layer 4)"]
    (pkg / "newpkg").mkdir()
    (pkg / "newpkg" / "a.py").write_text("import frvsr.errors\n")
    with pytest.raises(AssertionError, match="frvsr/newpkg is in no layer"):
        layer_violations(import_graph(pkg, lazy=True), pkg)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "frvsr"


def test_cycle_is_found_and_named(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "frvsr/__init__.py": "",
        "frvsr/a/__init__.py": "from frvsr.a import b\n",
        "frvsr/a/b.py": "from frvsr.c import thing\n",
        "frvsr/c.py": "import frvsr.a.b\ntry:\n    from .d import x\nexcept ImportError:\n"
                      "    pass\n",
        "frvsr/d.py": "from frvsr import c\n",
        "frvsr/e.py": "def f():\n    from frvsr import e2\n",  # lazy: not an edge
        "frvsr/e2.py": "import frvsr.e\n",
        "frvsr/t.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from frvsr import t2\n",
        "frvsr/t2.py": "from frvsr import t\n",
    })
    graph = import_graph(pkg)
    assert graph["frvsr.a"] == {"frvsr.a.b"}  # `from pkg import submodule` -> the submodule
    assert graph["frvsr.a.b"] == {"frvsr.c"}  # `from module import name` -> the module
    # `import frvsr.a.b` runs frvsr/a/__init__ first; `from .d` is relative, under try.
    assert graph["frvsr.c"] == {"frvsr.a", "frvsr.a.b", "frvsr.d"}
    assert graph["frvsr.e"] == set() and graph["frvsr.t"] == set()
    assert strongly_connected(graph) == [["frvsr.a", "frvsr.a.b", "frvsr.c", "frvsr.d"]]
    assert describe_cycles(graph) == ["frvsr.a -> frvsr.a.b -> frvsr.c -> frvsr.a (in the "
                                      "cycle group frvsr.a, frvsr.a.b, frvsr.c, frvsr.d)"]


def test_parent_package_init_is_an_edge_from_outside_only(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "frvsr/__init__.py": "",
        "frvsr/m/__init__.py": "from frvsr.m.x import X\nfrom frvsr.m.y import Y\n",
        "frvsr/m/x.py": "from frvsr.m.y import Y\n",  # inside the package: no cycle
        "frvsr/m/y.py": "Y = 1\n",
        "frvsr/user.py": "from frvsr.m.y import Y\n",  # runs frvsr/m/__init__ first
    })
    graph = import_graph(pkg)
    assert graph["frvsr.m.x"] == {"frvsr.m.y"}
    assert graph["frvsr.user"] == {"frvsr.m", "frvsr.m.y"}
    assert describe_cycles(graph) == []
    (tmp_path / "frvsr/m/y.py").write_text("import frvsr.user\n")
    assert describe_cycles(import_graph(pkg)) == [
        "frvsr.m -> frvsr.m.y -> frvsr.user -> frvsr.m "
        "(in the cycle group frvsr.m, frvsr.m.x, frvsr.m.y, frvsr.user)"]
