"""International roaming (issue 16): services menu 3 hears whether roaming is on, switches it
on or off (confirmed by key), names the destination by key or by voice and whether the trip
is by sea; the SMS after the call carries the destination's tariffs, the daily 10 MB
reminder's promise and, by sea, the maritime warning; the first attach in a country on a
trip gets the landing SMS, once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from flows.roaming import DESTINATION_KEYS, SPOKEN_DESTINATIONS
from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Account, Subscriber
from prompts import catalog, spoken, voice
from prompts.countries import names
from sms_followup import reminders, roaming
from sms_followup.models import OutboxMessage
from sms_followup.settings import SmsSettings
from tests.support.caller import DEMO_EN, DEMO_ZH, Caller
from tests.support.sms import deliver, handset
from tests.support.trail import NOW, ingest_jsonl, local

pytestmark = pytest.mark.clock(NOW, running=False)


def subscriber(hotline: Hotline, msisdn: str = DEMO_ZH) -> Subscriber:
    with hotline.sessions() as session:
        found = session.scalars(Subscriber.by_msisdn(msisdn)).one()
        session.expunge(found)
        return found


def to_roaming(caller: Caller, msisdn: str = DEMO_ZH) -> Caller:
    """Main menu 2 (services), key 3 (roaming)."""
    return (
        caller.dial("10010", msisdn).press("1" if msisdn == DEMO_ZH else "2").press("2").press("3")
    )


def switch_on_for_japan(caller: Caller, by_sea: bool) -> Caller:
    return to_roaming(caller).press("1").press("1").press("1").press("1" if by_sea else "2")


# -- the menu ---------------------------------------------------------------------------------


def test_services_menu_offers_roaming_on_key_3(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("2")
    assert "国际漫游请按3" in caller.last_heard
    caller.press("3")
    assert "您的国际漫游未开通。" in caller.last_heard
    assert "开通国际漫游请按1" in caller.last_heard


def test_switching_on_is_confirmed_by_key_then_the_destination_and_the_sea(
    caller: Caller, hotline: Hotline
) -> None:
    to_roaming(caller).press("1")
    assert "确认开通请按1" in caller.last_heard
    assert not subscriber(hotline).roaming_on  # not before the confirmation
    caller.press("1")
    assert "国际漫游已为您开通。" in caller.last_heard
    assert "日本请按1，韩国请按2，泰国请按3，美国请按4" in caller.last_heard
    caller.press("1")
    assert "已为您登记前往日本的行程。" in caller.last_heard
    assert "如果乘坐邮轮或轮船出行，请按1" in caller.last_heard
    caller.press("1")
    heard = caller.last_heard
    assert "海事卫星网络" in heard and "关闭手机的数据漫游" in heard
    assert "挂机后，目的地的漫游资费和每日流量提醒说明将以短信发送到您的手机。" in heard
    assert heard.count("短信发送") == 1 and "查询结果" not in heard  # announced once
    stored = subscriber(hotline)
    assert (stored.roaming_on, stored.roaming_destination, stored.roaming_by_sea) == (
        True,
        "JP",
        True,
    )
    assert stored.roaming_since == NOW  # the clock the call was given, not the wall clock


def test_star_at_the_confirmation_changes_nothing(caller: Caller, hotline: Hotline) -> None:
    to_roaming(caller).press("1").press("*")
    assert "开通国际漫游请按1" in caller.last_heard
    assert not subscriber(hotline).roaming_on


def test_the_menu_reads_the_trip_and_switching_off_ends_it(
    caller: Caller, hotline: Hotline
) -> None:
    switch_on_for_japan(caller, by_sea=True).hang_up()
    caller = Caller(caller.twilio)  # the next call
    to_roaming(caller)
    heard = caller.last_heard
    assert "您的国际漫游已开通。 您登记的行程是3月11日起乘船前往日本。" in heard
    assert "关闭国际漫游请按1，登记或更改出行目的地请按2" in heard
    caller.press("1")
    assert "确认关闭请按1" in caller.last_heard
    caller.press("1")
    assert "国际漫游已为您关闭。" in caller.last_heard
    stored = subscriber(hotline)
    assert not stored.roaming_on
    assert (stored.roaming_destination, stored.roaming_since, stored.roaming_by_sea) == (
        None,
        None,
        False,
    )


def test_key_2_needs_roaming_on(caller: Caller) -> None:
    to_roaming(caller).press("2")
    assert "开通国际漫游请按1" in caller.last_heard  # asked again


@pytest.mark.parametrize(("key", "code"), sorted(DESTINATION_KEYS.items()))
def test_each_destination_key(caller: Caller, hotline: Hotline, key: str, code: str) -> None:
    to_roaming(caller).press("1").press("1").press(key).press("2")
    assert subscriber(hotline).roaming_destination == code
    assert not subscriber(hotline).roaming_by_sea


@pytest.mark.parametrize(
    ("said", "code"),
    [("日本", "JP"), ("我要去韩国", "KR"), ("泰国", "TH"), ("去美国", "US"), ("香港", "HK")],
)
def test_the_destination_by_voice(caller: Caller, hotline: Hotline, said: str, code: str) -> None:
    to_roaming(caller).press("1").press("1").say(said)
    assert "的行程" in caller.last_heard
    assert subscriber(hotline).roaming_destination == code


def test_key_5_asks_for_the_name_and_hears_it(caller: Caller, hotline: Hotline) -> None:
    to_roaming(caller).press("1").press("1").press("5")
    assert "请说出您要前往的国家或地区名称" in caller.last_heard
    caller.say("新加坡")
    assert "已为您登记前往新加坡的行程。" in caller.last_heard
    assert subscriber(hotline).roaming_destination == "SG"


def test_an_english_caller_names_the_destination_and_a_cruise(
    caller: Caller, hotline: Hotline
) -> None:
    to_roaming(caller, DEMO_EN)
    assert "International roaming is off for your number." in caller.last_heard
    caller.press("1").press("1")
    assert "For Japan, press 1." in caller.last_heard
    caller.say("I am going to Japan")
    assert "Your trip to Japan is noted." in caller.last_heard
    caller.say("on a cruise")
    assert "maritime satellite networks" in caller.last_heard
    stored = subscriber(hotline, DEMO_EN)
    assert (stored.roaming_destination, stored.roaming_by_sea) == ("JP", True)


def test_roaming_by_name_from_the_main_menu_and_a_country_elsewhere_is_not_a_service(
    caller: Caller,
) -> None:
    caller.dial("10010", DEMO_ZH).press("1").say("国际漫游")
    assert "您的国际漫游未开通。" in caller.last_heard
    # At the main menu a country leads nowhere: asked again, not routed.
    other = Caller(caller.twilio)
    other.dial("10010", DEMO_ZH).press("1").say("日本")
    assert "没有听懂" in other.last_heard


# -- the SMS after the call ---------------------------------------------------------------


@pytest.mark.postgres
def test_after_hangup_the_sms_has_the_tariffs_the_promise_and_the_sea_warning(
    caller: Caller, hotline: Hotline
) -> None:
    switch_on_for_japan(caller, by_sea=True).hang_up()
    deliver(hotline)
    [body] = handset(hotline, DEMO_ZH)
    assert body.startswith("【中国联通】您3月11日来电办理结果：国际漫游已开通。")  # not 查询结果
    assert (
        "日本漫游资费：拨打当地及国内0.99元/分钟，接听0.99元/分钟，短信0.39元/条，流量3.00元/MB。"
        in body
    )
    assert "流量日包25.00元/天，含500MB。" in body
    assert "当日漫游流量每达10MB，我们将短信提醒您。" in body
    assert "海事卫星网络" in body and "流量60.00元/MB" in body and "关闭数据漫游" in body


def test_not_by_sea_no_maritime_warning_and_english_is_signed(
    caller: Caller, hotline: Hotline
) -> None:
    to_roaming(caller, DEMO_EN).press("1").press("1").press("4").press("2")
    caller.hang_up()
    deliver(hotline)
    [body] = handset(hotline, DEMO_EN)
    assert body.startswith("China Unicom: ")
    assert "Roaming in the United States: calls there or to China CNY 1.99/min" in body
    assert "Daily data pass CNY 30.00 a day for up to 500MB." in body
    assert "passes another 10MB in a day" in body
    assert "maritime" not in body


def test_an_english_caller_hears_the_trip_by_sea_in_one_sentence(
    caller: Caller, hotline: Hotline
) -> None:
    to_roaming(caller, DEMO_EN).press("1").press("1").press("1").press("1")
    assert "After you hang up, we will text you the roaming rates" in caller.last_heard
    caller.hang_up()
    caller = Caller(caller.twilio)  # the next call
    to_roaming(caller, DEMO_EN)
    assert "Your trip: to Japan by sea, from March 11th." in caller.last_heard


def test_switching_off_is_in_the_sms(caller: Caller, hotline: Hotline) -> None:
    switch_on_for_japan(caller, by_sea=False).hang_up()
    deliver(hotline)
    caller = Caller(caller.twilio)  # the next call
    to_roaming(caller).press("1").press("1")
    caller.hang_up()
    deliver(hotline)
    bodies = handset(hotline, DEMO_ZH)
    assert len(bodies) == 2
    assert "国际漫游已关闭。" in bodies[1] and "漫游资费" not in bodies[1]


# -- the landing SMS --------------------------------------------------------------------------


@pytest.fixture
def healthy_balances(hotline: Hotline) -> None:
    """No warning before suspension goes first (the demo's balances run low in 2031)."""
    with transaction(hotline.sessions) as session:
        session.execute(sa.update(Account).values(balance_fen=100000))


def attach(
    at: str, country: str, msisdn: str = DEMO_ZH, network: str = "NTT DOCOMO"
) -> dict[str, object] | str:
    return {
        "msisdn": msisdn,
        "at": local(at),
        "kind": "roaming_attach",
        "country": country,
        "network": network,
    }


def run_reminders(hotline: Hotline, at: str) -> None:
    now = dt.datetime.fromisoformat(local(at)).astimezone(dt.UTC).replace(tzinfo=None)
    reminders.run(hotline.sessions, SmsSettings.of(hotline.settings), now)


def landings(hotline: Hotline, msisdn: str = DEMO_ZH) -> list[str]:
    with hotline.sessions() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage.body)
                .where(OutboxMessage.kind == roaming.LANDING, OutboxMessage.to_number == msisdn)
                .order_by(OutboxMessage.id)
            )
        )


