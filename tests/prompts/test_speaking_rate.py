"""Mandarin prompts are spoken at a hotline's pace, 4 to 5 characters a second, measured on
audio rendered for real with the service's voices (a few long prompts, not the catalog)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prompts.catalog import prompts
from prompts.manifest import read_manifest
from prompts.render import render_catalog
from prompts.voice import mulaw_samples

SAMPLE = (
    "menu.main",
    "menu.queries",
    "menu.after_report",
    "report.sms_after_call",
    "notice.real_name",
)
TELEPHONE_RATE = 8000  # samples a second, one byte each in μ-law


def characters(text: str) -> int:
    """Characters as a listener counts a prompt's length: all but spaces."""
    return len(re.sub(r"\s", "", text))


@pytest.mark.slow
def test_mandarin_prompts_are_spoken_at_four_to_five_characters_a_second(
    tmp_path: Path,
) -> None:
    catalog = {"zh-CN": {key: prompts("zh-CN")[key] for key in SAMPLE}, "en-US": {}}
    assert render_catalog(tmp_path, languages=["zh-CN"], catalog=catalog.__getitem__).ok

    rates = {}
    for (_, key), entry in read_manifest(tmp_path).items():
        seconds = len(mulaw_samples((tmp_path / entry.file).read_bytes())) / TELEPHONE_RATE
        rates[key] = round(characters(entry.text) / seconds, 2)
    assert set(rates) == set(SAMPLE)
    assert {key: rate for key, rate in rates.items() if not 4 <= rate <= 5} == {}
