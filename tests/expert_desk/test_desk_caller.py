"""The caller's side of the expert desk, through its signed webhooks: the topic by keys or
words, the recorded question, the line and its news, callbacks, max length, max wait,
closed hours, hangups, and the connection to the expert."""

from __future__ import annotations

import datetime as dt
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from expert_desk import phone, recordings
from expert_desk.agents import set_status
from expert_desk.desk import Desk
from hotline.container import Hotline
from hotline.settings import load_settings
from ivr.config import ConfigError
from prompts.render import render_hold_music
from tests.support.caller import DEMO_EN, Caller
from tests.support.clocks import TestClock
from tests.support.desk import (
    FakeTelephony,
    add_agent,
    agent,
    db,
    desk_call,
    desk_of,
    events,
    offer_of,
)

DESK = {"desk_hours": "00:00-24:00", "desk_max_queue": 3, "desk_max_wait_s": 600}
# Closed from the start: the test clock starts at 10:00, Shanghai time (tests.support.clocks).
CLOSED_NOW = DESK | {"desk_hours": "12:00-13:00"}


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The desk open all day; with prompt audio on, for the tests that take ``hold_music``."""
    if "hold_music" not in request.fixturenames:
        return DESK
    audio = request.getfixturevalue("hold_music")
    return DESK | {"prompt_audio": True, "prompt_audio_dir": str(audio)}


@pytest.fixture(scope="session")
def hold_music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An audio directory with the hold music rendered in it, and no prompt: the lines are
    said, the music played."""
    out = tmp_path_factory.mktemp("hold-music")
    assert render_hold_music(out).ok
    return out


@pytest.fixture
def desk(app: Flask) -> Desk:
    desk = desk_of(app)
    desk.telephony = FakeTelephony()  # type: ignore[assignment]
    return desk


@pytest.fixture
def expert(desk: Desk) -> int:
    return add_agent(desk, "li.na.test", {"ios": 3, "apps": 2, "general": 1}, at=desk.now())


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, desk: Desk) -> list[tuple[bytes, str]]:
    """Recordings 'fetched' from Twilio and what the transcriber was asked."""
    asked: list[tuple[bytes, str]] = []
    monkeypatch.setattr(recordings, "fetch", lambda settings, url: b"RIFF-audio")

    def transcribe(wav: bytes, language: str) -> str | None:
        asked.append((wav, language))
        return "wechat keeps crashing on my phone"

    desk.transcribe = transcribe
    return asked


RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"


def at_desk(caller: Caller, language_key: str = "1") -> Caller:
    return caller.dial("10010").press(language_key).press("4")


def record(caller: Caller, url: str = RECORDING, seconds: str = "6") -> Caller:
    return caller.webhook(
        "/voice/desk/question", RecordingUrl=url, RecordingDuration=seconds, Digits="#"
    )


def on_break(desk: Desk, agent_id: int) -> None:
    """Logged in (the caller may join the line) but taking no calls."""
    with db(desk) as session:
        set_status(session, agent_id, "break", "lunch", desk.now())


def latest(desk: Desk) -> int:
    [*_, last] = events(desk, "entered") or events(desk)
    assert last.desk_call_id is not None
    return last.desk_call_id


def test_the_topic_question_listens_for_keys_and_words_at_the_desks_own_webhook(
    caller: Caller,
) -> None:
    at_desk(caller)

    gather = caller.gather
    assert gather is not None
    assert (gather.get("action"), gather.get("input")) == ("/voice/desk/topic", "dtmf speech")
    assert gather.get("language") == "cmn-Hans-CN"
    assert "苹果iOS系统请按2" in caller.last_heard


def test_a_key_picks_the_topic_then_the_question_is_recorded(caller: Caller) -> None:
    at_desk(caller).press("2")

    assert caller.twiml is not None
    record_verb = caller.twiml.find("Record")
    assert record_verb is not None
    assert record_verb.get("action") == "/voice/desk/question"
    assert (record_verb.get("maxLength"), record_verb.get("finishOnKey")) == ("30", "#")
    redirect = caller.twiml.find("Redirect")
    assert redirect is not None and redirect.text == "/voice/desk/question"
    assert "提示音后" in caller.last_heard


