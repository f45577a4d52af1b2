"""The data-usage trail for a heavy user: 30,000 data sessions over three months plus this
one, on SQLite and (if installed) PostgreSQL. Measured: ``GET /usage/<token>`` (the page with
its chart, month totals and the busiest day's sessions) through the WSGI app in this process,
and the figures the voice reads (``sms_followup.trail.trail``), each as p50 / p95 / p99.

    .venv/bin/python -m bench.trail_page [--sessions 30000] [--requests 200] [sqlite ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from hotline.demo import seed
from ivr.clock import SERVICE_TZ, local_date
from ivr.db import transaction
from ivr.migrate import upgrade
from ivr.models import Subscriber
from sms_followup import trail
from sms_followup.trail import DataSession
from sms_followup.trail_page import token_for

HEAVY = "13800138000"


@dataclass(frozen=True)
class Result:
    backend: str
    sessions: int
    page_ms: list[float]
    voice_ms: list[float]
    page_bytes: int


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _database(backend: str, workdir: Path) -> tuple[str, object | None]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'trail.db'}", None
    from tests.support.pgserver import PostgresServer

    server = PostgresServer().start()
    return server.url, server


def _heavy_user(sessions: sa.orm.sessionmaker[sa.orm.Session], count: int, now: dt.datetime) -> int:
    rng = random.Random(1)
    today = local_date(now)
    start = trail.window_start(today)
    span = (today - start).days + 1
    with transaction(sessions) as session:
        owner = session.scalars(Subscriber.by_msisdn(HEAVY)).one().id
        rows = []
        for _ in range(count):
            day = start + dt.timedelta(days=rng.randrange(span))
            at = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
            rows.append(
                {
                    "subscriber_id": owner,
                    "started_at": at.replace(tzinfo=SERVICE_TZ)
                    .astimezone(dt.UTC)
                    .replace(tzinfo=None),
                    "day": day,
                    "kb": rng.randrange(1, 200 * 1024),
                    "duration_s": rng.randrange(1, 7200),
                    "access": rng.choice([*trail.ACCESS_TYPES, None]),
                    "location": rng.choice(["上海市徐汇区", "杭州", "Tokyo", None]),
                }
            )
        for chunk in range(0, len(rows), 5000):
            session.execute(sa.insert(DataSession), rows[chunk : chunk + 5000])
    return owner


def measure(backend: str, url: str, sessions_count: int, requests: int) -> Result:
    upgrade(url)
    app = create_app({"database_url": url, "prompt_audio": False, "env": "test"})
    hotline = app.extensions["hotline"]
    now = hotline.clock.now()
    try:
        with transaction(hotline.sessions) as session:
            seed(session, now)
            session.execute(sa.delete(DataSession))
        owner = _heavy_user(hotline.sessions, sessions_count, now)
        path = f"/usage/{token_for(hotline.settings.secret_key, owner, now)}"
        client = app.test_client()
        assert client.get(path).status_code == 200  # warm up
        page_ms, voice_ms, size = [], [], 0
        for _ in range(requests):
            started = time.perf_counter()
            answer = client.get(path)
            page_ms.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
            size = len(answer.data)
            started = time.perf_counter()
            with hotline.sessions() as session:
                trail.trail(session, owner, local_date(now))
            voice_ms.append((time.perf_counter() - started) * 1000)
    finally:
        hotline.db.dispose()
    return Result(backend, sessions_count, page_ms, voice_ms, size)


def run(backends: tuple[str, ...], sessions: int = 30_000, requests: int = 200) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        for backend in backends:
            try:
                url, server = _database(backend, Path(tmp))
            except Exception as error:  # PostgreSQL not installed here
                print(f"{backend}: skipped ({error})", flush=True)
                continue
            try:
                results.append(measure(backend, url, sessions, requests))
            finally:
                if server is not None:
                    server.stop()  # type: ignore[attr-defined]
    return results


def table(results: list[Result]) -> str:
    header = (
        f"{'backend':<11} {'sessions':>8} {'page p50':>9} {'p95':>7} {'p99':>7} "
        f"{'voice p50':>10} {'p99':>7} {'page KB':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.backend:<11} {r.sessions:>8} {statistics.median(r.page_ms):>7.1f}ms "
            f"{_pct(r.page_ms, 95):>5.1f}ms {_pct(r.page_ms, 99):>5.1f}ms "
            f"{statistics.median(r.voice_ms):>8.1f}ms {_pct(r.voice_ms, 99):>5.1f}ms "
            f"{r.page_bytes / 1024:>8.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.trail_page")
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--sessions", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    print(table(run(tuple(args.backends), args.sessions, args.requests)), flush=True)


if __name__ == "__main__":
    main()
