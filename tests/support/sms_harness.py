"""Test helpers for the SMS side: the app served on a loopback port, with a simulated network
and the Twilio REST stand-in pointed at it, so that the real ``twilio.rest.Client`` sends,
and signed status callbacks and inbound SMS come back over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hotline.container import Hotline
from ivr.db import transaction
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from simulator.server import LoopbackServer
from sms_followup.models import OutboxMessage, StatusEvent
from tests.support.clocks import TestClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ACCOUNT = "AC" + "5" * 32
TOKEN = "sms-test-token"
MESSAGES = r"/Messages\.json$"
# The Twilio senders the test account owns (all the stand-in accepts as From, and all a
# handset can text), and what each logical sender goes out from.
SERVICE_FROM = "+8613010010000"  # 10010
PORT_021_FROM = "+8613010655021"  # the 10655021... ports
PORT_877_SERVICE = "MG" + "8f" * 16  # the 10655877... ports, through a Messaging Service
PORT_877_POOL = "+8613010655877"
FROM_MAP = f"10655021={PORT_021_FROM},10655877={PORT_877_SERVICE}"


class Wire:
    """``with Wire() as wire:`` then build the app with :meth:`overrides` and :meth:`serve` it."""

    def __init__(self, clock: TestClock) -> None:
        """Twilio's side runs on the test's *clock*, as the real one runs on the wall clock."""
        self._app: WSGIApplication | None = None
        self._lost: set[str] = set()
        self.server = LoopbackServer(self._wsgi)
        self.network = Network(
            NetworkConfig(
                base_url=self.server.url,
                account_sid=ACCOUNT,
                auth_token=TOKEN,
                sms_numbers=(SERVICE_FROM, PORT_021_FROM, PORT_877_POOL),
                messaging_services=((PORT_877_SERVICE, (PORT_877_POOL,)),),
            ),
            wall=lambda: clock.now().replace(tzinfo=dt.UTC),
        )
        self.standin = RestStandin(self.network)

    @property
    def url(self) -> str:
        return self.server.url

    def overrides(self, **extra: Any) -> dict[str, Any]:
        """Settings that make the app send through the stand-in and receive its callbacks."""
        return {
            "sms_sender": "twilio",
            "twilio_api_base_url": self.standin.url,
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": TOKEN,
            "public_base_url": self.url,
            "sms_send_timeout_s": 5,
            "twilio_sms_from": SERVICE_FROM,
            "twilio_sms_from_map": FROM_MAP,
            **extra,
        }

    def environ(self, database_url: str, **extra: str) -> dict[str, str]:
        """The same settings as environment variables, for an `ivr` subprocess."""
        return {
            "DATABASE_URL": database_url,
            "SMS_SENDER": "twilio",
            "TWILIO_API_BASE_URL": self.standin.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": self.url,
            "PROMPT_AUDIO": "false",
            "IVR_ENV": "test",
            "TWILIO_SMS_FROM": SERVICE_FROM,
            "TWILIO_SMS_FROM_MAP": FROM_MAP,
            **extra,
        }

    def serve(self, app: WSGIApplication) -> None:
        self._app = app

    def lose(self, *paths: str) -> None:
        """From now on, requests to *paths* (``/sms/status``) never reach the app: a proxy in
        front of it answers 503, as when every app process is down."""
        self._lost.update(paths)

    def settle(self) -> None:
        """Wait until every status callback of every message has been posted."""
        assert self.network.wait_idle(20), "the stand-in still has deliveries running"

    def creates(self) -> list[dict[str, str]]:
        """The Messages.create requests the stand-in accepted (not the injected faults)."""
        return [
            r.form
            for r in self.standin.requests
            if r.method == "POST" and r.path.endswith("/Messages.json") and r.status == 201
        ]

    def inbox(self, number: str) -> list[str]:
        return [m.body for m in self.network.messages.inbox(number)]

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self._app is not None, "call wire.serve(app) first"
        if environ.get("PATH_INFO") in self._lost:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app process answered\n"]
        return self._app(environ, start_response)

    def __enter__(self) -> Wire:
        self.server.start()
        self.standin.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.network.wait_idle(10)
        self.standin.stop()
        self.network.close()
        self.server.stop()


def add_pending(
    hotline: Hotline, count: int, to: str = "13800138000", prefix: str = "msg"
) -> list[int]:
    """``count`` due outbox messages with distinct bodies; their ids."""
    with transaction(hotline.sessions) as session:
        rows = [
            OutboxMessage(
                kind="test",
                to_number=to,
                from_number="10010",
                language="zh-CN",
                body=f"{prefix} {i:04d}",
                status="pending",
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def outbox_rows(hotline: Hotline) -> list[OutboxMessage]:
    with hotline.sessions() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def history(hotline: Hotline, outbox_id: int) -> list[tuple[str, str]]:
    with hotline.sessions() as session:
        row = session.get_one(OutboxMessage, outbox_id)
        events = session.scalars(StatusEvent.history(row.id, row.provider_sid))
        return [(e.source, e.status) for e in events]
