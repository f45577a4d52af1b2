"""Twilio-shaped identifiers: a two-letter prefix and 32 hex digits."""

from __future__ import annotations

import uuid


def new_sid(prefix: str) -> str:
    """A fresh sid such as ``CA`` + 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex
