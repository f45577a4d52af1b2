"""The tests are laid out like the code: a folder of tests per package, shared helpers in
``tests/support/``, and no test module importing another (a helper two modules need moves to
``tests/support/``; one test module importing another once broke collection)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
APART = {"support", "project"}
"""``support``: the shared helpers; ``project``: tests of the project as a whole (its layers,
its documents, this layout)."""


def modules_of_tests() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.rsplit(".", 1)[-1].startswith("test_")
        )
        for path in modules_of_tests()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_every_test_folder_is_named_for_a_package_of_the_project() -> None:
    folders = {path.parent for path in modules_of_tests()}
    assert TESTS not in folders, (
        "a test module sits in tests/ itself: put it in its package's folder"
    )
    unknown = sorted(
        str(folder.relative_to(ROOT))
        for folder in folders
        if folder.relative_to(TESTS).parts[0] not in APART
        and not (ROOT / folder.relative_to(TESTS).parts[0]).is_dir()
    )
    assert unknown == []


def test_the_shared_helpers_are_no_tests() -> None:
    assert sorted(p.name for p in (TESTS / "support").glob("test_*.py")) == []
