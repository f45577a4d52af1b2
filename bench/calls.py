"""Python function calls and SQL statements per request, counted, not timed.

Each request goes through the WSGI app itself (no test client) wrapped by :class:`CallCounter`,
which profiles that one request with its own :class:`cProfile.Profile` and adds the number of
calls cProfile saw (``pstats.Stats.total_calls``: Python functions and the built-ins they call)
to a tally; the SQL statements the request sent (SQLAlchemy's ``before_cursor_execute``) are
counted the same way. Signed requests are built before, outside the counted region; each
count is the mean over :data:`COUNTED` requests after :data:`WARM_UP` unmeasured ones.

Measured: (a) the bare Flask app, (a') the floor, (b) ``/voice/incoming`` for 1001011 (with
prompt audio off, as served by the bench, and on), the step (``/voice/step`` with key 1 at
the language menu of a 10010 call already answered) and (c) the simulated call mix, served
in-process by werkzeug with the same counter. Logging is configured as the served app's
(JSON at INFO) but written to ``os.devnull``: its cost is counted, its lines are not shown.
``python -m bench calls`` prints this table alone.
"""

from __future__ import annotations

import contextlib
import cProfile
import logging
import os
import pstats
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from bench import bare_app, floor_app, webhooks
from hotline.demo import seed
from ivr import logs
from ivr.db import transaction
from ivr.migrate import upgrade
from ivr.models import Account, Subscriber
from prompts.cli import default_audio_dir
from prompts.render import render_all
from tests.support.live import free_port

WARM_UP = 20
COUNTED = 200
MIX_CALLS = 40
MIX_CONCURRENCY = 8
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# From Python 3.12 cProfile rests on sys.monitoring, which sees every thread and admits one
# profiler at a time: there, profiled requests take turns.
_ONE_AT_A_TIME = threading.Lock() if sys.version_info >= (3, 12) else None


class CallCounter:
    """WSGI middleware: counts, per request, the function calls made while the wrapped app
    answers it (the response iterable consumed and closed), and the SQL statements sent on
    the engines given to :meth:`watch` meanwhile. cProfile follows only the thread that
    enabled it, so requests served side by side in threads are each counted on their own."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.calls = 0
        self.statements = 0
        self.requests = 0
        self.statuses: dict[str, int] = {}
        self.refusal: str | None = None
        """The first answer other than a 200, if any: its status, path and body."""
        self._lock = threading.Lock()
        self._inside = threading.local()

    def watch(self, engine: sa.engine.Engine | type[sa.engine.Engine]) -> None:
        """Count the statements *engine* (or every engine) sends for a request being
        counted, in the thread that serves it."""
        sa.event.listen(engine, "before_cursor_execute", self._statement)

    def unwatch(self, engine: sa.engine.Engine | type[sa.engine.Engine]) -> None:
        sa.event.remove(engine, "before_cursor_execute", self._statement)

    def reset(self) -> None:
        with self._lock:
            self.calls = self.statements = self.requests = 0
            self.statuses = {}
            self.refusal = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        status: list[str] = []

        def started(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, headers, exc_info)

        with _ONE_AT_A_TIME or contextlib.nullcontext():
            self._inside.statements = 0
            self._inside.active = True
            profile = cProfile.Profile()
            profile.enable()
            try:
                result = self.app(environ, started)
                try:
                    body = list(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            finally:
                profile.disable()
                self._inside.active = False
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        with self._lock:
            if status and not status[-1].startswith("200") and self.refusal is None:
                self.refusal = f"{status[-1]} {environ.get('PATH_INFO')}: {b''.join(body)[:300]!r}"
            self.calls += calls
            self.statements += self._inside.statements
            self.requests += 1
            code = status[-1].split(" ", 1)[0] if status else "none"
            self.statuses[code] = self.statuses.get(code, 0) + 1
        return body

    def _statement(self, *_args: Any) -> None:
        if getattr(self._inside, "active", False):
            self._inside.statements += 1

    def per_request(self) -> tuple[float, float]:
        """Mean calls and statements per request counted since the last :meth:`reset`."""
        if not self.requests:
            raise RuntimeError("no request was counted")
        return self.calls / self.requests, self.statements / self.requests


@dataclass(frozen=True)
class Count:
    key: str
    """``a``, ``a'``, ``b``, ``b audio``, ``b new``, ``b new audio``, ``step`` or ``c``."""
    backend: str
    """``sqlite``, ``postgresql``, or ``-`` for (a), which has no database."""
    label: str
    calls: float
    statements: float | None
    requests: int