def test_the_recorded_question_is_transcribed_and_the_caller_joins_the_skills_queue(
    caller: Caller, desk: Desk, expert: int, recorded: list[tuple[bytes, str]]
) -> None:
    record(at_desk(caller).press("2"))

    assert caller.twiml is not None
    enqueue = caller.twiml.find("Enqueue")
    assert enqueue is not None and enqueue.text == "expert-desk"
    assert enqueue.get("waitUrl") == "http://hotline.test/voice/desk/wait"  # PUBLIC_BASE_URL
    assert enqueue.get("action") == "/voice/desk/done"
    assert "您是下一位" in caller.last_heard
    assert recorded == [(b"RIFF-audio", "zh-CN")]
    row = desk_call(desk, latest(desk))
    assert (row.topic, row.transcript_source, row.recording_s) == ("ios", "recording", 6)
    assert row.transcript == "wechat keeps crashing on my phone"
    assert row.phone_model == "Huawei Mate 60"
    assert row.recording_url == RECORDING


def test_when_the_caller_chose_other_the_topic_is_inferred_from_the_transcript(
    caller: Caller, desk: Desk, expert: int, recorded: list[tuple[bytes, str]]
) -> None:
    record(at_desk(caller).press("6"))

    row = desk_call(desk, latest(desk))
    assert (row.topic, row.skill, row.topic_source) == ("apps", "apps", "transcript")


def test_skipping_the_recording_joins_the_line_without_a_question(
    caller: Caller, desk: Desk, expert: int
) -> None:
    at_desk(caller).press("2")
    caller.webhook("/voice/desk/question")  # nothing recorded: Twilio falls through

    assert caller.enqueued == "expert-desk"
    row = desk_call(desk, latest(desk))
    assert (row.transcript, row.recording_url) == (None, None)


def test_a_mandarin_recording_that_cannot_be_transcribed_offline_still_joins_the_line(
    caller: Caller, desk: Desk, expert: int, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recordings, "fetch", lambda settings, url: b"RIFF-audio")
    desk.transcribe = recordings.transcriber(hotline.recognizer)  # the real backend

    record(at_desk(caller).press("2"))

    assert caller.enqueued == "expert-desk"
    row = desk_call(desk, latest(desk))
    assert (row.transcript, row.recording_s) == (None, 6)


def test_recordings_are_only_fetched_from_twilios_api_host(app: Flask) -> None:
    settings = desk_of(app).settings
    assert recordings.recording_allowed(settings, RECORDING)
    assert not recordings.recording_allowed(settings, "http://169.254.169.254/latest/meta-data")
    assert not recordings.recording_allowed(settings, "file:///etc/passwd")


@pytest.mark.parametrize(
    ("said", "topic"),
    [
        ("我的iPhone连不上WiFi", "ios"),
        ("微信收不到消息怎么办", "apps"),
        ("手机热点怎么打开", "settings"),
        ("系统更新以后很卡", "harmonyos"),  # the caller's Huawei Mate 60
        ("我有个问题想咨询", "other"),
    ],
)
def test_words_at_the_topic_question_are_the_question_and_name_the_topic(
    caller: Caller, desk: Desk, said: str, topic: str
) -> None:
    add_agent(
        desk, "all.round", {s: 1 for s in ("ios", "apps", "settings", "harmonyos", "general")}
    )

    at_desk(caller).say(said)

    assert caller.enqueued == "expert-desk"
    row = desk_call(desk, latest(desk))
    assert (row.topic, row.transcript, row.transcript_source) == (topic, said, "speech")


def test_words_that_ask_for_an_agent_still_mean_an_agent(caller: Caller, desk: Desk) -> None:
    at_desk(caller).say("转人工")

    assert desk_call(desk, latest(desk)).topic == "general"
    assert caller.said[0] == "抱歉，目前没有人工客服在线。"  # nobody with the general skill


def test_english_callers_hear_the_desk_in_english(caller: Caller) -> None:
    caller.dial("10010", from_number=DEMO_EN).press("2").press("4")

    assert "For Apple iOS, press 2" in caller.last_heard


def test_no_expert_with_the_skill_logged_in_offers_a_callback_or_an_agent(
    caller: Caller, desk: Desk
) -> None:
    at_desk(caller).press("2")
    caller.webhook("/voice/desk/question")

    assert caller.twiml is not None
    offer, silence = caller.twiml
    assert (offer.tag, offer.get("action"), offer.get("input"), offer.get("language")) == (
        "Gather",
        "/voice/step",
        "dtmf speech",
        "cmn-Hans-CN",
    )
    assert caller.said == [
        "抱歉，目前没有负责苹果iOS系统的专家在线。",
        "如需回电，并为您保留排队位置，请按1。",
        "转人工服务，请按0。",
    ]
    assert [say.text for say in offer.iter("Say")] == caller.said  # a key cuts them short
    assert (silence.tag, silence.text) == ("Redirect", "/voice/no-input")
    caller.press("0")
    assert desk_call(desk, latest(desk)).topic == "general"
    assert caller.said == ["抱歉，目前没有人工客服在线。", "如需回电，并为您保留排队位置，请按1。"]
    assert [e.detail for e in events(desk, "left")] == [{"reason": "no_expert"}] * 2


