"""Real-name registration (实名制, issue 16): ``ivr import-accounts`` takes an optional
``real_name_verified`` column (default true); a line without it hears at the start of every
call that it must register at a business hall, can still reach an agent, gets no reminder
or industry-port SMS (cost warnings and service messages still go), and the desk card says so."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from accounts.importer import import_csv
from hotline.cli import main
from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Call, Subscriber
from sms_followup import outbox, ports
from sms_followup.settings import SmsSettings
from tests.support.caller import DEMO_EN, DEMO_ZH, Caller

NOTICE_ZH = "您的号码尚未完成实名登记，请机主本人携带有效身份证件到联通营业厅办理实名登记。"
NOTICE_EN = (
    "Your number has not completed real-name registration. Please bring your valid ID to a "
    "China Unicom business hall to register."
)


def unverify(hotline: Hotline, msisdn: str = DEMO_ZH) -> None:
    with transaction(hotline.sessions) as session:
        session.scalars(Subscriber.by_msisdn(msisdn)).one().real_name_verified = False


def verified(hotline: Hotline, msisdn: str) -> bool:
    with hotline.sessions() as session:
        return session.scalars(Subscriber.by_msisdn(msisdn)).one().real_name_verified


# -- import --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_import_takes_an_optional_real_name_verified_column(hotline: Hotline) -> None:
    csv = (
        "msisdn,balance_fen,real_name_verified\n"
        "13100131000,100,false\n"
        "13100131001,100,\n"
        "13100131002,100,否\n"
        "13100131003,100,YES\n"
        "13100131004,100,0\n"
        "13100131005,100,maybe\n"
    )
    with transaction(hotline.sessions) as session:
        report = import_csv(session, io.StringIO(csv), "2031-03")
    assert report.imported == 5
    assert report.errors == [
        "line 7: real_name_verified must be true or false (1/0, yes/no, 是/否), not 'maybe'"
    ]
    flags = [verified(hotline, f"1310013100{n}") for n in range(5)]
    assert flags == [False, True, False, True, False]


def test_without_the_column_every_line_is_verified_and_a_reimport_can_clear_the_flag(
    hotline: Hotline, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("msisdn,balance_fen\n13100131000,100\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import-accounts", str(path)], obj=hotline)
    assert result.exit_code == 0, result.output
    assert verified(hotline, "13100131000")

    path.write_text("msisdn,balance_fen,real_name_verified\n13100131000,100,false\n")
    CliRunner().invoke(main, ["import-accounts", str(path)], obj=hotline)
    assert not verified(hotline, "13100131000")
    path.write_text("msisdn,balance_fen,real_name_verified\n13100131000,100,true\n")
    CliRunner().invoke(main, ["import-accounts", str(path)], obj=hotline)
    assert verified(hotline, "13100131000")


# -- calls ---------------------------------------------------------------------------------


def test_an_unverified_line_hears_the_notice_at_the_start_of_a_direct_code(
    caller: Caller, hotline: Hotline
) -> None:
    unverify(hotline)
    caller.dial("1001011", DEMO_ZH)
    said = caller.said
    assert said[:2] == ["中国联通自助查询。", NOTICE_ZH]
    assert any("余额" in s for s in said[2:])  # the service still answers


def test_an_unverified_line_hears_the_notice_before_the_hotline_menu_in_its_language(
    caller: Caller, hotline: Hotline
) -> None:
    unverify(hotline, DEMO_EN)
    caller.dial("10010", DEMO_EN)
    assert caller.said[0] == NOTICE_EN
    assert caller.gather is not None


def test_a_verified_line_hears_no_notice(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH)
    assert NOTICE_ZH not in caller.said
    caller.dial("10010", DEMO_EN)
    assert NOTICE_EN not in caller.said


def test_an_unverified_line_can_still_reach_an_agent(caller: Caller, hotline: Hotline) -> None:
    unverify(hotline)
    caller.dial("1001011", DEMO_ZH).press("0")
    assert NOTICE_ZH not in caller.last_heard  # said once, at the start
    with hotline.sessions() as session:
        call = session.scalars(Call.by_sid(caller.call_sid)).one()
        entered = [e.state for e in call.events if e.kind == "state.entered"]
    assert entered[:2] == ["balance", "agent"]  # key 0 took it to the agents' line


# -- SMS -----------------------------------------------------------------------------------


def enqueue(hotline: Hotline, kind: str, port: str | None = None) -> tuple[str, str | None]:
    with transaction(hotline.sessions) as session:
        message = outbox.enqueue(
            session,
            SmsSettings.of(hotline.settings),
            kind=kind,
            to=DEMO_ZH,
            body="【中国联通】测试",
            language="zh-CN",
            now=hotline.clock.now(),
            port=port,
        )
        return message.status, message.refused_reason


@pytest.mark.parametrize(
    ("kind", "port", "unverified_gets"),
    [
        ("reminder.data_weekly", None, ("refused", ports.NOT_REAL_NAME)),
        ("industry", "106550211234", ("refused", ports.NOT_REAL_NAME)),
        ("warning.data_cap", None, ("pending", None)),
        ("warning.suspension", None, ("pending", None)),
        ("call_summary", None, ("pending", None)),
        ("password.temporary", None, ("pending", None)),
    ],
)
def test_an_unverified_line_gets_no_reminder_or_marketing_sms(
    hotline: Hotline, kind: str, port: str | None, unverified_gets: tuple[str, str | None]
) -> None:
    assert enqueue(hotline, kind, port) == ("pending", None)
    unverify(hotline)
    assert enqueue(hotline, kind, port) == unverified_gets


def test_a_reminder_queued_before_the_flag_changed_is_refused_when_its_turn_comes(
    hotline: Hotline,
) -> None:
    from sms_followup.models import OutboxMessage
    from sms_followup.worker import OutboxWorker

    assert enqueue(hotline, "reminder.data_weekly") == ("pending", None)
    unverify(hotline)
    settings = SmsSettings.of(hotline.settings)
    OutboxWorker(hotline.sessions, hotline.sender, settings, hotline.clock).run_once()
    with hotline.sessions() as session:
        row = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_number == DEMO_ZH))
        assert [(m.status, m.refused_reason) for m in row] == [("refused", ports.NOT_REAL_NAME)]


# -- the desk ------------------------------------------------------------------------------


def _card(**extra: object) -> SimpleNamespace:
    return SimpleNamespace(
        topic_label="Phone settings",
        caller="13800138000",
        caller_masked="138****8000",
        language="zh-CN",
        known_caller=True,
        path=(),
        queried=(),
        phone_model=None,
        transcript=None,
        recording_s=None,
        waited_s=12,
        mode="queue",
        priority=0,
        **extra,
    )


def test_the_desk_card_shows_a_line_without_real_name_registration(app: Flask) -> None:
    template = app.jinja_env.get_template("desk/_call.html")
    flagged = template.render(call=_card(real_name_verified=False), full=False)
    assert 'class="real-name"' in flagged and "not registered" in flagged
    assert "real-name" not in template.render(call=_card(real_name_verified=True), full=False)
