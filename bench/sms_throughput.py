"""Outbox throughput: messages per second that one `ivr worker`, then two at once, deliver
to the local Twilio REST stand-in, on SQLite and (if installed) PostgreSQL, in one run.

Each measurement: the workers (the real console script, one process each) are started on an
empty outbox and left idling; then ``--messages`` due messages are written in one
transaction and the clock runs until every one has a provider SID. The stand-in answers
each ``Messages.create`` at once and posts the signed ``sent`` / ``delivered`` callbacks to
the app, served in this process, which records them, as in production.

    .venv/bin/python -m bench.sms_throughput [--messages 1000] [--backend sqlite ...]
        [--callbacks recorded|dropped|both]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app import create_app
from ivr.db import transaction
from ivr.migrate import upgrade
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from simulator.server import LoopbackServer
from sms_followup.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
IVR = ROOT / ".venv" / "bin" / "ivr"
ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token"
SERVICE_FROM = "+8613010010000"  # the number the bench account owns: 10010 goes out from it
HANDSETS = [f"1390000{n:04d}" for n in range(100)]


@dataclass(frozen=True)
class Result:
    backend: str
    workers: int
    messages: int
    seconds: float
    callbacks: bool

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


def _database(backend: str, workdir: Path) -> tuple[str, object | None]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    from tests.support.pgserver import PostgresServer

    server = PostgresServer().start()
    return server.url, server


def _reset(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM sms_status_events"))
        conn.execute(sa.text("DELETE FROM sms_outbox"))
    engine.dispose()


def _sink(environ: dict[str, object], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return []


def measure(
    backend: str, workers: int, messages: int, url: str, workdir: Path, callbacks: bool
) -> Result:
    _reset(url)
    holder: dict[str, object] = {}
    server = LoopbackServer(lambda environ, start: holder["app"](environ, start))  # type: ignore[operator]
    network = Network(NetworkConfig(base_url=server.url, account_sid=ACCOUNT, auth_token=TOKEN))
    standin = RestStandin(network)
    server.start()
    standin.start()
    settings = {
        "database_url": url,
        "sms_sender": "twilio",
        "twilio_api_base_url": standin.url,
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_sms_from": SERVICE_FROM,
        "public_base_url": server.url,
        "prompt_audio": False,
    }
    app = create_app(settings)
    holder["app"] = app if callbacks else _sink
    hotline = app.extensions["hotline"]
    env = os.environ | {
        "DATABASE_URL": url,
        "SMS_SENDER": "twilio",
        "TWILIO_API_BASE_URL": standin.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SERVICE_FROM,
        "PUBLIC_BASE_URL": server.url,
        "PROMPT_AUDIO": "false",
    }
    log = (workdir / f"worker-{backend}-{workers}.log").open("ab")
    processes = [
        subprocess.Popen(
            [str(IVR), "worker", "--idle-sleep", "0.02"], env=env, stdout=log, stderr=log
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(4)  # let them start and go idle
        with transaction(hotline.sessions) as session:
            session.add_all(
                OutboxMessage(
                    kind="bench",
                    to_number=HANDSETS[i % len(HANDSETS)],
                    from_number="10010",
                    language="zh-CN",
                    body=f"【中国联通】压力测试短信 {i:05d}",
                    status="pending",
                )
                for i in range(messages)
            )
        started = time.perf_counter()
        query = sa.select(sa.func.count()).where(OutboxMessage.provider_sid.is_(None))
        while True:
            with hotline.sessions() as session:
                if session.scalar(query) == 0:
                    break
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a worker died; see {log.name}")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(10)
        log.close()
        network.wait_idle(60)
        standin.stop()
        network.close()
        server.stop()
        hotline.db.dispose()
    return Result(backend, workers, messages, seconds, callbacks)


def table(results: list[Result]) -> str:
    lines = [
        "SMS outbox -> Twilio REST stand-in (real twilio client, one process per worker)",
        f"{'backend':<11} {'callbacks':<10} {'workers':>7} {'messages':>9} {'seconds':>8} "
        f"{'msg/s':>8}",
    ]
    lines += [
        f"{r.backend:<11} {'recorded' if r.callbacks else 'dropped':<10} {r.workers:>7} "
        f"{r.messages:>9} {r.seconds:>8.2f} {r.per_second:>8.1f}"
        for r in results
    ]
    return "\n".join(lines)


def run(backends: tuple[str, ...], messages: int, modes: tuple[bool, ...]) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="sms-bench-") as tmp:
        workdir = Path(tmp)
        for backend in backends:
            url, server = _database(backend, workdir)
            try:
                upgrade(url)
                for callbacks in modes:
                    for workers in (1, 2):
                        results.append(measure(backend, workers, messages, url, workdir, callbacks))
            finally:
                if server is not None:
                    server.stop()  # type: ignore[attr-defined]
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], dest="backends"
    )
    parser.add_argument(
        "--callbacks",
        choices=["recorded", "dropped", "both"],
        default="recorded",
        help="status callbacks recorded by the app (as in production), or answered by a sink",
    )
    args = parser.parse_args(argv)
    backends = tuple(args.backends or ["sqlite", "postgresql"])
    modes = {"recorded": (True,), "dropped": (False,), "both": (True, False)}[args.callbacks]
    print(table(run(backends, args.messages, modes)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