@pytest.mark.parametrize("settings_overrides", [CLOSED_NOW], ids=["closed"])
def test_closed_hours_say_the_hours_and_book_a_callback_that_joins_the_line(
    caller: Caller, desk: Desk, expert: int
) -> None:
    closed = "专家坐席的服务时间为每天中午十二点至下午一点，现在是非服务时间。"
    at_desk(caller)
    assert caller.said == [
        "欢迎使用智能终端专家坐席，我们的专家为您解答手机设置、操作系统和常用应用的问题。",
        closed,
        "手机设置请按1，苹果iOS系统请按2，安卓系统请按3，华为鸿蒙系统请按4，"
        "微信等第三方应用请按5，其他问题请按6。您也可以直接说出您的问题。",
    ]
    caller.press("2")
    caller.webhook("/voice/desk/question")
    assert caller.said == [closed, "如需回电，并为您保留排队位置，请按1。", "转人工服务，请按0。"]

    caller.press("1")
    assert caller.said == ["我们将回电至幺三八零零幺三八零零零。确认请按1，返回请按2。"]
    caller.press("1")

    assert caller.hung_up
    assert caller.said == [  # out of hours: when the call comes, not "your place is kept"
        "好的，专家将在每天中午十二点至下午一点的服务时间内回电至幺三八零零幺三八零零零。",
        "感谢您的来电，再见。",
    ]
    row = desk_call(desk, latest(desk))
    assert (row.status, row.mode) == ("waiting", "callback")
    assert [e.kind for e in events(desk) if e.desk_call_id == row.id][-2:] == [
        "entered",
        "callback_requested",
    ]


def test_a_full_line_turns_the_next_caller_to_the_alternatives(
    twilio: Any, desk: Desk, expert: int
) -> None:
    for _ in range(3):
        at_desk(Caller(twilio)).say("iPhone")
    last = at_desk(Caller(twilio)).say("iPhone")

    assert "排队人数已满" in last.last_heard
    assert events(desk, "left")[-1].detail == {"reason": "full"}


def test_the_wait_music_listens_for_star_and_announces_only_when_due(
    twilio: Any, desk: Desk, clock: TestClock
) -> None:
    on_break(desk, add_agent(desk, "busy.one", {"ios": 1}))
    first = at_desk(Caller(twilio)).say("iPhone")
    second = at_desk(Caller(twilio)).say("iPhone")
    started = clock.now()

    def wait_at(seconds: int) -> str:
        clock.set(started + dt.timedelta(seconds=seconds))
        second.webhook("/voice/desk/wait", QueuePosition="2", QueueTime=str(seconds))
        return second.last_heard

    assert wait_at(0) == ""  # just told at joining
    assert second.twiml is not None
    gather = second.twiml.find("Gather")
    assert gather is not None
    assert (gather.get("action"), gather.get("numDigits"), gather.get("input")) == (
        "/voice/desk/wait/key",
        "1",
        "dtmf",
    )
    pause = gather.find("Pause")
    assert pause is not None and pause.get("length") == "20"
    assert "您现在排在第二位" in wait_at(61)
    assert "按星号键" in second.last_heard
    assert wait_at(90) == ""  # at most one announcement a minute
    first.webhook("/voice/desk/done", QueueResult="hangup")
    assert "您是下一位" in wait_at(125)
    assert wait_at(400) == ""  # told they are next: never again


