"""Which heavy frameworks each package may load, checked by really importing every module.

Every module of the layered packages (found on the filesystem, so a new module is covered
without editing this file) is imported on its own in a fresh interpreter state, and the
frameworks it pulled into ``sys.modules`` are checked against ``RULES`` (docs/DESIGN.md,
"Layering"):

- ``models``, ``ops``, ``losses``, ``data``, ``metrics``, ``io``, ``inference`` load none of
  Lightning, Hydra, OmegaConf, wandb (the pure-torch layers);
- ``evaluation`` and ``report`` never load Lightning (Hydra/OmegaConf for ``data=<option>``
  and wandb for ``wandb_run=`` are theirs to use).

A static scan of import statements would miss transitive loads (``frvsr.x`` importing
``frvsr.y`` that imports Lightning), so the test imports for real. Importing each module in
its own ``python -c`` costs ~3 s of torch start-up per module; instead one fresh interpreter
preloads the framework-free heavy libraries (torch, numpy, ...; checked to load none of the
frameworks and no frvsr module) and forks one child per module: every child starts from that
same clean state, so no module's imports can hide another's.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "frvsr"

LIGHTNING = frozenset({"lightning", "pytorch_lightning", "lightning_fabric"})
CONFIG_AND_LOGGING = frozenset({"hydra", "omegaconf", "wandb"})
FRAMEWORKS = LIGHTNING | CONFIG_AND_LOGGING

# Package -> the frameworks none of its modules may load when imported.
RULES: dict[str, frozenset[str]] = {
    "models": FRAMEWORKS,
    "ops": FRAMEWORKS,
    "losses": FRAMEWORKS,
    "data": FRAMEWORKS,
    "metrics": FRAMEWORKS,
    "io": FRAMEWORKS,
    "inference": FRAMEWORKS,
    "evaluation": LIGHTNING,
    "report": LIGHTNING,
    "sweep": LIGHTNING,  # the multirun summary: records and tables, no training
    "demo": LIGHTNING,  # runs the stages as child processes
}

# The documented exceptions (docs/DESIGN.md, "Layering"): module -> frameworks it may load
# although its package may not. `data=<option>` of `frvsr.evaluate` builds the evaluation
# clips through Hydra and the Lightning DataModule, so that one module may load them.
# (Today it loads only Hydra/OmegaConf at import; Lightning comes when `materialise`
# instantiates the DataModule.)
EXCEPTIONS: dict[str, frozenset[str]] = {
    "frvsr.evaluation.data_option": LIGHTNING,
}

# Known violations, to be fixed in frvsr/: module -> reason (the import chain). Each is a
# strict xfail, so the test fails once the module is clean and the entry must go.
KNOWN_VIOLATIONS: dict[str, str] = {}

# Framework-free libraries imported once before forking (start-up cost, not layering).
PRELOAD = ("numpy", "torch", "torchvision", "cv2", "kornia", "PIL", "matplotlib",
           "matplotlib.pyplot", "av", "scipy")

_FORK_SERVER = r"""
import importlib, json, os, sys
frameworks = set(json.loads(sys.argv[1]))
preload, modules = json.loads(sys.stdin.read())
os.environ.setdefault("MPLBACKEND", "Agg")

def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in frameworks)

for name in preload:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
leaked = loaded() + sorted(m for m in sys.modules if m.split(".")[0] == "frvsr")
if leaked:
    sys.exit("preloading %s loaded %s: it would hide imports" % (preload, leaked))

results, running = {}, {}
def reap():  # read the oldest child's pipe to EOF first: a full pipe would block it
    pid = next(iter(running))
    name, fd = running.pop(pid)
    with os.fdopen(fd) as pipe:
        results[name] = json.loads(pipe.read() or '{"error": "child died"}')
    os.waitpid(pid, 0)

for name in modules:
    if len(running) >= max(2, os.cpu_count() or 2):
        reap()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module(name)
            out = {"loaded": loaded()}
        except BaseException as exc:
            out = {"error": "%s: %s" % (type(exc).__name__, exc)}
        with os.fdopen(w, "w") as pipe:
            pipe.write(json.dumps(out))
        os._exit(0)
    os.close(w)
    running[pid] = (name, r)
while running:
    reap()
