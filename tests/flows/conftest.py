"""The flows' unit tests run on a :class:`FlowBench`: the real engine and states, in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.clocks import TestClock
from tests.support.flow_context import FlowBench


@pytest.fixture
def bench(clock: TestClock, settings_overrides: dict[str, Any]) -> Iterator[FlowBench]:
    """The hotline's flows on the test's clock and settings, on a database of their own."""
    with FlowBench(clock, **settings_overrides) as running:
        yield running