LABELS = {
    "a": "(a) bare Flask TwiML",
    "a'": "(a') floor: signature + one INSERT",
    "b": "(b) /voice/incoming 1001011",
    "b audio": "(b) /voice/incoming 1001011, prompt audio on",
    "b new": "(b) 1001011, a caller with new figures each time",
    "b new audio": "(b) 1001011, new figures, prompt audio on",
    "step": "step: /voice/step key 1 at the language menu",
    "c": "(c) simulated call mix",
}


def signed_environ(base_url: str, path: str, params: Mapping[str, str]) -> Environ:
    """A WSGI environ posting *params* to *path*, signed as Twilio signs it."""
    validator = RequestValidator(_auth_token())
    signature = validator.compute_signature(base_url + path, dict(params))
    builder = EnvironBuilder(
        path=path, method="POST", data=dict(params), headers=[("X-Twilio-Signature", signature)]
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _auth_token() -> str:
    from ivr.config import LOCAL_AUTH_TOKEN

    return os.environ.get("TWILIO_AUTH_TOKEN") or LOCAL_AUTH_TOKEN


def count(counter: CallCounter, environs: list[Environ]) -> tuple[float, float, int]:
    """Send the first :data:`WARM_UP` environs uncounted, then count the rest: the mean
    calls and statements per request, and how many requests were counted. Every answer
    must be a 200, so that what is counted is the work asked for, not a refusal."""
    for environ in environs[:WARM_UP]:
        counter(environ, _ignore)
    counter.reset()
    for environ in environs[WARM_UP:]:
        counter(environ, _ignore)
    if set(counter.statuses) != {"200"}:
        raise RuntimeError(
            f"answers other than 200 while counting: {counter.statuses}; first: {counter.refusal}"
        )
    calls, statements = counter.per_request()
    return calls, statements, counter.requests


def _ignore(_status: str, _headers: Any, _exc_info: Any = None) -> None:
    return None


@contextlib.contextmanager
def devnull_logging() -> Iterator[None]:
    """The served app's logging (:func:`ivr.logs.configure`: JSON lines at INFO) into
    ``os.devnull``; the app's own ``logs.configure()`` then finds it configured."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    with open(os.devnull, "w") as devnull:
        handler = logging.StreamHandler(devnull)
        handler.setFormatter(logs.JsonFormatter())
        root.handlers = [handler]
        root.setLevel(logging.INFO)
        try:
            yield
        finally:
            root.handlers, root.level = saved_handlers, saved_level


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def rendered_prompts() -> Iterator[Path]:
    """The prompt audio rendered into a directory of this run (starting from a copy of what
    ``ivr prompts render`` made, if anything: only what is missing or stale is rendered)."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-prompts-"))
    try:
        source = default_audio_dir()
        if source.is_dir():
            shutil.copytree(source, folder, dirs_exist_ok=True, symlinks=True)
        report = render_all(folder)
        if not report.ok:
            raise RuntimeError(f"rendering the prompts failed: {report.failed}")
        yield folder.resolve()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def hotline_app(db_url: str, base_url: str, audio_dir: Path | None) -> Flask:
    """The app gunicorn serves in the bench (``app:create_app()``), on *db_url*."""
    from app import create_app

    return create_app(
        {
            "database_url": db_url,
            "public_base_url": base_url,
            "prompt_audio": audio_dir is not None,
            "prompt_audio_dir": str(audio_dir or "var/prompts"),
        }
    )


