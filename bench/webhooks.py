"""Webhook throughput and latency, measured side by side in one run.

(a) a bare Flask handler returning fixed TwiML — the ceiling; (a') the floor: the same
answer after checking the signature and committing one row for the call, the least a
webhook that keeps its call in the database does; (b) ``/voice/incoming`` for 1001011,
signed, with the database; (c) a full simulated call mix. All served by gunicorn with
``deploy/gunicorn.conf.py``, loaded by ``wrk`` (a, a', b) or the call simulator (c), on
SQLite and on PostgreSQL. Then latency at a fixed 300 requests/s (open loop, so a slow
answer delays the next send and is counted), and, on PostgreSQL, concurrent calls in real
time: callers arrive at a steady rate (as SIPp's ``-r``) so that the number of calls in
progress climbs to each level and holds there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.floor_app import CALLS as FLOOR_CALLS
from ivr.clock import SystemClock
from ivr.config import LOCAL_AUTH_TOKEN
from ivr.db import make_engine
from ivr.migrate import upgrade
from simulator.load import LoadReport, load_mix, run_load
from simulator.network import Network, NetworkConfig
from tests.live import free_port
from tests.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DURATION_S = os.environ.get("BENCH_SECONDS", "10")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
WRK_THREADS = 2
WARM_UP_S = "3"
CALL_LEVELS = tuple(int(n) for n in os.environ.get("BENCH_CALL_LEVELS", "500,1000,2000").split(","))


@dataclass(frozen=True)
class Result:
    label: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


@contextlib.contextmanager
def gunicorn(target: str, env: dict[str, str], port: int | None = None) -> Iterator[str]:
    """Serve *target* with the production gunicorn settings on a loopback port."""
    port = port or free_port()
    command = [
        str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
        "-b", f"127.0.0.1:{port}", target,
    ]  # fmt: skip
    server_env = {**os.environ, **env, "GUNICORN_ACCESS_LOG": ""}
    with open(os.devnull, "w") as devnull:
        process = subprocess.Popen(command, cwd=ROOT, env=server_env, stderr=devnull)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


def signed_bodies(base_url: str, count: int) -> Path:
    """Distinct signed /voice/incoming requests for 1001011, one per line for wrk."""
    validator = RequestValidator(LOCAL_AUTH_TOKEN)
    path = Path(tempfile.mkstemp(suffix=".tsv")[1])
    with path.open("w") as out:
        for _ in range(count):
            params = {
                "CallSid": "CA" + secrets.token_hex(16),
                "AccountSid": "AC" + "0" * 32,
                "From": "+8613800138000",
                "To": "1001011",
                "CallStatus": "ringing",
                "Direction": "inbound",
                "ApiVersion": "2010-04-01",
            }
            signature = validator.compute_signature(base_url + "/voice/incoming", params)
            out.write(f"{signature}\t{urlencode(params)}\n")
    return path


def wrk(label: str, url: str, bodies: Path) -> Result:
    """Measure after a warm-up run with bodies of its own (new servers answer slowly at
    first: up to 2.5 times slower for the first seconds, seen here)."""
    warm_up = signed_bodies(url, 20_000)
    _wrk(url, warm_up, WARM_UP_S)
    warm_up.unlink()
    data = _wrk(url, bodies, DURATION_S)
    return Result(
        label,
        data["requests"] / data["seconds"],
        data["p50_ms"],
        data["p95_ms"],
        data["p99_ms"],
        data["errors"] + data["non2xx"],
    )


def _wrk(url: str, bodies: Path, seconds: str) -> dict[str, float]:
    """One wrk run. An answer counts as an error after 15 s, as at Twilio (wrk's own
    default of 2 s would count a slow answer as a failed one)."""
    output = subprocess.run(
        [
            "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "15s",
            "-s", str(ROOT / "bench" / "signed.lua"), url,
            "--", "/voice/incoming", str(bodies), str(WRK_THREADS),
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return data


def simulated_mix(
    label: str,
    url: str,
    calls: int,
    concurrency: int,
    scale: float,
    rate: float | None = None,
) -> tuple[Result, LoadReport]:
    """Calls from ``scenarios/mix.yaml``; the result counts webhooks, not calls."""
    network = Network(NetworkConfig(base_url=url, time_scale=scale, hold_timeout=60))
    try:
        report = run_load(
            network,
            load_mix(ROOT / "scenarios" / "mix.yaml"),
            calls=calls,
            concurrency=concurrency,
            rate=rate,
        )
    finally:
        network.close()
    result = Result(
        label,
        len(report.latencies) / report.elapsed,
        report.percentile(0.50) * 1000,
        report.percentile(0.95) * 1000,
        report.percentile(0.99) * 1000,
        report.errors + len(report.failed),
    )
    return result, report


def fixed_rate(label: str, url: str, bodies: Path, rate: float, seconds: float) -> Result:
    """Open-loop load: request i is due at i/rate; latency counts from when it was due."""
    lines = bodies.read_text().splitlines()
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    lock = threading.Lock()
    host, port = url.removeprefix("http://").split(":")
    start = time.perf_counter() + 0.2

    def sender() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            signature, body = lines[i % len(lines)].split("\t", 1)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            }
            try:
                conn.request("POST", "/voice/incoming", body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            with lock:
                latencies.append((time.perf_counter() - due) * 1000)
                errors += not ok

    threads = [threading.Thread(target=sender) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(
        label,
        len(latencies) / seconds,
        _pct(latencies, 0.5),
        _pct(latencies, 0.95),
        _pct(latencies, 0.99),
        errors,
    )


def _pct(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=1000, method="inclusive")[int(fraction * 1000) - 1]


def concurrent_calls(url: str, levels: tuple[int, ...], call_s: float) -> Iterator[Result]:
    """Calls in real time (prompts last as long as spoken), at most ``level`` at once.

    New calls arrive a tenth faster than ``level`` calls of ``call_s`` seconds can end, so
    the lines fill up and stay full (SIPp's ``-r`` with ``-l``); the label gives the peak
    reached. The ramp stops after the first level with an error or a p99 of 100 ms or more.
    """
    for level in levels:
        rate = 1.1 * level / call_s
        result, report = simulated_mix("", url, level * 3 // 2, level, 1.0, rate)
        label = f"{report.peak_concurrency} calls at once ({rate:.0f} new calls/s, real time)"
        yield dataclasses.replace(result, label=label)
        if result.errors or result.p99_ms >= 100:
            return


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        server = PostgresServer().start()
        try:
            yield server.url
        finally:
            server.stop()


def _seed(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "ivr"), "seed-demo"], check=True, env={**os.environ, **env}, capture_output=True
    )


def run(backends: tuple[str, ...] = ("sqlite", "postgresql")) -> Iterator[Result]:
    """Each measurement as soon as it is taken (the whole run takes about 20 minutes)."""
    with gunicorn("bench.bare_app:app", {}) as bare_url:
        ceiling_result = wrk("(a) bare Flask TwiML", bare_url, signed_bodies(bare_url, 100))
        yield ceiling_result
        ceiling = ceiling_result.rps
        for backend in backends:
            with database(backend) as db_url:
                upgrade(db_url)
                _create_floor_table(db_url)
                port = free_port()
                floor_env = {"DATABASE_URL": db_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
                with gunicorn("bench.floor_app:create_app()", floor_env, port) as url:
                    floor = wrk(
                        f"(a') floor: signature + one INSERT, {backend}",
                        url,
                        signed_bodies(url, 50_000),
                    )
                    yield _ratio(floor, ceiling)
                port = free_port()
                env = {
                    "DATABASE_URL": db_url,
                    "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                    "PROMPT_AUDIO": "false",
                }
                _seed(env)
                with gunicorn("app:create_app()", env, port) as url:
                    b = wrk(
                        f"(b) /voice/incoming 1001011, {backend}", url, signed_bodies(url, 50_000)
                    )
                    yield _ratio(b, ceiling)
                    c, mix = simulated_mix(f"(c) simulated call mix, {backend}", url, 400, 32, 0.0)
                    yield _ratio(c, ceiling)
                    yield fixed_rate(
                        f"300 req/s fixed rate, {backend}", url, signed_bodies(url, 3000), 300, 10
                    )
                    if backend == "postgresql":
                        call_s = statistics.mean(r.call.duration for r in mix.results)
                        yield from concurrent_calls(url, CALL_LEVELS, call_s)


def _create_floor_table(db_url: str) -> None:
    engine = make_engine(db_url, SystemClock())
    FLOOR_CALLS.create(engine)
    engine.dispose()


def _ratio(result: Result, ceiling: float) -> Result:
    return Result(
        f"{result.label}  [{result.rps / ceiling:.2f} of (a)]",
        result.rps,
        result.p50_ms,
        result.p95_ms,
        result.p99_ms,
        result.errors,
    )


HEADER = f"{'measurement':<62} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'err':>4}"


def row(r: Result) -> str:
    return (
        f"{r.label:<62} {r.rps:>7.0f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} "
        f"{r.p99_ms:>8.1f} {r.errors:>4}"
    )
