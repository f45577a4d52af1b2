"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL for tests marked so),
a signed Twilio-like test client, and a `Caller` that dials, presses and speaks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from app import create_app
from expert_desk.desk import Desk
from hotline.container import Hotline
from hotline.demo import seed
from ivr.db import Base, transaction
from ivr.migrate import upgrade
from tests.support.caller import Caller, TwilioClient
from tests.support.clocks import TestClock
from tests.support.desk import FakeTelephony, use_test_doubles
from tests.support.pgserver import PostgresServer
from tests.support.sms_harness import Wire

BACKENDS = ("sqlite", "postgresql")

# Property tests judge outcomes, never speed: on a loaded two-core machine a fast example can
# take seconds, so neither a per-example deadline nor Hypothesis's slowness checks apply.
settings.register_profile(
    "outcomes",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("outcomes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        help="the quick check while working (make check): one case of every test that is "
        "not slow, on SQLite, without the browser; make test runs every case",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--quick``, keep the first case of each test function that is neither slow nor
    in the browser, on SQLite: every behaviour of every package once, in about a minute."""
    if not config.getoption("quick"):
        return
    kept: list[pytest.Item] = []
    functions: set[str] = set()
    for item in items:
        function = item.nodeid.split("[", 1)[0]
        params = getattr(item, "callspec", None)
        if (
            item.get_closest_marker("slow")
            or item.get_closest_marker("browser")
            or (params is not None and params.params.get("backend") == "postgresql")
            or function in functions
        ):
            continue
        functions.add(function)
        kept.append(item)
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        wanted = BACKENDS if metafunc.definition.get_closest_marker("postgres") else BACKENDS[:1]
        metafunc.parametrize("backend", wanted, scope="function")


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server, migrated once; tests get it emptied."""
    server = PostgresServer().start()
    upgrade(server.url)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return emptied(request.getfixturevalue("postgres"))


def emptied(url: str) -> str:
    """The PostgreSQL database at *url* with every table emptied."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override settings by field name through this fixture."""
    return {}


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> TestClock:
    """The hotline's clock: far from today and running, unless the test's ``clock`` marker
    says where it starts and whether it stands still (``pytest.mark.clock(T0, running=False)``).
    """
    marker = request.node.get_closest_marker("clock")
    return TestClock(*marker.args, **marker.kwargs) if marker else TestClock()


@pytest.fixture
def app(
    database_url: str, tmp_path: Path, settings_overrides: dict[str, Any], clock: TestClock
) -> Iterator[Flask]:
    config = {
        "env": "test",
        "database_url": database_url,
        "public_base_url": "http://hotline.test",
        "prompt_audio": False,
        "prompt_audio_dir": str(tmp_path / "prompts"),
        **settings_overrides,
    }
    app = create_app(config, clock=clock)
    with app.app_context(), transaction(app.extensions["hotline"].sessions) as session:
        seed(session, clock.now())
    yield app
    app.extensions["hotline"].db.dispose()


@pytest.fixture
def wire(clock: TestClock) -> Iterator[Wire]:
    """Twilio's REST API and messaging, played locally on the test's clock (the app is
    pointed at it by ``wire.overrides()``)."""
    with Wire(clock) as running:
        yield running


@pytest.fixture
def hotline(app: Flask) -> Hotline:
    return app.extensions["hotline"]


@pytest.fixture
def twilio(app: Flask) -> TwilioClient:
    """Posts webhooks the way Twilio does: form-encoded and signed."""
    return TwilioClient(app.test_client(), app.extensions["hotline"].settings)


@pytest.fixture
def caller(twilio: TwilioClient) -> Caller:
    return Caller(twilio)


@pytest.fixture
def doubles(app: Flask) -> tuple[Desk, TestClock, FakeTelephony]:
    """The app's expert desk with a Twilio stand-in that records its requests, and the
    app's clock: what the desk's tests drive."""
    return use_test_doubles(app)


@pytest.fixture
def desk(doubles: tuple[Desk, TestClock, FakeTelephony]) -> Desk:
    return doubles[0]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (it cannot download browsers here), for the
    tests of every web page; skipped where it is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed (scripts/ensure-system-packages does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # A microphone for the browser phone (getUserMedia): a fake one.
                "--use-fake-device-for-media-stream",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()
