"""The bench's call counter (bench/calls.py) counts what each request does: more work in the
handler shows as more calls, each request is counted on its own, and statements sent on a
watched engine are counted per request too. Deterministic: nothing here is timed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, Response, request
from werkzeug.test import EnvironBuilder

from bench.calls import CallCounter


def _work(value: int) -> int:
    return value + 1


def _app(engine: sa.engine.Engine | None = None) -> Flask:
    app = Flask(__name__)

    @app.get("/work/<int:n>")
    def work(n: int) -> Response:
        total = 0
        for _ in range(n):
            total = _work(total)
        if engine is not None:
            with engine.begin() as conn:
                for _ in range(int(request.args.get("statements", "0"))):
                    conn.execute(sa.text("SELECT 1"))
        return Response(str(total))

    return app


def _environ(path: str) -> dict[str, object]:
    builder = EnvironBuilder(path=path)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _send(counter: CallCounter, path: str, times: int = 1) -> list[bytes]:
    body: list[bytes] = []
    for _ in range(times):
        body = counter(_environ(path), lambda *_args: None)
    return body


def _per_request(app: Flask, path: str, times: int = 5) -> float:
    counter = CallCounter(app)
    _send(counter, path, 3)  # warm-up: first requests import and cache
    counter.reset()
    _send(counter, path, times)
    assert counter.requests == times
    return counter.per_request()[0]


@pytest.fixture
def engine() -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine("sqlite://")
    yield engine
    engine.dispose()


def test_more_work_in_the_handler_shows_as_exactly_that_many_more_calls() -> None:
    app = _app()
    none, ten, hundred = (_per_request(app, f"/work/{n}") for n in (0, 10, 100))
    assert none > 50  # Flask's own dispatch is counted: the profiler saw the request
    assert ten - none == 10
    assert hundred - none == 100


def test_each_request_is_counted_on_its_own_not_cumulatively() -> None:
    counter = CallCounter(_app())
    _send(counter, "/work/20", 3)
    counter.reset()
    _send(counter, "/work/20")
    one = counter.calls
    _send(counter, "/work/20", 9)
    assert counter.requests == 10
    assert counter.calls == 10 * one
    assert counter.per_request()[0] == one


def test_the_answer_is_passed_on_and_its_status_recorded() -> None:
    counter = CallCounter(_app())
    assert _send(counter, "/work/3") == [b"3"]
    _send(counter, "/nowhere")
    assert counter.statuses == {"200": 1, "404": 1}
    assert counter.refusal is not None and counter.refusal.startswith("404 NOT FOUND /nowhere")


def test_statements_on_a_watched_engine_are_counted_per_request(
    engine: sa.engine.Engine,
) -> None:
    counter = CallCounter(_app(engine))
    counter.watch(engine)
    _send(counter, "/work/0?statements=3", 2)
    counter.reset()
    _send(counter, "/work/0?statements=3", 4)
    assert counter.per_request()[1] == 3
    counter.reset()
    _send(counter, "/work/0?statements=5", 4)
    assert counter.per_request()[1] == 5
    with engine.connect() as conn:  # outside a counted request: not counted
        conn.execute(sa.text("SELECT 1"))
    assert counter.statements == 20


def test_nothing_counted_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError):
        CallCounter(_app()).per_request()
