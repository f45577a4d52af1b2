"""Every SMS template exists in both languages with the same placeholders, and proactive
reminders fit one segment (70 Chinese characters, 160 GSM ones) even with long figures."""

from __future__ import annotations

import string

import pytest

from sms_followup.templates import segments, templates, text
from tests.support.english import awkward

LANGUAGES = ("zh-CN", "en-US")

# The longest values each placeholder takes in a reminder.
WORST = {
    "zh-CN": {
        "remaining": "1023MB",
        "pct": "20",
        "quota": "1023.9GB",
        "over": "1023.9GB",
        "used": "1023.9GB",
        "months": "3",
        "date": "12月31日",
        "country": "阿拉伯联合酋长国",
        "network": "Telenor Maritime",
        "data": "999.99元",
        "balance": "99999.99元",
        "threshold": "999.99元",
        "arrears": "99999.99元",
        "days": "3天",
    },
    "en-US": {
        "remaining": "1023MB",
        "pct": "20",
        "quota": "1023.9GB",
        "over": "1023.9GB",
        "used": "1023.9GB",
        "months": "3",
        "date": "31 Dec",
        "country": "United Arab Emirates",
        "network": "Telenor Maritime",
        "data": "CNY 999.99",
        "balance": "CNY 99999.99",
        "threshold": "CNY 999.99",
        "arrears": "CNY 99999.99",
        "days": "3 days",
    },
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_sms_template_key_exists_in_both_languages() -> None:
    zh, en = (set(templates(lang)) for lang in LANGUAGES)
    assert zh == en, f"only in one language: {sorted(zh ^ en)}"


@pytest.mark.parametrize("key", sorted(templates("zh-CN")))
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    assert _placeholders(templates("zh-CN")[key]) == _placeholders(templates("en-US")[key])


@pytest.mark.parametrize("key", sorted(templates("en-US")))
def test_english_templates_stay_in_the_gsm_alphabet(key: str) -> None:
    assert templates("en-US")[key].isascii(), "a non-ASCII character makes it a 70-char UCS-2 SMS"


@pytest.mark.parametrize("key", sorted(templates("en-US")))
def test_english_templates_read_as_a_native_speaker_writes(key: str) -> None:
    assert awkward(templates("en-US")[key]) == []  # e.g. not "runs out within 3 day(s)"


REMINDER_KEYS = sorted(k for k in templates("zh-CN") if k.startswith(("reminder.", "warning.")))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", REMINDER_KEYS)
def test_every_reminder_fits_one_segment_with_its_longest_figures(key: str, language: str) -> None:
    body = text(key, language, **WORST[language])
    assert segments(body) == 1, f"{len(body)} characters: {body}"