@pytest.mark.usefixtures("healthy_balances")
def test_the_welcome_comes_before_the_warnings_abroad_and_the_maritime_one_has_its_rate(
    hotline: Hotline,
) -> None:
    """Issue 24: the 10 MB alert and the maritime warning came before "欢迎来到韩国"."""
    at = "2031-03-11T09:00:00"
    rows = [
        attach(at, "KR", network="SK Telecom"),
        {**attach(at, "KR"), "kind": "roaming_data", "amount": 12400},
        {**attach(at, "KR", network="Telenor Maritime"), "maritime": True},
    ]
    assert ingest_jsonl(hotline, rows).errors == []
    for minutes in ("05", "15", "25", "35"):  # the job every 10 minutes
        run_reminders(hotline, f"2031-03-11T09:{minutes}:00")
    with hotline.sessions() as session:
        sent = session.execute(
            sa.select(OutboxMessage.kind, OutboxMessage.body)
            .where(OutboxMessage.to_number == DEMO_ZH)
            .order_by(OutboxMessage.id)
        ).all()
    assert [kind for kind, _ in sent] == [
        roaming.LANDING,
        "warning.maritime",
        "warning.roaming_step",
        "reminder.data_weekly",  # summaries last
    ]
    assert sent[0][1].startswith("【中国联通】欢迎来到韩国！韩国漫游资费：")
    assert sent[1][1] == (
        "【中国联通】您已接入海事卫星网络Telenor Maritime，资费极高（流量60.00元/MB），"
        "建议关闭数据漫游。"
    )