print(json.dumps(results))
"""

# What the brief's one-module-per-interpreter check runs; used where fork is unavailable.
_ONE_MODULE = ("import importlib, sys, json; importlib.import_module(sys.argv[1]); "
               "print(json.dumps(sorted(m for m in sys.modules "
               "if m.split('.')[0] in set(json.loads(sys.argv[2])))))")


def discover_modules(root: Path, packages: list[str]) -> list[str]:
    """`frvsr.<pkg>` and every module and subpackage below it, from the filesystem (a
    folder without ``__init__.py`` is a namespace package, which pkgutil would skip)."""
    found: list[str] = []
    for pkg in packages:
        base = root / pkg
        assert base.is_dir(), f"{base} is missing"
        found.append(f"{root.name}.{pkg}")
        for path in sorted(base.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root.parent).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if parts != (root.name, pkg):
                found.append(".".join(parts))
        for folder in sorted(p for p in base.rglob("*") if p.is_dir()):
            if "__pycache__" not in folder.parts:
                found.append(".".join(folder.relative_to(root.parent).parts))
    return sorted(set(found))


MODULES = discover_modules(PKG, list(RULES))


def forbidden_for(module: str) -> frozenset[str]:
    return RULES[module.split(".")[1]] - EXCEPTIONS.get(module, frozenset())


def _env() -> dict[str, str]:
    return {**os.environ, "WANDB_MODE": "offline", "MPLBACKEND": "Agg",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def _import_each(modules: list[str]) -> dict[str, dict]:
    if hasattr(os, "fork"):
        proc = subprocess.run(
            [sys.executable, "-c", _FORK_SERVER, json.dumps(sorted(FRAMEWORKS))],
            input=json.dumps([list(PRELOAD), modules]), capture_output=True, text=True,
            cwd=REPO, env=_env(), timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.splitlines()[-1])
    results = {}
    for name in modules:
        proc = subprocess.run(
            [sys.executable, "-c", _ONE_MODULE, name, json.dumps(sorted(FRAMEWORKS))],
            capture_output=True, text=True, cwd=REPO, env=_env(), timeout=300,
        )
        results[name] = ({"loaded": json.loads(proc.stdout)} if proc.returncode == 0
                         else {"error": proc.stderr.strip().splitlines()[-1]})
    return results


# A module that does load a framework: proves the children really see what gets loaded.
CANARY = ("frvsr.cli.hydra_compose", "omegaconf")


@pytest.fixture(scope="module")
def imported() -> dict[str, dict]:
    return _import_each([*MODULES, CANARY[0]])


def _params() -> list:
    return [pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=KNOWN_VIOLATIONS[m]))
            if m in KNOWN_VIOLATIONS else m for m in MODULES]


@pytest.mark.parametrize("module", _params())
def test_module_loads_no_forbidden_framework(module: str, imported: dict[str, dict]) -> None:
    result = imported[module]
    assert "error" not in result, f"import {module} failed: {result['error']}"
    bad = sorted(m for m in result["loaded"] if m.split(".")[0] in forbidden_for(module))
    assert not bad, (f"import {module} loads {sorted({m.split('.')[0] for m in bad})} "
                     f"(find the chain with: python -X importtime -c 'import {module}')")


def test_the_check_sees_framework_loads(imported: dict[str, dict]) -> None:
    module, framework = CANARY
    assert framework in {m.split(".")[0] for m in imported[module]["loaded"]}, imported[module]


def test_every_package_and_exception_is_covered() -> None:
    packages = {m.split(".")[1] for m in MODULES}
    assert packages == set(RULES)
    # Submodules are really discovered (not just the package names).
    assert {"frvsr.models.srresnet", "frvsr.evaluation.run", "frvsr.io.atomic"} <= set(MODULES)
    assert set(EXCEPTIONS) <= set(MODULES), "an exception names a module that is gone"
    assert set(KNOWN_VIOLATIONS) <= set(MODULES), "a known violation names a module that is gone"


def test_data_option_is_the_only_exception() -> None:
    """Widening the layering needs a decision recorded in docs/DESIGN.md, not a new entry."""
    assert set(EXCEPTIONS) == {"frvsr.evaluation.data_option"}
    assert EXCEPTIONS["frvsr.evaluation.data_option"] == LIGHTNING


_EVALUATE_AND_LIST = (
    "import json, sys\n"
    "from frvsr.evaluate import main\n"
    "code = main(sys.argv[2:])\n"
    "print(json.dumps([code, sorted(m for m in sys.modules "
    "if m.split('.')[0] in set(json.loads(sys.argv[1]))), "
    "'frvsr.evaluation.data_option' in sys.modules]))\n"
)


def test_evaluate_run_loads_no_lightning(tmp_path: Path) -> None:
    """Beyond imports: a whole evaluation (baseline, scoring, report) never starts Lightning;
    only `data=<option>`, the documented exception, imports data_option and builds a
    DataModule."""
    from tests.test_entry_points import write_clips

    args = ["baseline=bicubic", f"gt={write_clips(tmp_path / 'gt', clips=1)}", "scale=4",
            "degradation=bd_tecogan", f"out={tmp_path / 'eval.json'}", "metrics=[psnr_y]"]
    proc = subprocess.run(
        [sys.executable, "-c", _EVALUATE_AND_LIST, json.dumps(sorted(FRAMEWORKS)), *args],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    code, loaded, data_option = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0 and (tmp_path / "eval.json").is_file()
    assert not {m.split(".")[0] for m in loaded} & LIGHTNING, loaded
    assert not data_option, "frvsr.evaluate imported data_option without data="


def test_exceptions_are_documented_in_design() -> None:
    design = (REPO / "docs" / "DESIGN.md").read_text()
    for module in EXCEPTIONS:
        assert module in design or module.replace(".", "/") + ".py" in design, module


def test_discovery_finds_new_and_namespace_modules(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "a" / "sub").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "__init__.py").write_text("")
    (root / "a" / "x.py").write_text("")
    (root / "a" / "sub" / "y.py").write_text("")  # namespace subpackage
    (root / "b" / "z.py").write_text("")  # namespace package
    assert discover_modules(root, ["a", "b"]) == [
        "pkg.a", "pkg.a.sub", "pkg.a.sub.y", "pkg.a.x", "pkg.b", "pkg.b.z"]
