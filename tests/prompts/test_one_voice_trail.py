"""The data-usage trail in one voice (issue 24): with the demo subscribers' realistic sessions
(places such as 南京, 5G and 4G), every reply on the way to the trail and back is ``<Play>``.

The walk goes twice. First with audio off, to learn which prompts and clips the replies are
made of; only those are rendered (pyttsx3 + espeak-ng, a few dozen files rather than the
whole catalog). Then with audio on: no reply may fall back to ``<Say>``.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask

from hotline.container import Hotline
from ivr.reply import Reply
from ivr.twiml import Renderer
from prompts.catalog import LANGUAGES, prompts
from prompts.catalog import text as catalog_text
from prompts.render import is_static, render_catalog
from prompts.voice import MissingClip, clip_key, plan
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, Caller, TwilioClient

DATA_CARD, HEAVY = "18600186000", "18500185000"
CALLERS = (DEMO_ZH, DEMO_EN, DEMO_ARREARS, DATA_CARD, HEAVY)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"prompt_audio": True, "prompt_audio_dir": str(tmp_path / "audio")}


def walk_the_trail(twilio: TwilioClient) -> None:
    """Each demo subscriber: 1001012, the trail (3), the trail in the other language (2)."""
    for number in CALLERS:
        Caller(twilio).dial("1001012", number).press("3").press("2")


Heard = list[tuple[Reply, str, ET.Element]]


def walk(hotline: Hotline, twilio: TwilioClient, audio: bool) -> Heard:
    """:func:`walk_the_trail`, recording each reply and its TwiML: as the app renders it
    (*audio*), or said, by a renderer of its own (so that the app's renderer, which keeps
    what it built, builds no reply before the audio is there)."""
    heard: Heard = []
    app_render = hotline.renderer.render
    said = Renderer(dataclasses.replace(hotline.settings, prompt_audio=False), None)
    render = app_render if audio else said.render

    def spy(reply: Reply, language: str) -> str:
        xml = render(reply, language)
        heard.append((reply, language, ET.fromstring(xml)))
        return xml

    hotline.renderer.render = spy  # type: ignore[method-assign]
    try:
        walk_the_trail(twilio)
    finally:
        hotline.renderer.render = app_render  # type: ignore[method-assign]
    return heard


def needed(heard: Heard) -> tuple[dict[str, dict[str, str]], ...]:
    """The static prompts and the clips the replies are made of, by language; a value no clip
    says fails the test here."""
    static: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    clips: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for reply, reply_language, _ in heard:
        for line in reply.lines:
            language = line.language or reply_language
            template = prompts(language)[line.key]
            if is_static(template):
                static[language][line.key] = template
                continue
            try:
                pieces = plan(line.key, line.params, language)
            except MissingClip as missing:
                pytest.fail(f"{line.key} {dict(line.params)}: no clip for {missing}")
            for piece in pieces:
                if piece.prompt is not None:
                    static[language][piece.prompt] = prompts(language)[piece.prompt]
                else:
                    clips[language][clip_key(piece.text)] = piece.text
    return static, clips


def catalog_of(tables: Mapping[str, Mapping[str, str]]) -> Callable[[str], Mapping[str, str]]:
    return lambda language: tables[language]


@pytest.mark.slow
def test_the_trail_with_realistic_data_is_played_in_one_voice(
    app: Flask, hotline: Hotline, twilio: TwilioClient
) -> None:
    first = walk(hotline, twilio, audio=False)
    trail = [reply for reply, _, _ in first if reply.lines[0].key.startswith("report.trail.")]
    assert len(trail) == 2 * len(CALLERS)
    assert any(line.key == "report.trail.top_day" for reply in trail for line in reply.lines)
    static, clips = needed(first)
    directory = Path(hotline.settings.prompt_audio_dir)
    for out, tables in ((directory, static), (directory / "clips", clips)):
        report = render_catalog(out, catalog=catalog_of(tables))
        assert report.failed == {}

    played = walk(hotline, twilio, audio=True)
    client = app.test_client()
    assert len(played) == len(first)
    for reply, language, twiml in played:
        assert twiml.find(".//Say") is None, ET.tostring(twiml, encoding="unicode")
        urls = [play.text or "" for play in twiml.iter("Play")]
        heard = []
        for url in urls:
            with client.get(urlsplit(url).path) as response:
                assert response.status_code == 200, url
                heard.append(unquote(response.headers["X-Prompt-Text"]))
        assert heard == [
            catalog_text(line.key, line.language or language, line.params) for line in reply.lines
        ]
