"""Two parties talking: who hangs up first, decided deterministically in simulated time.

Each party proposes how long it will talk (``math.inf``: until the other hangs up). The
conversation lasts the shorter proposal, and that party is the one who hung up. Proposals meet
in :meth:`Bridge.agree`, so two call threads reach the same answer whatever their real timing.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


class BridgeFailed(Exception):
    """The other party never joined (it hung up first, or the real-time guard expired)."""


@dataclass(frozen=True)
class Outcome:
    seconds: float
    ended_by: str  # the party that hung up
    note: str = ""


class Bridge:
    """A conversation between ``caller`` and ``callee`` (party names, e.g. call sids)."""

    def __init__(self, caller: str, callee: str) -> None:
        self.caller = caller
        self.callee = callee
        self._proposals: dict[str, float] = {}
        self._cancelled = False
        self._condition = threading.Condition()

    @classmethod
    def with_phone(cls, caller: str, phone: str, talk_seconds: float) -> Bridge:
        """A bridge whose far end is a plain phone that talks ``talk_seconds``."""
        bridge = cls(caller, phone)
        bridge._proposals[phone] = talk_seconds
        return bridge

    def cancel(self) -> None:
        """The party that was to join is gone; whoever waits in :meth:`agree` fails."""
        with self._condition:
            self._cancelled = True
            self._condition.notify_all()

    def propose(self, party: str, seconds: float) -> None:
        """Propose talking ``seconds``, without waiting for the other party."""
        with self._condition:
            self._proposals[party] = seconds
            self._condition.notify_all()

    def proposal(self, party: str, timeout: float) -> float | None:
        """What ``party`` proposed, waiting up to ``timeout`` real seconds; None before then
        (a party that talks in real time learns this way how long the other will)."""
        with self._condition:
            self._condition.wait_for(lambda: party in self._proposals, timeout=timeout)
            return self._proposals.get(party)

    def agree(self, party: str, seconds: float, timeout: float) -> Outcome:
        """Propose talking ``seconds``; wait (real ``timeout``) for the other; the outcome."""
        with self._condition:
            self._proposals[party] = seconds
            self._condition.notify_all()
            joined = self._condition.wait_for(
                lambda: self._cancelled or len(self._proposals) == 2, timeout=timeout
            )
            if self._cancelled or not joined:
                raise BridgeFailed("the other party did not join the conversation")
            caller_time = self._proposals[self.caller]
            callee_time = self._proposals[self.callee]
        if math.isinf(caller_time) and math.isinf(callee_time):
            return Outcome(0.0, self.caller, "neither party planned to hang up")
        if caller_time <= callee_time:
            return Outcome(caller_time, self.caller)
        return Outcome(callee_time, self.callee)
