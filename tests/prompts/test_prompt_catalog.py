"""Every prompt exists in both languages, and flows speak only catalog keys."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from prompts import catalog
from tests.support.english import awkward
from tests.support.paths import ROOT


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_prompt_key_exists_in_both_languages() -> None:
    zh, en = (set(catalog.prompts(lang)) for lang in catalog.LANGUAGES)
    assert zh == en, f"only in one language: {sorted(zh ^ en)}"


@pytest.mark.parametrize("key", sorted(catalog.prompts("zh-CN")))
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    zh = catalog.prompts("zh-CN")[key]
    en = catalog.prompts("en-US")[key]
    assert _placeholders(zh) == _placeholders(en)


@pytest.mark.parametrize("key", sorted(catalog.prompts("en-US")))
def test_english_prompts_read_as_a_native_speaker_writes(key: str) -> None:
    assert awkward(catalog.prompts("en-US")[key]) == []


def _line_keys_in(path: Path) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Line":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
            elif isinstance(first, ast.JoinedStr):
                keys.add(ast.unparse(first))
    return keys


def test_every_prompt_a_flow_speaks_is_in_the_catalog() -> None:
    sources = [
        *(ROOT / "flows").glob("*.py"),
        ROOT / "ivr" / "engine.py",
        ROOT / "ivr" / "webhooks.py",
    ]
    used = set().union(*(_line_keys_in(p) for p in sources))
    assert used, "no prompts found: the scan is broken"
    known = set(catalog.prompts("zh-CN"))
    dynamic = {k for k in used if k.startswith("f")}
    for template in dynamic:  # f"report.usage.{kind}" must exist for every kind used
        prefix = template.split("{")[0].removeprefix("f'").removeprefix('f"')
        assert any(k.startswith(prefix) for k in known), template
    assert used - dynamic <= known, sorted((used - dynamic) - known)


def test_flows_hold_no_prompt_text() -> None:
    for path in (ROOT / "flows").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), f"Chinese text in {path.name}"
