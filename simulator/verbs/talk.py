"""Talking through a bridge: for a ``<Dial>``, and for a caller an agent took out of its
queue. Who hangs up first is decided by the :class:`~simulator.bridge.Bridge`."""

from __future__ import annotations

import math

from simulator.bridge import Bridge
from simulator.inputs import Hangup, Moment, Wait
from simulator.verbs.context import CallContext


def talk(call: CallContext, bridge: Bridge) -> bool:
    """Talk through ``bridge`` until someone hangs up; True if this party did. Raises
    :class:`~simulator.bridge.BridgeFailed` if the other party never joins."""
    planned = _planned_talk(call)
    outcome = bridge.agree(call.sid, planned, timeout=call.network.config.hold_timeout)
    if outcome.note:
        call.warn(f"bridge: {outcome.note}; ended at once")
    call.spend(outcome.seconds)
    return outcome.ended_by == call.sid


def _planned_talk(call: CallContext) -> float:
    """How long this party means to talk: its ``Wait`` steps until a ``Hangup``."""
    total = 0.0
    while True:
        action = call.ask(Moment.BRIDGE)
        if isinstance(action, Wait):
            total += action.seconds
        elif isinstance(action, Hangup):
            return total
        else:
            return math.inf
