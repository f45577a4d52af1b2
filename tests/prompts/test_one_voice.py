"""One voice per reply (issue 15): with prompt audio on, every line of every reply is
``<Play>`` (figures joined from pre-rendered clips); with it off, every line is ``<Say>``.

The walk crawls the call flows by keys and silence from every entry number and caller (both
languages), exploring each distinct state once, and checks every reply both ways: as the
app plays it with audio on, and as the same reply is said with audio off (the setting changes
only the renderer, so one walk serves both). The audio is rendered for real (pyttsx3 +
espeak-ng) once per test run, shared by the parallel workers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import string
import struct
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask

from hotline.container import Hotline
from ivr.reply import Hold, Line, Reply
from ivr.twiml import PROMPT_AUDIO_URL, Renderer
from prompts import spoken
from prompts.audio import PromptAudio, audio_blueprint
from prompts.catalog import LANGUAGES, prompts
from prompts.catalog import text as catalog_text
from prompts.manifest import ManifestEntry, write_manifest
from prompts.music import HOLD_MUSIC_TEXT
from prompts.render import render_all
from prompts.voice import (
    MissingClip,
    blocks,
    clip_catalog,
    clip_key,
    join,
    mulaw_samples,
    mulaw_wav,
    plan,
    trimmed,
)
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, STRANGER, Caller, TwilioClient
from tests.support.workers import exclusively, shared_between_workers

ENTRIES = [
    (number, caller)
    for number in ("10010", "1001011", "1001012", "1001013", "1001015")
    for caller in (DEMO_ZH, DEMO_EN)
] + [("10010", DEMO_ARREARS), ("10010", STRANGER), ("1001011", DEMO_ARREARS)]
MAX_DEPTH = 6


# -- the figures: every spoken form is made of clips ------------------------------------------


def _figures(language: str) -> Iterator[str]:
    for fen in [*range(0, 1000, 7), 1002, 2000, 2202, 10050, 123456, 20000000, 99999999]:
        yield spoken.money(fen, language)
    for n in [*range(0, 130), 200, 222, 1000, 2002, 10000, 20000, 100012, 123456789]:
        yield spoken.integer(n, language)
        yield spoken.count(n, language)
        yield spoken.hours(n, language)
    for kb in [0, 5, 1024, 2048, 300 * 1024, 1024**2, 2 * 1024**2, 2621440, 10 * 1024**2]:
        yield spoken.data_volume(kb, language)
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        yield spoken.date(day, language)
        day += dt.timedelta(days=1)
    for minute in range(0, 24 * 60, 7):
        yield spoken.time_of_day(dt.time(minute // 60, minute % 60), language)
    yield spoken.date_time(dt.datetime(2026, 12, 1, 3, 59), language)
    for month in range(1, 13):
        yield spoken.month(2026, month, language)
        yield spoken.month(2026, month, language, with_year=True)
    yield spoken.phone_number("13800138000", language)
    yield spoken.phone_number("12315", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_spoken_figure_is_made_of_clips(language: str) -> None:
    catalog = {language: {"line": "{figure}"}}
    clips = set(blocks(language))
    for figure in _figures(language):
        pieces = plan("line", {"figure": figure}, language, catalog.__getitem__)
        assert pieces, figure
        assert {piece.text for piece in pieces} <= clips, figure


def test_a_line_is_its_fixed_words_and_the_blocks_of_its_figures() -> None:
    pieces = plan("report.balance", {"amount": spoken.money(22222, "zh-CN")}, "zh-CN")
    said = "".join(p.text for p in pieces[1:])
    assert (pieces[0].text, said, len(pieces)) == ("您的账户余额为", "两百二十二元两角两分", 11)
    en = plan("report.balance", {"amount": spoken.money(12345, "en-US")}, "en-US")
    assert [p.text for p in en] == [
        "Your account balance is ", "one", "hundred", "twenty", "three", "yuan", "and",
        "forty", "five", "fen",
    ]  # fmt: skip


def test_a_value_that_is_a_catalog_prompt_is_that_prompts_audio() -> None:
    topic = prompts("zh-CN")["desk.topic.ios"]
    [fixed, value, rest] = plan("desk.no_expert", {"topic": topic}, "zh-CN")
    assert (value.text, value.prompt) == (topic, "desk.topic.ios")
    assert fixed.prompt is None and rest.prompt is None


def test_a_word_no_clip_speaks_is_missing() -> None:
    with pytest.raises(MissingClip):
        plan("report.balance", {"amount": "lots of money"}, "en-US")
    with pytest.raises(MissingClip):
        plan("report.balance", {"amount": "很多钱"}, "zh-CN")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_clip_catalog_holds_the_blocks_and_the_fixed_words(language: str) -> None:
    texts = set(clip_catalog(language).values())
    assert set(blocks(language)) <= texts
    assert "您的账户余额为" in texts or "Your account balance is " in texts
    assert all(key == clip_key(text) for key, text in clip_catalog(language).items())


def test_joining_is_concatenation_under_one_header() -> None:
    quiet, loud = b"\xff" * 800, bytes(range(0, 0x70)) * 4
    first, second = mulaw_wav(quiet + loud + quiet), mulaw_wav(loud)
    joined = join([trimmed(mulaw_samples(first)), trimmed(mulaw_samples(second))])
    samples = mulaw_samples(joined)
    assert samples == quiet[:320] + loud + quiet[:320] + loud
    encoding, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", joined[20:36])
    assert (encoding, channels, rate, byte_rate, align, bits) == (7, 1, 8000, 8000, 1, 8)
    assert int.from_bytes(joined[4:8], "little") == len(joined) - 8


# -- the walk ---------------------------------------------------------------------------------


@dataclass
class Heard:
    """A reply as the app rendered it, and as it is said with prompt audio off."""

    reply: Reply
    language: str
    twiml: ET.Element
    said: ET.Element


def recording(hotline: Hotline) -> list[Heard]:
    """Record every reply the renderer turns into TwiML, and what the same reply becomes
    with prompt audio off."""
    heard: list[Heard] = []
    render = hotline.renderer.render
    without_audio = Renderer(dataclasses.replace(hotline.settings, prompt_audio=False), None)

    def spy(reply: Reply, language: str) -> str:
        xml = render(reply, language)
        said = without_audio.render(reply, language)
        heard.append(Heard(reply, language, ET.fromstring(xml), ET.fromstring(said)))
        return xml

    hotline.renderer.render = spy  # type: ignore[method-assign]
    return heard


SAYINGS = {
    "zh-CN": ("投诉", "专家", "苹果手机怎么设置", "天气怎么样"),
    "en-US": ("complaint", "expert", "iphone settings", "the weather"),
}
ENTRIES_TYPED = ("000000", "123456", "13900139000")


def _act(caller: Caller, action: str) -> None:
    kind, _, value = action.partition(":")
    if kind == "silence":
        caller.stay_silent()
    elif kind == "say":
        caller.say(value)
    elif kind == "queue":
        assert caller.twiml is not None
        enqueue = caller.twiml.find("Enqueue")
        assert enqueue is not None
        caller.webhook(enqueue.get("waitUrl", ""), QueuePosition=value, QueueTime="95")
    else:
        caller.press(action)


def _actions(caller: Caller, language: str) -> list[str]:
    """What a caller can do at this point: keys (a string of digits where one is asked
    for), speech where it is listened for, silence, waiting in a queue, speaking after a beep."""
    twiml = caller.twiml
    assert twiml is not None
    actions: list[str] = []
    gather = caller.gather
    if gather is not None:
        if (gather.get("numDigits") or "1") != "1":
            actions += ENTRIES_TYPED
        actions += ["1", "2", "3", "4", "5", "9", "0", "*", "#"]
        if "speech" in (gather.get("input") or ""):
            actions += [f"say:{words}" for words in SAYINGS[language]]
    if twiml.find("Redirect") is not None:
        actions.append("silence:")
    if twiml.find("Enqueue") is not None:
        actions += ["queue:1", "queue:3"]
    # After a <Record> beep the walk stays silent: Twilio then falls through to the Redirect
    # (a recording would be fetched from Twilio's REST API).
    return actions


def walk(twilio: TwilioClient, heard: list[Heard]) -> int:
    """Crawl every state reachable within MAX_DEPTH steps (keys, digit strings, speech,
    silence, queue waits, recordings) from every entry, each caller's states explored once;
    return how many distinct states were seen. A state is who calls, the reply's prompt
    keys and what it waits for."""
    seen: set[Any] = set()
    # Breadth first, so that each state is explored from the shortest path to it.
    frontier: deque[tuple[tuple[str, str], tuple[str, ...]]] = deque(
        (entry, ()) for entry in ENTRIES
    )
    while frontier:
        (number, who), path = frontier.popleft()
        caller = Caller(twilio)
        caller.dial(number, who)
        for action in path:
            # What the calls before did (a complaint filed, a password locked) can change a
            # state: a path whose next step is no longer offered ends there.
            if action not in _actions(caller, heard[-1].language):
                break
            _act(caller, action)
        else:
            action = ""
        if action:
            continue
        last = heard[-1]
        key = (
            who,
            last.language,
            tuple(line.key for line in last.reply.lines),
            repr(last.reply.action),
        )
        if key in seen:
            continue
        seen.add(key)
        if len(path) < MAX_DEPTH:
            for action in _actions(caller, last.language):
                frontier.append(((number, who), (*path, action)))
    return len(seen)


# -- with prompt audio on ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def voiced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every static prompt and clip, rendered once per test run (about a minute on 2 cores):
    the first parallel worker to ask renders it, the others wait for it and reuse it."""
    out = shared_between_workers(tmp_path_factory) / "voiced"
    with exclusively(out.with_suffix(".lock")):
        report = render_all(out)
    assert report.failed == {}
    return out


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Prompt audio on, with everything rendered, for the tests that take ``voiced``."""
    if "voiced" not in request.fixturenames:
        return {}
    return {"prompt_audio": True, "prompt_audio_dir": str(request.getfixturevalue("voiced"))}


def wav_format(raw: bytes) -> tuple[int, int, int, int]:
    """Encoding, channels, rate and bits of a WAV file, and it has samples."""
    assert mulaw_samples(raw)
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", raw[20:36])
    return encoding, channels, rate, bits


@pytest.mark.slow
def test_every_reply_is_played_in_one_voice_and_said_with_audio_off(
    voiced: Path,
    app: Flask,
    hotline: Hotline,
    twilio: TwilioClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard = recording(hotline)
    states = walk(twilio, heard)
    assert states > 40
    client = app.test_client()
    base = hotline.settings.public_base_url.rstrip("/")
    transcripts: dict[str, str] = {}
    for entry in heard:
        assert entry.said.find(".//Play") is None, ET.tostring(entry.said, encoding="unicode")
        assert [say.text for say in entry.said.iter("Say")] == [
            catalog_text(line.key, line.language or entry.language, line.params)
            for line in entry.reply.lines
        ]
        xml = ET.tostring(entry.twiml, encoding="unicode")
        assert entry.twiml.find(".//Say") is None, xml
        # Twilio wants absolute URLs (error 14202): every one played, or waited on.
        plays = [play.text or "" for play in entry.twiml.iter("Play")]
        assert all(url.startswith(base + PROMPT_AUDIO_URL) for url in plays), xml
        waits = [enqueue.get("waitUrl", "") for enqueue in entry.twiml.iter("Enqueue")]
        assert all(url.startswith(f"{base}/voice/") for url in waits), xml
        expected = [
            catalog_text(line.key, line.language or entry.language, line.params)
            for line in entry.reply.lines
        ]
        if isinstance(entry.reply.action, Hold):  # the hold music, after any news
            expected.append(HOLD_MUSIC_TEXT)
        for url in plays:
            if url not in transcripts:
                with client.get(url.removeprefix(base)) as response:
                    assert response.status_code == 200, url
                    assert wav_format(response.data) == (7, 1, 8000, 8), url
                    transcripts[url] = unquote(response.headers["X-Prompt-Text"])
        assert [transcripts[url] for url in plays] == expected
    assert "prompt_audio.missing" not in caplog.text


@pytest.mark.slow
def test_a_missing_clip_makes_the_whole_reply_said(
    hotline: Hotline, voiced: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reply = Reply((Line("greeting.hotline"), Line("report.balance", {"amount": "很多钱"})))
    caplog.set_level(logging.WARNING)
    twiml = ET.fromstring(hotline.renderer.render(reply, "zh-CN"))
    assert twiml.find(".//Play") is None
    assert [say.text for say in twiml.iter("Say")] == [
        prompts("zh-CN")["greeting.hotline"],
        "您的账户余额为很多钱。",
    ]
    assert "prompt_audio.missing" in caplog.text
    ok = Reply((Line("greeting.hotline"), Line("report.balance", {"amount": "两元"})))
    played = ET.fromstring(hotline.renderer.render(ok, "zh-CN"))
    assert played.find(".//Say") is None and len(list(played.iter("Play"))) == 2


# -- joining, served, without rendering (fake clips) ----------------------------------------

FAKE_CATALOG = {
    "zh-CN": {"report.balance": "您的账户余额为{amount}。", "goodbye": "再见。"},
    "en-US": {"report.balance": "Your account balance is {amount}."},
}


@pytest.fixture
def fake_audio(tmp_path: Path) -> PromptAudio:
    """Every clip of FAKE_CATALOG as a tone of its own length, listed in clips/manifest.json."""
    clips = tmp_path / "clips"
    entries = {}
    for language in LANGUAGES:
        (clips / language).mkdir(parents=True)
        for key, text in clip_catalog(language, FAKE_CATALOG.__getitem__).items():
            file = f"{language}/{key}.wav"
            (clips / file).write_bytes(mulaw_wav(b"\xff" * 400 + b"\x10" * len(text) * 10))
            entries[(language, key)] = ManifestEntry(file, text, "h")
    write_manifest(clips, entries)
    return PromptAudio(tmp_path, catalog=FAKE_CATALOG.__getitem__)


def test_a_joined_line_is_served_with_its_text(fake_audio: PromptAudio) -> None:
    amount = spoken.money(20000, "zh-CN")
    name = fake_audio.line_path("report.balance", {"amount": amount}, "zh-CN")
    assert name is not None and name.startswith("lines/zh-CN/")
    assert fake_audio.line_path("report.balance", {"amount": amount}, "zh-CN") == name
    app = Flask(__name__)
    app.register_blueprint(audio_blueprint(fake_audio))
    with app.test_client().get(f"/voice/prompts/{name}") as response:
        assert response.status_code == 200
        assert unquote(response.headers["X-Prompt-Text"]) == "您的账户余额为两百元。"
        assert wav_format(response.data) == (7, 1, 8000, 8)
        pieces = ["您的账户余额为", "两", "百", "元"]  # 。 carries no speech
        loud = sum(len(text) * 10 for text in pieces)
        assert len(mulaw_samples(response.data)) == loud + len(pieces) * 320  # 40 ms before each
    assert (
        app.test_client().get("/voice/prompts/lines/zh-CN/" + "0" * 32 + ".wav").status_code == 404
    )


def test_a_clip_not_rendered_leaves_the_line_without_audio(
    fake_audio: PromptAudio, caplog: pytest.LogCaptureFixture
) -> None:
    (fake_audio.directory / "clips" / "manifest.json").unlink()
    assert fake_audio.line_path("report.balance", {"amount": "两元"}, "zh-CN") is None
    assert "not rendered" in caplog.text


def test_old_joined_lines_are_pruned(fake_audio: PromptAudio) -> None:
    name = fake_audio.line_path("report.balance", {"amount": "12 yuan"}, "en-US")
    assert name is not None
    assert fake_audio.prune_lines(max_age=3600) == 0
    old = time.time() - 7200
    for path in (fake_audio.directory / "lines").rglob("*.*"):
        os.utime(path, (old, old))
    assert fake_audio.prune_lines(max_age=3600) == 1
    assert fake_audio.prompt_in(name) is None


# -- every prompt of the catalog, with figures, in one voice ---------------------------------

_AT = dt.datetime(2026, 12, 1, 15, 42)


def _sample(key: str, field: str, language: str) -> str | None:
    """A figure for placeholder *field* of prompt *key*, as a flow fills it; None when
    the value is free text (a place name) that no clip can say."""
    volume = spoken.data_volume(2621440, language)
    by_field: dict[str, str] = {
        "amount": spoken.money(12345, language),
        "date": spoken.date(_AT.date(), language),
        "day": spoken.date(_AT.date(), language),
        "month": spoken.month(2026, 11, language),
        "position": spoken.integer(2, language),
        "minutes": spoken.integer(12, language),
        "remaining": spoken.integer(2, language),
        "unlock": spoken.date_time(_AT, language),
        "until": spoken.date_time(_AT, language),
        "deadline": spoken.date_time(_AT, language),
        "number": spoken.phone_number("13800138000", language),
        "hotline": spoken.phone_number("12300", language),
        "hours": spoken.hours(48, language),
        "open": spoken.time_of_day(dt.time(9), language),
        "close": spoken.time_of_day(dt.time(21), language),
        "topic": prompts(language)["desk.topic.ios"],
        "category": prompts(language)["bill.category.data"],
        "access": prompts(language)["access.WLAN"],
        "volume": volume,
        "last_three": volume,
        "this_month": volume,
    }
    if field in ("used", "remaining", "quota", "over"):
        data = ".data" in key
        return spoken.data_volume(3 * 1024**2, language) if data else spoken.count(222, language)
    return by_field.get(field)


DYNAMIC = [
    (language, key)
    for language in LANGUAGES
    for key, template in sorted(prompts(language).items())
    if "{" in template
]


@pytest.mark.slow
@pytest.mark.parametrize(("language", "key"), DYNAMIC)
def test_every_prompt_with_figures_is_played_in_one_voice(
    voiced: Path, language: str, key: str
) -> None:
    fields = [f for _, f, _, _ in string.Formatter().parse(prompts(language)[key]) if f]
    params = {field: _sample(key, field, language) for field in fields}
    free = [field for field, value in params.items() if value is None]
    if free:
        pytest.skip(f"free text in {free}: said with <Say> (no clip can say it)")
    filled = {field: value for field, value in params.items() if value is not None}
    audio = PromptAudio(voiced)
    name = audio.line_path(key, filled, language)
    assert name is not None
    raw = (voiced / name).read_bytes()
    assert wav_format(raw) == (7, 1, 8000, 8)
    prompt = audio.prompt_in(name)
    assert prompt is not None and prompt.text == catalog_text(key, language, filled)


def test_a_line_that_cannot_be_written_is_said(
    fake_audio: PromptAudio, caplog: pytest.LogCaptureFixture
) -> None:
    (fake_audio.directory / "lines").write_text("not a directory")
    assert fake_audio.line_path("report.balance", {"amount": "两元"}, "zh-CN") is None
    assert "cannot write" in caplog.text


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_static_prompt_has_audio(voiced: Path, language: str) -> None:
    """With the per-prompt test above: any reply of any state, walked or not, is played."""
    audio = PromptAudio(voiced)
    static = [key for key, text in prompts(language).items() if "{" not in text]
    assert [key for key in static if audio.path_for(key, language) is None] == []
