"""The prompt catalog: every utterance the service speaks, in zh-CN and en-US.

Flows name prompts by key; they never hold prompt text. Placeholders are filled with
spoken forms produced by :mod:`prompts.spoken`. In zh-CN a number is said 两, not 二, before
a measure word ("您还可以输入{remaining}次" → 两次); the template knows what follows its
placeholder, so :func:`text` applies :func:`prompts.spoken.before_measure` there, and after
第 :func:`prompts.spoken.ordinal` (第{position}位: 第二位, 第二百位).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

from prompts.spoken import MEASURE_WORDS, before_measure, ordinal

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
    if not params:
        return template
    if language == "zh-CN":
        params = {**params, **_counted_and_ordinal(template, params)}
    return template.format_map(params)


def _counted_and_ordinal(template: str, params: Mapping[str, str]) -> dict[str, str]:
    """The zh-CN values that a measure word follows in *template*, in their counted form
    (两次), and those after 第, in their ordinal form (第二百位)."""
    parts = list(string.Formatter().parse(template))
    counted: dict[str, str] = {}
    afters = [after for after, _, _, _ in parts[1:]] + [""]
    for (before, field, _, _), after in zip(parts, afters, strict=True):
        if not field or field not in params:
            continue
        if before.endswith("第"):
            counted[field] = ordinal(params[field])
        elif after.startswith(MEASURE_WORDS):
            counted[field] = before_measure(params[field])
    return counted


def other_language(language: str) -> str:
    """The hotline's other language: zh-CN <-> en-US."""
    return LANGUAGES[1] if language == LANGUAGES[0] else LANGUAGES[0]
