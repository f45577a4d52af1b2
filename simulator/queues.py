"""Call queues: FIFO members, sizes and average waits. Not thread-safe by itself:
:class:`~simulator.network.Network` guards every access with its lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.control import CallControl
from simulator.sids import new_sid

DEFAULT_MAX_SIZE = 1000


@dataclass
class Member:
    call_sid: str
    control: CallControl
    waited: Callable[[], float]  # simulated seconds this member has been waiting
    date_enqueued: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass
class CallQueue:
    name: str
    sid: str = field(default_factory=lambda: new_sid("QU"))
    max_size: int = DEFAULT_MAX_SIZE
    members: list[Member] = field(default_factory=list)
    date_created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _finished_waits: list[float] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.members) >= self.max_size

    def position(self, call_sid: str) -> int:
        """1-based position of a member, 0 if it is not in the queue."""
        for index, member in enumerate(self.members, start=1):
            if member.call_sid == call_sid:
                return index
        return 0

    def find(self, call_sid: str) -> Member | None:
        return next((m for m in self.members if m.call_sid == call_sid), None)

    def remove(self, member: Member) -> bool:
        """Take ``member`` out, remembering its wait; False if it had already left."""
        if member not in self.members:
            return False
        self.members.remove(member)
        self._finished_waits.append(member.waited())
        return True

    @property
    def average_wait(self) -> int:
        """Average wait in whole seconds of the callers who left the queue."""
        if not self._finished_waits:
            return 0
        return round(sum(self._finished_waits) / len(self._finished_waits))