def _counted(key: str, backend: str, app: WsgiApp, environs: list[Environ], *engines: Any) -> Count:
    counter = CallCounter(app)
    for engine in engines:
        counter.watch(engine)
    calls, statements, requests = count(counter, environs)
    return Count(key, backend, LABELS[key], calls, statements if engines else None, requests)


def _incoming(base_url: str, n: int, callers: list[str] | None = None) -> list[Environ]:
    return [
        signed_environ(
            base_url,
            "/voice/incoming",
            webhooks.call_params("1001011", caller=callers[i])
            if callers
            else webhooks.call_params("1001011"),
        )
        for i in range(n)
    ]


def distinct_callers(session: Session, n: int) -> list[str]:
    """*n* new subscribers, each with a balance and charges no other has: a reply of
    figures never heard before, so neither the TwiML nor the joined audio comes from a
    cache. Their numbers in the form Twilio posts."""
    callers = []
    for i in range(n):
        msisdn = f"135{i:08d}"
        subscriber = Subscriber(msisdn=msisdn, name=f"bench {i}")
        subscriber.account = Account(balance_fen=10_000 + 37 * i, month_charges_fen=2_000 + 13 * i)
        session.add(subscriber)
        callers.append("+86" + msisdn)
    return callers


def ceiling() -> Count:
    base_url = "http://127.0.0.1:8000"
    return _counted("a", "-", bare_app.app, _incoming(base_url, WARM_UP + COUNTED))


def floor(backend: str, db_url: str) -> Count:
    """(a'); the floor's table must exist on *db_url*."""
    base_url = f"http://127.0.0.1:{free_port()}"
    with environment(DATABASE_URL=db_url, PUBLIC_BASE_URL=base_url):
        app = floor_app.create_app()
    environs = _incoming(base_url, WARM_UP + COUNTED)
    counter = CallCounter(app)
    counter.watch(sa.engine.Engine)  # the floor keeps its engine to itself: every engine
    engines: set[sa.engine.Engine] = set()

    def seen(conn: sa.engine.Connection, *_args: Any) -> None:
        engines.add(conn.engine)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        calls, statements, requests = count(counter, environs)
    finally:
        counter.unwatch(sa.engine.Engine)
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    for engine in engines:
        engine.dispose()
    return Count("a'", backend, LABELS["a'"], calls, statements, requests)


def calls_in_progress(app: WsgiApp, base_url: str, n: int) -> list[str]:
    """*n* 10010 calls whose ``/voice/incoming`` was answered (each now at the language
    menu): their CallSids. Sent straight to *app*, not counted."""
    sids = []
    for _ in range(n):
        params = webhooks.call_params("10010")
        status = _answer(app, signed_environ(base_url, "/voice/incoming", params))
        if not status.startswith("200"):
            raise RuntimeError(f"/voice/incoming for 10010 answered {status}")
        sids.append(params["CallSid"])
    return sids


def _answer(app: WsgiApp, environ: Environ) -> str:
    """Send *environ* to *app*, read the whole answer: its status."""
    status: list[str] = []

    def started(code: str, _headers: Any, _exc_info: Any = None) -> None:
        status.append(code)

    body = app(environ, started)
    try:
        b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return status[-1] if status else "none"


def step_environs(base_url: str, sids: Iterable[str]) -> list[Environ]:
    """Signed ``/voice/step`` with key 1 for each call of *sids* (in progress on 10010)."""
    return [
        signed_environ(
            base_url,
            "/voice/step",
            webhooks.call_params("10010", sid, Digits="1", CallStatus="in-progress"),
        )
        for sid in sids
    ]


