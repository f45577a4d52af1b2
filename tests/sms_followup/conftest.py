"""Fixtures of the SMS tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.sms_harness import Wire


@pytest.fixture
def live(app: Flask, wire: Wire) -> Iterator[Wire]:
    """The app on a loopback port, where the wire's Twilio posts its status callbacks; at the
    end, every callback the wire still owed has been delivered."""
    wire.serve(app)
    yield wire
    wire.settle()
