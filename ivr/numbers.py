"""Phone numbers as callers dial them: normalising, and which service a dialed number reaches."""

from __future__ import annotations

import re
from enum import StrEnum


class Entry(StrEnum):
    """Where a dialed number lands: the full menu or one service directly."""

    HOTLINE = "hotline"
    BALANCE = "balance"
    USAGE = "usage"
    BILL = "bill"
    PASSWORD = "password"


HOTLINE_NUMBER = "10010"
DIRECT_CODES: dict[str, Entry] = {
    HOTLINE_NUMBER: Entry.HOTLINE,
    "1001011": Entry.BALANCE,
    "1001012": Entry.USAGE,
    "1001013": Entry.BILL,
    "1001015": Entry.PASSWORD,
}

_SEPARATORS = re.compile(r"[\s\-().]")
_COUNTRY_PREFIXES = ("+86", "0086", "86")


class InvalidNumber(ValueError):
    """Not something a telephone network would deliver as a number."""


def normalize(number: str) -> str:
    """The national form of a Chinese number: no separators, no +86/0086/86 prefix.

    Mobile numbers keep their 11 digits (``+86 138-0013-8000`` → ``13800138000``);
    service codes stay as dialed (``10010``). Numbers of other countries keep their ``+``.
    """
    bare = _SEPARATORS.sub("", number.strip())
    if not bare:
        raise InvalidNumber("empty number")
    for prefix in _COUNTRY_PREFIXES:
        rest = bare[len(prefix) :]
        # "86" alone is ambiguous with national numbers starting 86; only strip it before
        # a complete mobile number or one of our service codes.
        unambiguous = prefix != "86" or len(rest) == 11 or rest in DIRECT_CODES
        if bare.startswith(prefix) and rest.isdigit() and unambiguous:
            return rest
    if (bare.startswith("+") and bare[1:].isdigit()) or bare.isdigit():
        return bare
    raise InvalidNumber(f"not a phone number: {number!r}")


def entry_for(dialed: str) -> Entry | None:
    """The entry point a dialed number reaches, or None when it is not one of ours."""
    try:
        return DIRECT_CODES.get(normalize(dialed))
    except InvalidNumber:
        return None