def mix(app: WsgiApp, engine: sa.engine.Engine, backend: str, port: int) -> Count:
    """(c): the app served in-process (werkzeug, threaded) on *port*, that of its public
    base URL, behind the counter, and a small simulated call mix at full speed; calls over
    all the requests the mix made."""
    counter = CallCounter(app)
    counter.watch(engine)
    server = make_server("127.0.0.1", port, counter, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result, _ = webhooks.simulated_mix("", f"http://127.0.0.1:{port}", 4, 2, 0.0)
        counter.reset()
        result, _ = webhooks.simulated_mix(
            "", f"http://127.0.0.1:{port}", MIX_CALLS, MIX_CONCURRENCY, 0.0
        )
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    if result.errors:
        raise RuntimeError(f"the call mix had {result.errors} errors")
    calls, statements = counter.per_request()
    return Count("c", backend, LABELS["c"], calls, statements, counter.requests)


def run(backends: tuple[str, ...] = ("sqlite", "postgresql")) -> Iterator[Count]:
    """Each count as soon as it is taken."""
    with devnull_logging(), rendered_prompts() as audio_dir:
        yield ceiling()
        for backend in backends:
            with webhooks.database(backend) as db_url:
                upgrade(db_url)
                webhooks._create_floor_table(db_url)
                yield floor(backend, db_url)
                yield from _hotline(backend, db_url, audio_dir)


def _hotline(backend: str, db_url: str, audio_dir: Path) -> Iterator[Count]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = hotline_app(db_url, base_url, None)
    hotline = app.extensions["hotline"]
    with app.app_context(), transaction(hotline.sessions) as session:
        seed(session, hotline.clock.now())
    engine = hotline.db
    n = WARM_UP + COUNTED
    try:
        yield _counted("b", backend, app, _incoming(base_url, n), engine)
        with transaction(hotline.sessions) as session:
            callers = distinct_callers(session, n)
        yield _counted("b new", backend, app, _incoming(base_url, n, callers), engine)
        with_audio = hotline_app(db_url, base_url, audio_dir)
        audio_engine = with_audio.extensions["hotline"].db
        try:
            yield _counted("b audio", backend, with_audio, _incoming(base_url, n), audio_engine)
            yield _counted(
                "b new audio", backend, with_audio, _incoming(base_url, n, callers), audio_engine
            )
        finally:
            audio_engine.dispose()
        sids = calls_in_progress(app, base_url, n)
        yield _counted("step", backend, app, step_environs(base_url, sids), engine)
        yield mix(app, engine, backend, port)
    finally:
        engine.dispose()


_OF_FLOOR = "of (a')"
HEADER = (
    f"{'measurement':<50} {'backend':<10} {'calls/req':>10} {'of (a)':>7} "
    f"{_OF_FLOOR:>8} {'SQL/req':>8} {'requests':>8}"
)


def row(c: Count, counts: Iterable[Count] = ()) -> str:
    """One count, with its ratio to (a) and to the (a') of its backend when known."""
    known = list(counts)
    ceiling = next((k.calls for k in known if k.key == "a"), None)
    floor = next((k.calls for k in known if k.key == "a'" and k.backend == c.backend), None)
    statements = "" if c.statements is None else f"{c.statements:.1f}"
    return (
        f"{c.label:<50} {c.backend:<10} {c.calls:>10,.0f} {_times(c.calls, ceiling):>7} "
        f"{_times(c.calls, floor):>8} {statements:>8} {c.requests:>8}"
    )


def _times(value: float, reference: float | None) -> str:
    return "" if not reference else f"{value / reference:.2f}×"


def lookup(counts: Iterable[Count]) -> dict[tuple[str, str], float]:
    """Calls per request by (key, backend); (a) under every backend too."""
    found = {(c.key, c.backend): c.calls for c in counts}
    if ("a", "-") in found:
        for backend in ("sqlite", "postgresql"):
            found[("a", backend)] = found[("a", "-")]
    return found


def print_table(backends: tuple[str, ...]) -> list[Count]:
    """Print the table as the counts come; the counts."""
    print(
        f"Python function calls per request (cProfile, through the WSGI app, mean of {COUNTED} "
        f"after {WARM_UP}; (c): {MIX_CALLS} calls) and SQL statements per request",
        flush=True,
    )
    print(HEADER, "-" * len(HEADER), sep="\n", flush=True)
    counts: list[Count] = []
    for c in run(backends):
        counts.append(c)
        print(row(c, counts), flush=True)
    return counts
