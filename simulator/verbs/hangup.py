"""``<Hangup>`` and ``<Reject>``: the service ends the call; a rejected call never connects
and ends ``busy`` or ``no-answer``, as its ``reason`` says."""

from __future__ import annotations

from typing import NoReturn

from simulator import twiml
from simulator.verbs.context import CallEnded


def hangup(verb: twiml.Hangup) -> NoReturn:
    raise CallEnded("service")


def reject(verb: twiml.Reject) -> NoReturn:
    raise CallEnded("service", "busy" if verb.reason == "busy" else "no-answer")
