"""The layers, read from the code: every import runs down, never up or sideways in a loop,
and the simulator reaches the service only over HTTP (docs/design.md, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

# From the bottom up; a package may import those of lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("prompts",),
    ("speech",),
    ("ivr",),
    ("sms_followup",),
    ("accounts", "complaints"),
    ("expert_desk",),
    ("flows",),
    ("hotline",),
    ("app",),
)
LAYER_OF = {package: n for n, layer in enumerate(LAYERS) for package in layer}
APART = {"simulator": {"speech"}}  # a package that stands apart, and what it may import
APART_USED_BY = {"hotline"}  # the composition root attaches the simulator's commands to `ivr`
TOP_LEVEL = set(LAYER_OF) | set(APART)


def _modules(package: str) -> list[Path]:
    single = ROOT / f"{package}.py"
    return [single] if single.exists() else sorted((ROOT / package).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """The project's top-level packages that *path* imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & TOP_LEVEL


def _imports(package: str) -> dict[str, set[str]]:
    """Each other top-level package *package* imports, with the files that do."""
    edges: dict[str, set[str]] = {}
    for path in _modules(package):
        for target in _imported_packages(path) - {package}:
            edges.setdefault(target, set()).add(str(path.relative_to(ROOT)))
    return edges


@pytest.mark.parametrize("package", sorted(LAYER_OF))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    upward = {
        target: sorted(files)
        for target, files in _imports(package).items()
        if (target in APART and package not in APART_USED_BY)
        or (target in LAYER_OF and LAYER_OF[target] >= LAYER_OF[package])
    }
    assert upward == {}, f"{package} imports its own layer, a layer above it, or {set(APART)}"


@pytest.mark.parametrize("package", sorted(APART))
def test_the_simulator_reaches_the_service_only_over_http(package: str) -> None:
    outside = {
        target: sorted(files)
        for target, files in _imports(package).items()
        if target not in APART[package]
    }
    assert outside == {}


def test_every_top_level_package_is_placed_in_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {"app"}
    unplaced = packages - TOP_LEVEL - {"tests", "bench", "migrations"}
    assert unplaced == set()