def test_the_wait_music_plays_the_hold_music_between_announcements_and_once_next(
    twilio: Any, app: Flask, desk: Desk, clock: TestClock, hold_music: Path
) -> None:
    """A waitUrl replaces Twilio's own music: the desk plays its own, at an absolute URL,
    never silence, and the app serves it as telephone audio."""
    on_break(desk, add_agent(desk, "busy.one", {"ios": 1}))
    first = at_desk(Caller(twilio)).say("iPhone")
    second = at_desk(Caller(twilio)).say("iPhone")
    started = clock.now()

    def wait_at(seconds: int) -> ET.Element:
        clock.set(started + dt.timedelta(seconds=seconds))
        second.webhook("/voice/desk/wait", QueuePosition="2", QueueTime=str(seconds))
        gather = second.gather
        assert gather is not None and gather.find("Pause") is None
        assert gather[-1].tag == "Play"  # the music after the news, if any
        return gather

    def heard_at(seconds: int) -> tuple[str, list[str]]:
        """What is said, and the URLs played, in the wait music at *seconds*."""
        gather = wait_at(seconds)
        return " ".join(second.said), [play.text or "" for play in gather.iter("Play")]

    heard = [heard_at(0), heard_at(61), heard_at(90)]
    first.webhook("/voice/desk/done", QueueResult="hangup")
    heard += [heard_at(125), heard_at(400)]
    saying = [said for said, _ in heard]
    assert saying[0] == saying[2] == saying[4] == ""  # nothing due: the music alone
    assert "您现在排在第二位" in saying[1] and "您是下一位" in saying[3]
    assert all(len(played) == 1 for _, played in heard)
    [url] = {url for _, played in heard for url in played}
    assert url.startswith("http://hotline.test/voice/prompts/music/"), url
    with app.test_client().get(url.removeprefix("http://hotline.test")) as served:
        assert served.status_code == 200 and served.mimetype == "audio/wav"
        encoding, channels, rate = struct.unpack("<HHI", served.data[20:28])
        assert (encoding, channels, rate) == (7, 1, 8000)  # μ-law, mono, 8 kHz