@pytest.mark.postgres
@pytest.mark.usefixtures("healthy_balances")
def test_first_attach_in_a_country_gets_the_landing_sms_once_per_trip(hotline: Hotline) -> None:
    assert ingest_jsonl(hotline, [attach("2031-03-01T09:00:00", "JP")]).errors == []
    run_reminders(hotline, "2031-03-01T09:05:00")
    [landed] = landings(hotline)
    assert landed.startswith("【中国联通】欢迎来到日本！日本漫游资费：")
    assert "流量日包25.00元/天，含500MB。" in landed
    assert "当日漫游流量每达10MB" in landed
    run_reminders(hotline, "2031-03-01T09:10:00")  # the job again: nothing new
    # Another attach in Japan the next day, same trip: nothing.
    assert ingest_jsonl(hotline, [attach("2031-03-02T08:00:00", "日本")]).errors == []
    run_reminders(hotline, "2031-03-02T08:05:00")
    assert len(landings(hotline)) == 1
    # On to Korea: its own landing SMS.
    assert ingest_jsonl(hotline, [attach("2031-03-03T12:00:00", "KR")]).errors == []
    run_reminders(hotline, "2031-03-03T12:05:00")
    assert landings(hotline)[1].startswith("【中国联通】欢迎来到韩国！")
    # Back in Japan on a new trip, a week after the last roaming day: a new landing SMS.
    assert ingest_jsonl(hotline, [attach("2031-03-10T20:00:00", "Japan")]).errors == []
    run_reminders(hotline, "2031-03-10T20:05:00")
    assert len(landings(hotline)) == 3


