"""Webhook throughput and latency, measured side by side in one run.

(a) a bare Flask handler returning fixed TwiML — the ceiling; (a') the floor: the same
answer after checking the signature and committing one row for the call, the least a
webhook that keeps its call in the database does; (b) ``/voice/incoming`` for 1001011,
signed, with the database; the step: ``/voice/step`` with key 1 for 10010 calls already
answered and waiting at the language menu (one call per request, put in progress before
the measurement); (c) a full simulated call mix. All served by gunicorn with
``deploy/gunicorn.conf.py``, loaded by ``wrk`` (a, a', b) or the call simulator (c), on
SQLite and on PostgreSQL. Then latency at a fixed 300 requests/s (open loop, so a slow
answer delays the next send and is counted), and, on PostgreSQL, concurrent calls in real
time: callers arrive at a steady rate (as SIPp's ``-r``) so that the number of calls in
progress climbs to each level and holds there. Every row carries its share of (a') and its
Python function calls per request (:mod:`bench.calls`, same run); :func:`targets` says which
of the issue's targets this run met.
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
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from tests.support.live import free_port
from tests.support.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DURATION_S = os.environ.get("BENCH_SECONDS", "10")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
WRK_THREADS = 2
WARM_UP_S = "3"
CALL_LEVELS = tuple(
    int(n) for n in os.environ.get("BENCH_CALL_LEVELS", "500,1000,2000,4000").split(",")
)
STEP_CALLS = int(os.environ.get("BENCH_STEP_CALLS", "20000"))
"""Calls put in progress before the step is measured, one per step request..."""
STEP_SETUP_S = float(os.environ.get("BENCH_STEP_SETUP_SECONDS", "90"))
"""...or as many as can be answered in this time."""
SLOW_P99_MS = 100.0


@dataclass(frozen=True)
class Result:
    label: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    key: str = ""
    """``a``, ``a'``, ``b``, ``step``, ``c``, ``fixed`` or ``concurrent``."""
    backend: str = ""
    calls: float | None = None
    """Python function calls per request, from :mod:`bench.calls` in the same run."""
    of_ceiling: float | None = None
    of_floor: float | None = None
    """req/s as a share of (a) and of the (a') of the same backend."""
    level: int | None = None
    peak: int | None = None
    """Concurrent calls: the level aimed at and the most calls in progress at once."""


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
    return _bodies_file(
        _signed(base_url, "/voice/incoming", call_params("1001011")) for _ in range(count)
    )