def test_without_hold_music_the_wait_is_silence_and_the_operator_is_told(
    twilio: Any, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """With prompt audio off (or never rendered) and no DESK_HOLD_MUSIC_URL there is no
    music to play: Twilio's own plays only without a waitUrl."""
    on_break(desk, add_agent(desk, "busy.one", {"ios": 1}))
    at_desk(Caller(twilio)).say("iPhone")
    waiting = at_desk(Caller(twilio)).say("iPhone").webhook("/voice/desk/wait", QueuePosition="2")

    gather = waiting.gather
    assert gather is not None and gather.find("Play") is None
    pause = gather.find("Pause")
    assert pause is not None and pause.get("length") == "20"
    assert "hold_music.missing" in caplog.text


@pytest.mark.parametrize(
    "settings_overrides", [DESK | {"desk_hold_music_url": "https://cdn.example/hold.wav"}]
)
def test_the_operators_hold_music_plays_when_configured(twilio: Any, desk: Desk) -> None:
    on_break(desk, add_agent(desk, "busy.one", {"ios": 1}))
    at_desk(Caller(twilio)).say("iPhone")
    waiting = at_desk(Caller(twilio)).say("iPhone").webhook("/voice/desk/wait", QueuePosition="2")

    gather = waiting.gather
    assert gather is not None
    assert [play.text for play in gather.iter("Play")] == ["https://cdn.example/hold.wav"]


def test_an_operators_hold_music_must_be_an_absolute_url() -> None:
    with pytest.raises(ConfigError, match="DESK_HOLD_MUSIC_URL must be an absolute"):
        load_settings({"DESK_HOLD_MUSIC_URL": "/static/hold.wav"})


def test_the_announcement_names_the_position_and_an_honest_estimate(
    twilio: Any, desk: Desk
) -> None:
    busy = add_agent(desk, "busy.one", {"ios": 1}, at=desk.now())
    first = at_desk(Caller(twilio)).say("iPhone")
    desk.tick()
    desk.accept(busy, offer_of(desk, busy))
    second = at_desk(Caller(twilio)).say("iPhone")
    third = at_desk(Caller(twilio)).say("iPhone")

    assert first.enqueued and second.enqueued
    assert "您是下一位" in second.last_heard
    assert "预计等待时间约七分钟" in second.last_heard  # the default handle time, 420 s
    assert "您现在排在第二位" in third.last_heard
    assert "预计等待时间约十四分钟" in third.last_heard


@pytest.mark.postgres
def test_star_while_waiting_books_a_callback_that_keeps_the_place(
    caller: Caller, desk: Desk, expert: int
) -> None:
    on_break(desk, expert)
    at_desk(caller).say("iPhone")
    row = desk_call(desk, latest(desk))

    caller.webhook("/voice/desk/wait/key", Digits="*")
    assert caller.twiml is not None and caller.twiml.find("Leave") is not None
    caller.webhook("/voice/desk/done", QueueResult="leave", QueueTime="30")
    assert "确认请按1" in caller.last_heard  # the number is read back first
    assert desk_call(desk, row.id).mode == "line"
    caller.press("1")

    assert caller.hung_up
    assert "您的排队位置已为您保留" in caller.last_heard
    after = desk_call(desk, row.id)
    assert (after.mode, after.status, after.entered_at) == ("callback", "waiting", row.entered_at)


def test_past_the_max_wait_the_caller_leaves_and_is_offered_a_callback_keeping_the_place(
    caller: Caller, desk: Desk, expert: int, clock: TestClock
) -> None:
    on_break(desk, expert)
    at_desk(caller).say("iPhone")
    row = desk_call(desk, latest(desk))
    clock.advance(601)

    caller.webhook("/voice/desk/wait", QueuePosition="1")
    assert caller.twiml is not None and caller.twiml.find("Leave") is not None
    caller.webhook("/voice/desk/done", QueueResult="leave")
    assert "让您久等了" in caller.last_heard
    caller.press("1").press("1")

    assert caller.hung_up
    after = desk_call(desk, row.id)
    assert (after.mode, after.status, after.entered_at) == ("callback", "waiting", row.entered_at)
    assert events(desk, "left")[-1].detail["reason"] == "max_wait"


def test_hanging_up_in_the_line_is_counted_as_abandoned_with_position_and_wait(
    caller: Caller, desk: Desk, clock: TestClock
) -> None:
    on_break(desk, add_agent(desk, "on.break", {"ios": 1}))
    at_desk(caller).say("iPhone")
    clock.advance(42)

    caller.webhook("/voice/desk/done", QueueResult="hangup", QueueTime="42")

    [abandoned] = events(desk, "abandoned")
    assert abandoned.detail["position"] == 1
    assert abandoned.detail["wait_s"] >= 42
    assert abandoned.detail["reason"] == "hangup"


def test_a_status_callback_for_a_caller_in_line_counts_the_abandon_at_the_next_tick(
    caller: Caller, desk: Desk
) -> None:
    on_break(desk, add_agent(desk, "on.break", {"ios": 1}))
    at_desk(caller).say("iPhone")

    caller.hang_up()
    desk.tick()

    assert events(desk, "abandoned")[0].detail["reason"] == "status_callback"


@pytest.mark.postgres
def test_accepted_call_dials_the_expert_and_wraps_up_after(
    caller: Caller, desk: Desk, expert: int
) -> None:
    at_desk(caller).say("iPhone")
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    row = desk_call(desk, latest(desk))

    caller.webhook(f"/voice/desk/connect/{row.id}")
    assert caller.twiml is not None
    dial = caller.twiml.find("Dial")
    assert dial is not None and dial.get("action") == f"/voice/desk/dialed/{row.id}"
    client = dial.find("Client")  # the agent's browser phone: letters, digits, _ only
    assert client is not None and client.text == phone.identity(expert) == f"agent_{expert}"
    assert "正在为您接通专家" in caller.last_heard

    caller.webhook(
        f"/voice/desk/dialed/{row.id}", DialCallStatus="completed", DialCallDuration="95"
    )
    assert caller.hung_up
    assert desk_call(desk, row.id).talk_s == 95
    assert agent(desk, expert).state == "wrap_up"


def test_a_connect_request_from_another_call_is_refused(
    caller: Caller, twilio: Any, desk: Desk, expert: int
) -> None:
    at_desk(caller).say("iPhone")
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    row = desk_call(desk, latest(desk))

    intruder = Caller(twilio).dial("10010")
    intruder.webhook(f"/voice/desk/connect/{row.id}")

    assert intruder.hung_up and intruder.twiml is not None
    assert intruder.twiml.find("Dial") is None


def test_the_expert_not_answering_puts_the_caller_back_in_the_line(
    caller: Caller, desk: Desk, expert: int
) -> None:
    at_desk(caller).say("iPhone")
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    row = desk_call(desk, latest(desk))
    caller.webhook(f"/voice/desk/connect/{row.id}")

    caller.webhook(f"/voice/desk/dialed/{row.id}", DialCallStatus="no-answer", DialCallDuration="0")

    assert caller.enqueued == "expert-desk"
    assert "优先转接下一位专家" in caller.last_heard
    assert desk_call(desk, row.id).status == "waiting"


def test_desk_webhooks_refuse_unsigned_requests(twilio: Any) -> None:
    response = twilio.post("/voice/desk/wait", {"CallSid": "CA" + "0" * 32}, signed=False)

    assert response.status_code == 403


def test_a_malformed_webhook_is_a_400(twilio: Any) -> None:
    response = twilio.post("/voice/desk/wait", {"CallSid": "nonsense", "From": "1", "To": "2"})

    assert response.status_code == 400


def test_a_retried_question_webhook_holds_the_caller_again_without_a_second_place(
    caller: Caller, desk: Desk, expert: int
) -> None:
    at_desk(caller).press("2")
    caller.webhook("/voice/desk/question")

    caller.webhook("/voice/desk/question")

    assert caller.enqueued == "expert-desk"
    assert len(events(desk, "entered")) == 1
