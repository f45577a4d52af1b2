"""Production shape: two app processes share one PostgreSQL; any of them serves any webhook.

Calls alternate their webhooks between the processes; one process is stopped mid-call and
the other carries on; two workers then deliver. Every call completes, every SMS goes once.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from ivr.config import Settings
from ivr.models import Call
from sms_followup.models import LocalDelivery, OutboxMessage
from tests.conftest import emptied
from tests.support.caller import DEMO_EN, DEMO_ZH, Caller
from tests.support.live import free_port
from tests.support.polling import wait_for

IVR = str(Path(sys.executable).parent / "ivr")
PUBLIC_URL = "http://hotline.test"  # what Twilio calls: the load balancer


class HttpResponse:
    """The parts of a Flask test response that `Caller` reads, from a real HTTP answer."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0]
        self._body = response.content

    def get_data(self, as_text: bool = False) -> Any:
        return self._body.decode() if as_text else self._body


class LoadBalancer:
    """Signs each webhook for the public URL and sends it to the next live process in turn."""

    def __init__(self, ports: list[int], settings: Settings) -> None:
        from twilio.request_validator import RequestValidator

        self.live = list(ports)
        self.settings = settings
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.served_by: list[int] = []
        self._turn = itertools.count()

    def post(self, path: str, params: dict[str, str], signed: bool = True) -> HttpResponse:
        port = self.live[next(self._turn) % len(self.live)]
        signature = self.validator.compute_signature(PUBLIC_URL + path, params)
        response = requests.post(
            f"http://127.0.0.1:{port}{path}",
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=10,
        )
        self.served_by.append(port)
        return HttpResponse(response)


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": PUBLIC_URL,
        "PROMPT_AUDIO": "false",
    }


def _wait_up(port: int) -> None:
    def healthy() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
        except requests.ConnectionError:
            return False

    wait_for(healthy, f"the app on port {port}")


@pytest.fixture
def cluster(postgres: str) -> Iterator[tuple[str, dict[int, subprocess.Popen[bytes]]]]:
    url = emptied(postgres)
    subprocess.run([IVR, "seed-demo"], env=_env(url), check=True, capture_output=True)
    processes = {}
    for _ in range(2):
        port = free_port()
        processes[port] = subprocess.Popen(
            [IVR, "serve", "--port", str(port)],
            env=_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        for port in processes:
            _wait_up(port)
        yield url, processes
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(10)


def test_calls_alternating_between_two_processes_complete_and_sms_go_once(
    cluster: tuple[str, dict[int, subprocess.Popen[bytes]]],
) -> None:
    url, processes = cluster
    balancer = LoadBalancer(list(processes), Settings(public_base_url=PUBLIC_URL))
    callers = []
    for number in [DEMO_ZH, DEMO_EN] * 3:
        caller = Caller(balancer, from_number=number)  # type: ignore[arg-type]
        caller.dial("10010").press("1").press("1").press("1")
        assert "余额为" in caller.last_heard or "balance is" in caller.last_heard
        callers.append(caller)
    assert set(balancer.served_by) == set(processes), "both processes served webhooks"

    stopped, survivor = list(processes)
    processes[stopped].send_signal(signal.SIGTERM)  # a process restarted mid-call
    processes[stopped].wait(10)
    balancer.live = [survivor]
    for caller in callers:
        caller.press("2")  # the same calls go on, on the other process
        assert "balance is" in caller.last_heard or "余额为" in caller.last_heard
        assert caller.hang_up().status_code == 200

    workers = [
        subprocess.Popen([IVR, "worker", "--once"], env=_env(url), stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    assert [w.wait(60) for w in workers] == [0, 0]

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        statuses = conn.execute(sa.select(Call.status)).scalars().all()
        outbox = conn.execute(sa.select(OutboxMessage.status)).scalars().all()
        delivered = conn.execute(
            sa.select(LocalDelivery.to_number, sa.func.count()).group_by(LocalDelivery.to_number)
        ).all()
    engine.dispose()
    assert statuses == ["completed"] * len(callers)
    assert outbox == ["sent"] * len(callers)
    assert dict(delivered) == {DEMO_ZH: 3, DEMO_EN: 3}