def call_params(
    to: str, call_sid: str | None = None, caller: str = "+8613800138000", **extra: str
) -> dict[str, str]:
    """What Twilio posts for an inbound call *call_sid* (a new one unless given) from
    *caller* (the Mandarin demo subscriber unless told)."""
    return {
        "CallSid": call_sid or "CA" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _signed(base_url: str, path: str, params: dict[str, str]) -> str:
    """One line for wrk: the signature, a tab, the form body."""
    signature = RequestValidator(LOCAL_AUTH_TOKEN).compute_signature(base_url + path, params)
    return f"{signature}\t{urlencode(params)}"


def _bodies_file(lines: Iterable[str]) -> Path:
    path = Path(tempfile.mkstemp(suffix=".tsv")[1])
    with path.open("w") as out:
        for line in lines:
            out.write(line + "\n")
    return path


def wrk(
    label: str,
    url: str,
    bodies: Path,
    path: str = "/voice/incoming",
    warm_up: Path | None = None,
) -> Result:
    """Measure after a warm-up run with bodies of its own (new servers answer slowly at
    first: up to 2.5 times slower for the first seconds, seen here); *warm_up* replaces the
    20,000 new 1001011 calls it sends by default (and is deleted after)."""
    warm_up = warm_up or signed_bodies(url, 20_000)
    _wrk(url, warm_up, WARM_UP_S, path)
    warm_up.unlink()
    data = _wrk(url, bodies, DURATION_S, path)
    return Result(
        label,
        data["requests"] / data["seconds"],
        data["p50_ms"],
        data["p95_ms"],
        data["p99_ms"],
        int(data["errors"] + data["non2xx"]),
    )


def _wrk(url: str, bodies: Path, seconds: str, path: str = "/voice/incoming") -> dict[str, float]:
    """One wrk run. An answer counts as an error after 15 s, as at Twilio (wrk's own
    default of 2 s would count a slow answer as a failed one)."""
    output = subprocess.run(
        [
            "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "15s",
            "-s", str(ROOT / "bench" / "signed.lua"), url,
            "--", path, str(bodies), str(WRK_THREADS),
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return data


class _SignedPoster:
    """One keep-alive connection that posts signed lines of a bodies file (signature, tab,
    form body) as Twilio would, and opens a new one after a failed request."""

    def __init__(self, url: str, timeout: float) -> None:
        host, port = url.removeprefix("http://").split(":")
        self._address, self._timeout = (host, int(port)), timeout
        self._conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(*self._address, timeout=self._timeout)

    def post(self, path: str, line: str) -> bool:
        """Whether *line* posted to *path* was answered 200."""
        signature, body = line.split("\t", 1)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        try:
            self._conn.request("POST", path, body, headers)
            response = self._conn.getresponse()
            response.read()
        except OSError:
            self._conn = self._connect()
            return False
        return response.status == 200


def _in_threads(target: Callable[[], None], count: int) -> None:
    """Run *target* in *count* threads at once and wait for them all."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def calls_in_progress(url: str, count: int, seconds: float) -> list[str]:
    """Up to *count* 10010 calls whose ``/voice/incoming`` was answered (each at the
    language menu now), as many as 16 connections get answered within *seconds*: their
    CallSids. Not measured."""
    lines = [(sid, _signed(url, "/voice/incoming", call_params("10010", sid))) for sid in
             ("CA" + secrets.token_hex(16) for _ in range(count))]  # fmt: skip
    answered: list[str] = []
    failed = 0
    pending = iter(lines)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def sender() -> None:
        nonlocal failed
        poster = _SignedPoster(url, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                item = next(pending, None)
            if item is None:
                return
            sid, line = item
            ok = poster.post("/voice/incoming", line)
            with lock:
                if ok:
                    answered.append(sid)
                else:
                    failed += 1

    _in_threads(sender, 16)
    if failed:
        raise RuntimeError(f"{failed} of the 10010 calls for the step were not answered")
    return answered


def step(label: str, url: str, sids: list[str]) -> Result:
    """The step: ``/voice/step`` with key 1 for calls at the language menu, each request
    a call of its own; the warm-up takes its share of *sids* (by duration), the
    measurement the rest. A label marked "(calls reused)" ran out of calls and sent some
    a second step (at another menu than the language menu)."""
    step_params = {"Digits": "1", "CallStatus": "in-progress"}
    bodies = [_signed(url, "/voice/step", call_params("10010", sid, **step_params)) for sid in sids]
    warm_s, measured_s = float(WARM_UP_S), float(DURATION_S)
    cut = int(len(bodies) * warm_s / (warm_s + measured_s))
    warm_up, measured = _bodies_file(bodies[:cut]), _bodies_file(bodies[cut:])
    try:
        result = wrk(label, url, measured, "/voice/step", warm_up)
    finally:
        measured.unlink()
    if result.rps * measured_s > len(bodies) - cut:
        result = dataclasses.replace(result, label=f"{label} (calls reused)")
    return result


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
    start = time.perf_counter() + 0.2

    def sender() -> None:
        nonlocal errors
        poster = _SignedPoster(url, timeout=10)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            ok = poster.post("/voice/incoming", lines[i % len(lines)])
            with lock:
                latencies.append((time.perf_counter() - due) * 1000)
                errors += not ok

    _in_threads(sender, 32)
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
    reached. The ramp stops after the first level with an error (a slow p99 alone does not
    stop it: the next level shows whether the calls still complete).
    """
    for level in levels:
        rate = 1.1 * level / call_s
        result, report = simulated_mix("", url, level * 3 // 2, level, 1.0, rate)
        label = f"{report.peak_concurrency} calls at once ({rate:.0f} new calls/s, real time)"
        yield dataclasses.replace(
            result,
            label=label,
            key="concurrent",
            backend="postgresql",
            level=level,
            peak=report.peak_concurrency,
        )
        if result.errors:
            return


def largest_levels(results: Iterable[Result]) -> str:
    """ "Largest level reached": the most calls at once with zero errors, and with zero
    errors and a p99 under 100 ms."""
    levels = [r for r in results if r.key == "concurrent" and r.peak is not None]
    if not levels:
        return "largest level reached: no concurrent calls measured"
    clean = [r.peak or 0 for r in levels if not r.errors]
    fast = [r.peak or 0 for r in levels if not r.errors and r.p99_ms < SLOW_P99_MS]
    return (
        f"largest level reached: {max(clean, default=0):,} calls at once with zero errors; "
        f"{max(fast, default=0):,} with zero errors and p99 < {SLOW_P99_MS:.0f} ms"
    )


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


def run(
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    calls: Mapping[tuple[str, str], float] | None = None,
) -> Iterator[Result]:
    """Each measurement as soon as it is taken (the whole run takes about 25 minutes).
    *calls* (from :func:`bench.calls.lookup`) gives each row its calls per request."""
    calls = calls or {}
    with gunicorn("bench.bare_app:app", {}) as bare_url:
        ceiling_result = wrk("(a) bare Flask TwiML", bare_url, signed_bodies(bare_url, 100))
        ceiling = ceiling_result.rps
        yield _shares(ceiling_result, "a", "-", calls, ceiling, None)
        for backend in backends:
            with database(backend) as db_url:
                upgrade(db_url)
                _create_floor_table(db_url)
                port = free_port()
                floor_env = {"DATABASE_URL": db_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
                with gunicorn("bench.floor_app:create_app()", floor_env, port) as url:
                    floor_result = wrk(
                        f"(a') floor: signature + one INSERT, {backend}",
                        url,
                        signed_bodies(url, 50_000),
                    )
                floor = floor_result.rps
                yield _shares(floor_result, "a'", backend, calls, ceiling, floor)
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
                    yield _shares(b, "b", backend, calls, ceiling, floor)
                    sids = calls_in_progress(url, STEP_CALLS, STEP_SETUP_S)
                    one_step = step(f"step: /voice/step key 1, {backend}", url, sids)
                    yield _shares(one_step, "step", backend, calls, ceiling, floor)
                    c, mix = simulated_mix(f"(c) simulated call mix, {backend}", url, 400, 32, 0.0)
                    yield _shares(c, "c", backend, calls, ceiling, floor)
                    yield dataclasses.replace(
                        fixed_rate(
                            f"300 req/s fixed rate, {backend}",
                            url,
                            signed_bodies(url, 3000),
                            300,
                            10,
                        ),
                        key="fixed",
                        backend=backend,
                    )
                if backend == "postgresql":
                    # A fresh server: the open-loop run above leaves it a backlog to work off.
                    call_s = statistics.mean(r.call.duration for r in mix.results)
                    with gunicorn("app:create_app()", env, port) as url:
                        yield from concurrent_calls(url, CALL_LEVELS, call_s)


def _create_floor_table(db_url: str) -> None:
    engine = make_engine(db_url, SystemClock())
    FLOOR_CALLS.create(engine)
    engine.dispose()


def _shares(
    result: Result,
    key: str,
    backend: str,
    calls: Mapping[tuple[str, str], float],
    ceiling: float,
    floor: float | None,
) -> Result:
    return dataclasses.replace(
        result,
        key=key,
        backend=backend,
        calls=calls.get((key, backend)),
        of_ceiling=result.rps / ceiling if ceiling else None,
        of_floor=result.rps / floor if floor else None,
    )


HEADER = (
    f"{'measurement':<58} {'calls/req':>9} {'req/s':>7} {'of (a)':>6} {'':>13} "
    f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'err':>4}"
)


def row(r: Result) -> str:
    calls = "" if r.calls is None else f"{r.calls:,.0f}"
    of_ceiling = "" if r.of_ceiling is None else f"{r.of_ceiling:.2f}"
    of_floor = "" if r.of_floor is None else f"{r.of_floor:.2f} of (a')"
    return (
        f"{r.label:<58} {calls:>9} {r.rps:>7.0f} {of_ceiling:>6} {of_floor:>13} "
        f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>4}"
    )


FLOOR_SHARE = 0.5
"""(b) and the step: at least half the floor's req/s..."""
CALLS_FACTOR = 2.0
"""...and at most twice its Python function calls per request."""


def targets(results: Iterable[Result], calls: Mapping[tuple[str, str], float]) -> list[str]:
    """The issue's targets, each met or not, with the figures of this run."""
    results = list(results)
    lines = []
    for backend in dict.fromkeys(r.backend for r in results if r.key == "a'"):
        floor = next(r for r in results if r.key == "a'" and r.backend == backend)
        for key, name in (("b", "(b)"), ("step", "the step")):
            measured = next((r for r in results if r.key == key and r.backend == backend), None)
            if measured is None:
                continue
            share = measured.rps / floor.rps
            lines.append(
                f"{_met(share >= FLOOR_SHARE)}  {name} ≥ {FLOOR_SHARE} of (a') req/s, {backend}: "
                f"{share:.2f} ({measured.rps:.0f} against {floor.rps:.0f} req/s)"
            )
            own, floor_calls = calls.get((key, backend)), calls.get(("a'", backend))
            if own is not None and floor_calls:
                ok = own <= CALLS_FACTOR * floor_calls
                lines.append(
                    f"{_met(ok)}  {name} ≤ {CALLS_FACTOR:g} × (a')'s "
                    f"calls/request, {backend}: {own / floor_calls:.2f} × ({own:,.0f} against "
                    f"{floor_calls:,.0f})"
                )
    levels = {r.level: r for r in results if r.key == "concurrent"}
    for level, fast in ((2000, True), (4000, False)):
        wanted = f"zero errors{' and p99 < 100 ms' if fast else ''}"
        r = levels.get(level)
        if r is None:
            if not levels:
                continue
            why = (
                "not reached: the ramp stopped at a level with errors"
                if level in CALL_LEVELS
                else "not measured (BENCH_CALL_LEVELS)"
            )
            lines.append(f"{_met(False)}  {level:,} calls at once, {wanted}: {why}")
            continue
        ok = not r.errors and (not fast or r.p99_ms < SLOW_P99_MS)
        lines.append(
            f"{_met(ok)}  {level:,} calls at once, {wanted}: peak {r.peak:,}, "
            f"{r.errors} errors, p99 {r.p99_ms:.0f} ms"
        )
    return lines


def _met(ok: bool) -> str:
    return "met    " if ok else "NOT met"
