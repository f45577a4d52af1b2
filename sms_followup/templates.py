"""SMS templates per language (written forms of figures) and segment counting."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

TEMPLATE_DIR = Path(__file__).with_name("templates")

GSM_SEGMENT, GSM_MULTIPART = 160, 153
UCS2_SEGMENT, UCS2_MULTIPART = 70, 67


@cache
def templates(language: str) -> Mapping[str, str]:
    with (TEMPLATE_DIR / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


def text(key: str, language: str, **params: str) -> str:
    return templates(language)[key].format_map(params)


def segments(body: str) -> int:
    """How many SMS segments *body* takes: 70 characters for Chinese (UCS-2), 160 for ASCII."""
    if body.isascii():
        single, multi = GSM_SEGMENT, GSM_MULTIPART
    else:
        single, multi = UCS2_SEGMENT, UCS2_MULTIPART
    return 1 if len(body) <= single else -(-len(body) // multi)
