"""`ivr sms send`: a subscriber's SMS to the real app over signed HTTP, and its reply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from sms_followup.models import InboundSms
from sms_followup.templates import text
from tests.support.live import LiveHotline, free_port, live_hotline

SUBSCRIBER = "13800138000"


@pytest.fixture
def live(database_url: str) -> Iterator[LiveHotline]:
    with live_hotline(
        {"env": "test", "database_url": database_url, "prompt_audio": False}
    ) as hotline:
        yield hotline


def _send(base_url: str, auth_token: str, *args: str) -> tuple[int, str]:
    connection = ["--base-url", base_url, "--auth-token", auth_token]
    result = CliRunner().invoke(main, ["sms", "send", *args, *connection], catch_exceptions=False)
    return result.exit_code, result.output


def _as_subscriber(live: LiveHotline, body: str, token: str | None = None) -> tuple[int, str]:
    config = live.network.config
    return _send(
        config.base_url, token or config.auth_token, "--from", SUBSCRIBER, "--to", "10010", body
    )


def _inbound(live: LiveHotline) -> list[tuple[str, str, str, str]]:
    with live.hotline.sessions() as session:
        rows: Any = session.execute(
            sa.select(
                InboundSms.from_number, InboundSms.to_number, InboundSms.body, InboundSms.action
            )
        )
        return [tuple(row) for row in rows]


def test_help_is_answered_with_the_command_list(live: LiveHotline) -> None:
    code, output = _as_subscriber(live, "帮助")

    assert code == 0, output
    assert output == f"10010 -> +86{SUBSCRIBER}: {text('reply.help', 'zh-CN')}\n"
    assert _inbound(live) == [(SUBSCRIBER, "10010", "帮助", "help")]


def test_a_confirmation_sent_through_the_outbox_is_pointed_to(live: LiveHotline) -> None:
    code, output = _as_subscriber(live, "TD")

    assert code == 0, output
    assert output == "(no reply in the answer; anything sent later is in `ivr sms outbox`)\n"
    assert _inbound(live) == [(SUBSCRIBER, "10010", "TD", "unsubscribed")]


def test_a_wrong_signature_shows_the_http_status_and_fails(live: LiveHotline) -> None:
    code, output = _as_subscriber(live, "帮助", token="not-the-service-token")

    assert code == 1
    assert output == (
        f"!! 11200 HTTP 403 from the application {live.network.config.base_url}/sms/incoming\n"
    )
    assert _inbound(live) == []


def test_a_service_that_does_not_answer_is_said_plainly() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"

    code, output = _send(base_url, "token", "--from", SUBSCRIBER, "--to", "10010", "帮助")

    assert code == 1
    assert output.startswith(
        f"Error: the service did not answer at {base_url}/sms/incoming (Connection refused). "
    )
