"""The dependency rules of docs/architecture.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import apilab

PACKAGE_ROOT = Path(apilab.__file__).parent
FRONT_DOORS = {"web", "cli"}
ENGINES = {"content", "assistant", "calls", "providers", "pricing", "sandbox", "secretscan",
           "storage", "arena", "evals", "promptlab", "accounts", "classes", "lti", "oidc"}
LEAVES = {"settings", "errors", "pricing", "secretscan"}


def _imports() -> list[tuple[str, str]]:
    """(importing module, imported apilab module) for every module in the package."""
    edges = []
    for path in PACKAGE_ROOT.rglob("*.py"):
        rel = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            edges.extend((module, name) for name in names if name.startswith("apilab"))
    return edges


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_there_are_modules_to_check() -> None:
    assert len(_imports()) > 20


def test_engines_never_import_front_doors() -> None:
    bad = [(a, b) for a, b in _imports() if _top(a) in ENGINES and _top(b) in FRONT_DOORS]
    assert not bad, f"engines must not import web/cli: {bad}"


def test_leaves_import_only_settings_and_errors() -> None:
    allowed = {"settings", "errors"}
    bad = [
        (a, b) for a, b in _imports()
        if _top(a) in LEAVES and _top(b) != _top(a) and _top(b) not in allowed
    ]
    assert not bad, f"leaf packages may only import settings/errors: {bad}"


def test_providers_do_not_import_layers() -> None:
    bad = [
        (a, b) for a, b in _imports()
        if _top(a) == "providers" and _top(b) == "calls" and b != "apilab.calls.base"
    ]
    assert not bad, f"providers may import only calls.base from the call layer: {bad}"


def test_sandbox_is_independent_of_the_lab() -> None:
    forbidden = {"web", "cli", "assistant", "calls"}
    bad = [(a, b) for a, b in _imports() if _top(a) == "sandbox" and _top(b) in forbidden]
    assert not bad, f"the sandbox must run on its own: {bad}"
