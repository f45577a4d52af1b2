"""Crash safety, tested: the real `ivr worker` console script is SIGKILLed at chosen points of
its sends and started again. The REST stand-in holds a worker's ``Messages.create`` until the
test has done what it wants, so every run covers the same windows:

(a) claimed, the send not yet at the provider (the second message of a claim of two, while
    the first one's send is held);
(b) at the provider, unanswered, when the worker died; the provider then refuses it, or
    accepts it all the same;
(c) accepted and answered, and the worker died before committing the SID (the test holds the
    lock that commit needs).

Every message is then delivered exactly once: none is lost; once its lease runs out, one the
provider never took is sent again, and one it took is found there and adopted, not sent again.
On SQLite and on PostgreSQL, where production runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hotline.container import Hotline
from ivr.db import transaction
from sms_followup.models import OutboxMessage, StatusEvent
from tests.support.paths import ROOT
from tests.support.polling import wait_for
from tests.support.sms_harness import MESSAGES, Wire

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

IVR = ROOT / ".venv" / "bin" / "ivr"
# A held send is killed within milliseconds; its timeout is only a bound.
SEND_TIMEOUT_S = 2
# The shortest lease that lets a worker claim two messages at once (see max_batch).
LEASE_S = 10
HANDSETS = ["13800130000", "13800130001", "13800130002"]
MESSAGE_COUNT = 8  # three windows of two messages each, and two a worker sends unhindered

StartWorker = Callable[[], subprocess.Popen[bytes]]


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


@pytest.fixture
def start_worker(wire: Wire, database_url: str, tmp_path: Path) -> Iterator[StartWorker]:
    """Starts `ivr worker` claiming two messages at a time; stops any left running."""
    env = os.environ | wire.environ(
        database_url, SMS_SEND_TIMEOUT_S=str(SEND_TIMEOUT_S), SMS_LEASE_S=str(LEASE_S)
    )
    started: list[subprocess.Popen[bytes]] = []
    with (tmp_path / "worker.log").open("ab") as log:

        def start() -> subprocess.Popen[bytes]:
            command = [str(IVR), "worker", "--idle-sleep", "0.05", "--batch", "2"]
            started.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
            return started[-1]

        yield start
        for worker in started:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _seed(hotline: Hotline) -> list[str]:
    """Due messages, claimed in the order of their bodies; the bodies."""
    bodies = [f"crash test message {i}" for i in range(MESSAGE_COUNT)]
    with transaction(hotline.sessions) as session:
        session.add_all(
            OutboxMessage(
                kind="test",
                to_number=HANDSETS[i % len(HANDSETS)],
                from_number="10010",
                language="zh-CN",
                body=body,
                status="pending",
                # due by any clock: the workers are processes of their own, on the wall clock
                next_attempt_at=dt.datetime(2000, 1, 1),
            )
            for i, body in enumerate(bodies)
        )
    return bodies


def _rows(hotline: Hotline) -> dict[str, OutboxMessage]:
    with hotline.sessions() as session:
        return {r.body: r for r in session.scalars(sa.select(OutboxMessage))}


def _left(hotline: Hotline, bodies: list[str]) -> list[tuple[str, str | None]]:
    """Status and SID of each message, as the killed worker left them."""
    rows = _rows(hotline)
    return [(rows[body].status, rows[body].provider_sid) for body in bodies]


def _worker_steps(hotline: Hotline, body: str) -> list[tuple[str, str | None]]:
    with hotline.sessions() as session:
        return [
            (e.status, e.detail)
            for e in session.scalars(
                sa.select(StatusEvent)
                .join(OutboxMessage, StatusEvent.outbox_id == OutboxMessage.id)
                .where(OutboxMessage.body == body, StatusEvent.source == "worker")
                .order_by(StatusEvent.id)
            )
        ]


def _accepted(wire: Wire) -> Counter[str]:
    return Counter(form["Body"] for form in wire.creates())


def _kill(worker: subprocess.Popen[bytes]) -> None:
    worker.kill()  # SIGKILL: no handler runs, no transaction is finished
    worker.wait()


@contextmanager
def _sid_commit_blocked(hotline: Hotline, body: str) -> Iterator[None]:
    """The message's row locked (on SQLite, the whole database): no worker records its SID."""
    with transaction(hotline.sessions) as session:
        session.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.body == body).with_for_update()
        )
        yield


def test_killed_workers_lose_nothing_and_send_nothing_twice(
    app: Flask, hotline: Hotline, wire: Wire, start_worker: StartWorker
) -> None:
    wire.serve(app)
    bodies = _seed(hotline)
    faults = wire.standin.faults

    # (b) refused, with (a) behind it: the provider holds the first send, the worker dies,
    # then the provider refuses the request.
    refused = faults.add(MESSAGES, status=500, hold=True, count=1, method="POST")
    worker = start_worker()
    assert refused.wait_held(), "the worker's first send never reached the stand-in"
    _kill(worker)
    refused.release()
    assert refused.wait_answered()
    assert _left(hotline, bodies[0:2]) == [("sending", None)] * 2
    assert _accepted(wire) == Counter()

    # (b) accepted, with (a) behind it: the provider goes on with the request of a dead client.
    orphaned = faults.add(MESSAGES, status=None, hold=True, count=1, method="POST")
    worker = start_worker()
    assert orphaned.wait_held(), "the worker's first send never reached the stand-in"
    _kill(worker)
    orphaned.release()
    assert orphaned.wait_answered()
    assert _left(hotline, bodies[2:4]) == [("sending", None)] * 2
    assert _accepted(wire) == Counter([bodies[2]])

    # (c), with (a) behind it: accepted and answered, the SID not committed.
    wire.settle()  # the app has taken every status callback so far; none waits on the lock
    answered = faults.add(MESSAGES, status=None, hold=True, count=1, method="POST")
    worker = start_worker()
    assert answered.wait_held(), "the worker's first send never reached the stand-in"
    with _sid_commit_blocked(hotline, bodies[4]):
        answered.release()
        assert answered.wait_answered()
        _kill(worker)
    assert _left(hotline, bodies[4:6]) == [("sending", None)] * 2
    assert _accepted(wire) == Counter([bodies[2], bodies[4]])
    assert faults.active() == []

    # A worker that lives: the untouched messages at once, the others once their lease is out
    # (LEASE_S seconds after the last claim).
    final = start_worker()
    wait_for(
        lambda: {r.status for r in _rows(hotline).values()} == {"delivered"},
        "every message delivered",
    )
    final.terminate()
    final.wait(10)
    wire.settle()

    assert _accepted(wire) == Counter(bodies), "each message taken by the provider once"
    inboxes = Counter(body for h in HANDSETS for body in wire.inbox("+86" + h))
    assert inboxes == Counter(bodies)
    first_try = [("sending", "attempt 1")]
    after_lease = [*first_try, ("lease_expired", "outcome of the attempt unknown")]
    again = [*after_lease, ("sending", "attempt 2")]
    sent_again, adopted = [*again, ("sent", None)], [*again, ("sent", "adopted")]
    assert {body: _worker_steps(hotline, body) for body in bodies} == {
        bodies[0]: sent_again,  # (b) refused
        bodies[1]: sent_again,  # (a)
        bodies[2]: adopted,  # (b) accepted
        bodies[3]: sent_again,  # (a)
        bodies[4]: adopted,  # (c)
        bodies[5]: sent_again,  # (a)
        bodies[6]: [*first_try, ("sent", None)],
        bodies[7]: [*first_try, ("sent", None)],
    }