def test_the_landing_sms_goes_at_night_and_warns_a_trip_by_sea(
    caller: Caller, hotline: Hotline
) -> None:
    switch_on_for_japan(caller, by_sea=True).hang_up()
    assert ingest_jsonl(hotline, [attach("2031-03-11T02:00:00", "JP")]).errors == []
    run_reminders(hotline, "2031-03-11T02:05:00")  # quiet hours: it goes all the same
    [landed] = landings(hotline)
    assert "海事卫星网络" in landed
    with hotline.sessions() as session:
        message = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == roaming.LANDING)
        ).one()
        assert message.status == "pending"
        assert message.next_attempt_at <= NOW


def test_an_unknown_country_gets_the_default_tariffs_and_home_gets_nothing(
    hotline: Hotline,
) -> None:
    rows = [attach("2031-03-11T09:00:00", "CN"), attach("2031-03-11T09:30:00", "ZZ")]
    assert ingest_jsonl(hotline, rows).errors == []
    run_reminders(hotline, "2031-03-11T09:40:00")
    assert landings(hotline) == []  # CN is home; an unknown code is not a country we name
    assert ingest_jsonl(hotline, [attach("2031-03-11T09:45:00", "EG")]).errors == []
    run_reminders(hotline, "2031-03-11T09:50:00")
    [landed] = landings(hotline)
    assert "埃及漫游资费：拨打当地及国内2.99元/分钟" in landed and "日包" not in landed


def test_an_english_subscriber_lands_in_english(hotline: Hotline) -> None:
    assert ingest_jsonl(hotline, [attach("2031-03-11T09:00:00", "TH", DEMO_EN)]).errors == []
    run_reminders(hotline, "2031-03-11T09:05:00")
    [landed] = landings(hotline, DEMO_EN)
    assert landed.startswith("China Unicom: welcome to Thailand! Roaming in Thailand:")
    assert landed.isascii()


# -- the tables -------------------------------------------------------------------------------


def test_the_tariff_table_has_default_maritime_and_every_named_destination() -> None:
    table = roaming.tariffs()
    assert {"default", "maritime", *SPOKEN_DESTINATIONS} <= set(table)
    for code, tariff in table.items():
        assert (
            min(
                tariff.calls_fen_per_min,
                tariff.answer_fen_per_min,
                tariff.sms_fen,
                tariff.data_fen_per_mb,
            )
            > 0
        ), code
        if code not in ("default", "maritime"):
            assert code in names(), code


@pytest.mark.parametrize("code", SPOKEN_DESTINATIONS)
@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_spoken_country_names_match_the_countries_table(code: str, language: str) -> None:
    assert catalog.text(f"country.{code}", language) == names()[code][language]


@pytest.mark.parametrize("code", SPOKEN_DESTINATIONS)
@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_the_lines_naming_a_destination_are_made_of_clips_and_prompts(
    code: str, language: str
) -> None:
    """With prompt audio on, the trip's lines are one voice: the country is its catalog
    prompt's audio, the date the date's building blocks (no MissingClip)."""
    country = catalog.text(f"country.{code}", language)
    since = spoken.date(dt.date(2031, 3, 11), language)
    trip = voice.plan("roaming.trip", {"country": country, "since": since}, language)
    assert any(piece.prompt == f"country.{code}" for piece in trip)
    saved = voice.plan("roaming.trip_saved", {"country": country}, language)
    assert [p.prompt for p in saved if p.prompt] == [f"country.{code}"]
