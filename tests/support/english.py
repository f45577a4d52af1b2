"""What a native speaker would change in an English prompt or SMS template (issue 24)."""

from __future__ import annotations

import re

SIGNATURE = "China Unicom: "  # an SMS goes on after it in lower case, as a colon allows
_LOWER_AFTER_A_STOP = re.compile(r"[.!?]\s+([a-z])")


def awkward(text: str) -> list[str]:
    """The faults found in *text*: a ``day(s)`` plural, a sentence that starts lower-case,
    "smart phone" for smartphone."""
    faults = []
    if "(s)" in text:
        faults.append("a plural written (s)")
    if "smart phone" in text:
        faults.append("smart phone")
    whole = text.rstrip().endswith((".", "!", "?")) and not text.startswith(SIGNATURE)
    if (whole and text[:1].islower()) or _LOWER_AFTER_A_STOP.search(text):
        faults.append("a sentence starting lower-case")
    return faults
