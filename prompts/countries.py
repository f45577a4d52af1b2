"""Names of roaming destinations in each language (``countries.toml``), by ISO code.

Roaming records carry a code such as ``JP``; callers read 日本 or Japan. A record that
already holds a name in either language is named in the reader's language too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

COUNTRIES_FILE: Final = Path(__file__).with_name("countries.toml")


@cache
def names() -> Mapping[str, Mapping[str, str]]:
    """ISO code → language → name."""
    with COUNTRIES_FILE.open("rb") as fh:
        return tomllib.load(fh)["countries"]


@cache
def _codes() -> Mapping[str, str]:
    """Code, or a name in any language, folded to lower case → ISO code."""
    found: dict[str, str] = {}
    for code, by_language in names().items():
        found[code.lower()] = code
        for name in by_language.values():
            found[name.lower()] = code
            found[name.lower().removeprefix("the ")] = code
    return found


def country_name(country: str | None, language: str) -> str | None:
    """*country* (a code like ``JP``, or a name) as said in *language*, or None when it is
    empty or an unknown code: the caller then hears "abroad", never a bare code."""
    if not country or not country.strip():
        return None
    key = country.strip()
    code = _codes().get(key.lower())
    if code is not None:
        return names()[code][language]
    if key.isascii() and key.isalpha() and len(key) <= 3:
        return None  # an unknown code: not something to read to a customer
    return key
