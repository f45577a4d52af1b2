"""The flows' unit tests run on a :class:`FlowBench`: the real engine and states, in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.clocks import TestClock
from tests.support.flow_context import FlowBench, FlowDatabase


@pytest.fixture(scope="session")
def flow_database() -> Iterator[FlowDatabase]:
    database = FlowDatabase()
    yield database
    database.close()


@pytest.fixture
def bench(
    flow_database: FlowDatabase, clock: TestClock, settings_overrides: dict[str, Any]
) -> FlowBench:
    """The hotline's flows on the test's clock and settings, on an emptied database."""
    return FlowBench(flow_database, clock, **settings_overrides)
