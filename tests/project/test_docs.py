"""The project's documents: every Markdown file that code or docs name is in the project, the
README stays a short front door, and nothing points at notes kept outside the project."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from tests.support.paths import ROOT

README_MAX_LINES = 150
SCANNED_SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".sh"}
SCANNED_FOLDERS = {"scripts", ".ci"}
MARKDOWN_NAME = re.compile(r"(?<![\w./:-])((?:\.\.?/)*[\w-][\w./-]*\.md)\b")
"""A file name ending in ``.md``, bare or with a path, as code and docs write it."""
OUTSIDE_NOTES = re.compile(r"(?:\.\./|/work/)shared\b|\bshared/[A-Z][A-Z_]*\b")
"""Notes that live beside the checkout, not in it: the project must not lean on them."""


@cache
def tracked() -> frozenset[str]:
    """Every file git tracks in the checkout, as a path relative to it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    return frozenset(name for name in listed.split("\0") if name)


def scanned(name: str) -> bool:
    path = Path(name)
    return (
        path.suffix in SCANNED_SUFFIXES
        or path.name == "Makefile"
        or path.parts[0] in SCANNED_FOLDERS
    )


def text_of(name: str) -> str | None:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None


def markdown_names(text: str) -> set[str]:
    return {m for m in MARKDOWN_NAME.findall(text) if "//" not in m}


def resolves(name: str, referrer: str) -> bool:
    """Whether *name*, read from the checkout's root or from *referrer*'s folder, is a file
    of the project."""
    for base in ("", os.path.dirname(referrer)):
        candidate = os.path.normpath(os.path.join(base, name))
        if candidate in tracked() and (ROOT / candidate).is_file():
            return True
    return False


def broken_references(files: dict[str, str]) -> list[str]:
    """``file: name`` for every Markdown name in *files* (path → text) that is not in the
    project."""
    return sorted(
        f"{referrer}: {name}"
        for referrer, text in files.items()
        for name in markdown_names(text)
        if not resolves(name, referrer)
    )


def scanned_texts() -> dict[str, str]:
    texts = {name: text_of(name) for name in sorted(tracked()) if scanned(name)}
    return {name: text for name, text in texts.items() if text is not None}


def test_every_markdown_file_named_in_code_or_docs_is_in_the_project() -> None:
    assert broken_references(scanned_texts()) == []


@pytest.mark.parametrize(
    ("referrer", "text", "broken"),
    [
        ("prompts/render.py", "see docs/speech.md", False),
        ("docs/callers.md", "[desk](../" + "expert_desk/README.md)", False),
        ("expert_desk/__init__.py", "See ``README.md`` here.", False),
        # Names that exist nowhere, written in pieces so that the scan of this file skips them.
        ("tests/project/test_layers.py", "the design notes (NOWHERE" + ".md)", True),
        ("docs/design.md", "[gone](no-such-guide" + ".md)", True),
        ("README.md", "see docs/no-such-page" + ".md#section", True),
    ],
)
def test_a_name_is_found_from_the_root_or_beside_its_referrer(
    referrer: str, text: str, broken: bool
) -> None:
    assert bool(broken_references({referrer: text})) == broken


def test_the_readme_is_a_short_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; move detail to docs/ and link it"
    )


def test_no_file_points_at_notes_outside_the_project() -> None:
    texts = {name: text_of(name) for name in sorted(tracked())}
    mentions = sorted(
        f"{name}: {match.group(0)}"
        for name, text in texts.items()
        if text is not None
        for match in OUTSIDE_NOTES.finditer(text)
    )
    assert mentions == []


@pytest.mark.parametrize(
    "text",
    # Written in pieces, so that this file does not point outside the project itself.
    ["see ../" + "shared" + "/NOTES" + ".md", "as the notes in shared/" + "DESIGN say"],
)
def test_a_pointer_outside_the_project_is_caught(text: str) -> None:
    assert OUTSIDE_NOTES.search(text)
