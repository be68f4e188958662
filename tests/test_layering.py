"""Pure-torch packages must not import Lightning, Hydra, OmegaConf or wandb."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "frvsr"
PURE = ["models", "ops", "losses", "metrics", "data"]
FORBIDDEN = {"lightning", "pytorch_lightning", "hydra", "omegaconf", "wandb"}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("sub", PURE)
def test_pure_packages_do_not_import_frameworks(sub: str) -> None:
    files = sorted((PKG / sub).rglob("*.py"))
    assert files, f"frvsr/{sub} has no modules"
    bad = {str(f.relative_to(PKG)): sorted(_imported_roots(f) & FORBIDDEN) for f in files}
    assert not {k: v for k, v in bad.items() if v}
