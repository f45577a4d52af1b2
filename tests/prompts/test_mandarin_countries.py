"""Roaming destinations are named in the reader's language, never read out as a code."""

from __future__ import annotations

import pytest

from prompts.countries import country_name, names
from sms_followup.templates import text


@pytest.mark.parametrize(
    ("stored", "zh", "en"),
    [
        ("JP", "日本", "Japan"),
        ("jp", "日本", "Japan"),
        ("US", "美国", "the United States"),
        ("HK", "中国香港", "Hong Kong, China"),
        ("日本", "日本", "Japan"),
        ("Japan", "日本", "Japan"),
        ("United Kingdom", "英国", "the United Kingdom"),
        ("XQ", None, None),  # an unknown code: "abroad"
        ("", None, None),
        (None, None, None),
        ("Atlantis", "Atlantis", "Atlantis"),  # a name we do not know is kept
    ],
)
def test_a_stored_country_is_named_in_each_language(
    stored: str | None, zh: str | None, en: str | None
) -> None:
    assert country_name(stored, "zh-CN") == zh
    assert country_name(stored, "en-US") == en


def test_every_country_has_a_name_in_both_languages() -> None:
    for code, by_language in names().items():
        assert len(code) == 2 and code.isupper()
        assert set(by_language) == {"zh-CN", "en-US"}, code
        assert by_language["en-US"].isascii() and not by_language["zh-CN"].isascii()


def test_the_roaming_warning_names_the_country() -> None:
    zh = text("warning.roaming_step", "zh-CN", country=country_name("JP", "zh-CN"), used="12MB")
    en = text("warning.roaming_step", "en-US", country=country_name("JP", "en-US"), used="12MB")
    assert zh == "【中国联通】您今日在日本漫游流量已达12MB，请留意漫游费用。"
    assert en == "China Unicom: 12MB of roaming data used today in Japan. Roaming charges apply."
