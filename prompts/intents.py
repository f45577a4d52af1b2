"""What callers may say at a menu: the phrases of each intent, by language (``intents.toml``).
Matching them is the engine's job (``ivr.intents``); the speech grammar reads them too."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

INTENTS_FILE = Path(__file__).with_name("intents.toml")


@cache
def phrases(language: str) -> Mapping[str, tuple[str, ...]]:
    """Intent name → the phrases that express it in *language*."""
    with INTENTS_FILE.open("rb") as fh:
        table = tomllib.load(fh)[language]
    return {intent: tuple(words) for intent, words in table.items()}
