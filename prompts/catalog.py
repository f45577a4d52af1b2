"""The prompt catalog: every utterance the service speaks, in zh-CN and en-US.

Flows name prompts by key; they never hold prompt text. Placeholders are filled with
spoken forms produced by :mod:`prompts.spoken`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("zh-CN", "en-US")
CATALOG_DIR: Final = Path(__file__).with_name("catalog")


class UnknownPrompt(KeyError):
    """A flow asked for a prompt key the catalog does not have."""


@cache
def prompts(language: str) -> Mapping[str, str]:
    """All prompt texts of one language, keyed by prompt key.

    The catalog is ``catalog/<language>.toml`` plus one ``catalog/<feature>.<language>.toml``
    per feature (expert desk, password, complaints...). A key defined twice is an error.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return merged_tables(CATALOG_DIR, language)


def merged_tables(directory: Path, language: str) -> dict[str, str]:
    """``<language>.toml`` and every ``<feature>.<language>.toml`` in *directory*, merged.

    Shared by the prompt catalog and the SMS templates. A key defined twice is an error.
    """
    merged: dict[str, str] = {}
    for path in sorted(directory.glob(f"*{language}.toml")):
        with path.open("rb") as fh:
            table = tomllib.load(fh)
        if clash := merged.keys() & table.keys():
            raise ValueError(f"keys defined twice ({path}): {sorted(clash)}")
        merged.update(table)
    return merged


def text(key: str, language: str, params: Mapping[str, str] | None = None) -> str:
    """The text of prompt *key* in *language*, with its placeholders filled."""
    try:
        template = prompts(language)[key]
    except KeyError:
        raise UnknownPrompt(f"{key} ({language})") from None
    return template.format_map(params) if params else template


def other_language(language: str) -> str:
    """The hotline's other language: zh-CN <-> en-US."""
    return LANGUAGES[1] if language == LANGUAGES[0] else LANGUAGES[0]
