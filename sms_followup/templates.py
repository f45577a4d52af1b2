"""SMS templates per language (written forms of figures) and segment counting."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from prompts.catalog import merged_tables

TEMPLATE_DIR = Path(__file__).with_name("templates")

GSM_SEGMENT, GSM_MULTIPART = 160, 153
UCS2_SEGMENT, UCS2_MULTIPART = 70, 67


@cache
def templates(language: str) -> Mapping[str, str]:
    """``templates/<language>.toml`` plus one ``<feature>.<language>.toml`` per feature."""
    return merged_tables(TEMPLATE_DIR, language)


def text(key: str, language: str, **params: str) -> str:
    return templates(language)[key].format_map(params)


def segments(body: str) -> int:
    """How many SMS segments *body* takes: 70 characters for Chinese (UCS-2), 160 for ASCII."""
    if body.isascii():
        single, multi = GSM_SEGMENT, GSM_MULTIPART
    else:
        single, multi = UCS2_SEGMENT, UCS2_MULTIPART
    return 1 if len(body) <= single else -(-len(body) // multi)
