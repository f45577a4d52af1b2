"""Call queues: FIFO members, sizes and average waits, and every queue on the network by name.

:class:`CallQueue` is not thread-safe by itself; :class:`Queues` guards every access with one
lock, whose condition also wakes :meth:`Queues.wait_for`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.control import CallControl, RedirectTo
from simulator.errors import RestError
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


@dataclass(frozen=True)
class QueueView:
    """A queue as the REST API shows it."""

    sid: str
    name: str
    current_size: int
    max_size: int
    average_wait: int
    date_created: dt.datetime


@dataclass(frozen=True)
class MemberView:
    """A queue member as the REST API shows it."""

    call_sid: str
    queue_sid: str
    position: int
    wait_time: int
    date_enqueued: dt.datetime


@dataclass(frozen=True)
class QueueStatus:
    """What a waiting caller's waitUrl request reports."""

    sid: str
    position: int
    size: int
    max_size: int
    average_wait: int


class Queues:
    """The network's queues, created by name on first use (``<Enqueue>``) or by the REST API."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queues: dict[str, CallQueue] = {}

    def create(self, name: str, max_size: int = DEFAULT_MAX_SIZE) -> QueueView:
        """The queue ``name``, created with ``max_size`` unless it exists."""
        with self._lock:
            return _queue_view(self._named(name, max_size))

    def enqueue(self, name: str, member: Member) -> tuple[str, bool]:
        """Add ``member`` to queue ``name``: the queue's sid, and False if it was full."""
        with self._lock:
            queue = self._named(name)
            if queue.full:
                return queue.sid, False
            queue.members.append(member)
            self._lock.notify_all()
            return queue.sid, True

    def leave(self, name: str, member: Member) -> None:
        """``member`` is out of queue ``name``, if it was still in."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is not None:
                queue.remove(member)
            self._lock.notify_all()

    def status(self, name: str, call_sid: str) -> QueueStatus:
        with self._lock:
            queue = self._queues[name]
            return QueueStatus(
                sid=queue.sid,
                position=queue.position(call_sid),
                size=len(queue.members),
                max_size=queue.max_size,
                average_wait=queue.average_wait,
            )

    def dequeue_front(self, name: str) -> Member | None:
        """Take the first waiting caller out of queue ``name`` (for ``<Dial><Queue>``)."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is None or not queue.members:
                return None
            member = queue.members[0]
            queue.remove(member)
            self._lock.notify_all()
            return member

    def dequeue_to_url(
        self, queue_sid: str, call_sid: str, url: str, method: str = "POST"
    ) -> MemberView:
        """REST Queue Member update: take a caller (or ``Front``) out; it continues at ``url``."""
        with self._lock:
            queue = self._by_sid(queue_sid)
            member = _member(queue, call_sid)
            view = _member_view(queue, member)
            queue.remove(member)
            self._lock.notify_all()
        member.control.post(RedirectTo(url=url, method=method))
        return view

    def views(self) -> list[QueueView]:
        with self._lock:
            return [_queue_view(queue) for queue in self._queues.values()]

    def view(self, queue_sid: str) -> QueueView:
        with self._lock:
            return _queue_view(self._by_sid(queue_sid))

    def member_views(self, queue_sid: str) -> list[MemberView]:
        with self._lock:
            queue = self._by_sid(queue_sid)
            return [_member_view(queue, member) for member in queue.members]

    def member_view(self, queue_sid: str, call_sid: str) -> MemberView:
        with self._lock:
            queue = self._by_sid(queue_sid)
            return _member_view(queue, _member(queue, call_sid))

    def wait_for(self, name: str, size: int = 1, timeout: float = 10.0) -> QueueView:
        """Wait (real ``timeout``) until queue ``name`` holds at least ``size`` callers."""
        with self._lock:
            reached = self._lock.wait_for(
                lambda: name in self._queues and len(self._queues[name].members) >= size,
                timeout=timeout,
            )
            if not reached:
                raise TimeoutError(f"queue {name!r} did not reach {size} caller(s) in {timeout} s")
            return _queue_view(self._queues[name])

    def _named(self, name: str, max_size: int = DEFAULT_MAX_SIZE) -> CallQueue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = CallQueue(name=name, max_size=max_size)
        return queue

    def _by_sid(self, queue_sid: str) -> CallQueue:
        for queue in self._queues.values():
            if queue.sid == queue_sid:
                return queue
        raise RestError(404, 20404, f"The requested resource Queue {queue_sid} was not found")


def _queue_view(queue: CallQueue) -> QueueView:
    return QueueView(
        sid=queue.sid,
        name=queue.name,
        current_size=len(queue.members),
        max_size=queue.max_size,
        average_wait=queue.average_wait,
        date_created=queue.date_created,
    )


def _member(queue: CallQueue, call_sid: str) -> Member:
    """The caller ``call_sid`` in ``queue``, or its first caller for ``Front`` (as Twilio)."""
    member = queue.members[0] if call_sid == "Front" and queue.members else queue.find(call_sid)
    if member is None:
        raise RestError(404, 20404, f"Queue member {call_sid} was not found in {queue.sid}")
    return member


def _member_view(queue: CallQueue, member: Member) -> MemberView:
    return MemberView(
        call_sid=member.call_sid,
        queue_sid=queue.sid,
        position=queue.position(member.call_sid),
        wait_time=round(member.waited()),
        date_enqueued=member.date_enqueued,
    )
