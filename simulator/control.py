"""Commands delivered to a live call from outside it (the REST API, an agent's <Dial>)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from simulator.bridge import Bridge


@dataclass(frozen=True)
class RedirectTo:
    """Continue with the TwiML at ``url`` (or the inline ``twiml``)."""

    url: str | None = None
    method: str = "POST"
    twiml: str | None = None


@dataclass(frozen=True)
class Complete:
    """End the call now (REST ``Status=completed`` or ``canceled``)."""


@dataclass(frozen=True)
class BridgeTo:
    """An agent (call ``dequeuer``) took this caller out of its queue; connect through
    ``bridge`` after playing the TwiML at ``url`` (the ``<Queue url>``) to the caller."""

    bridge: Bridge
    dequeuer: str
    url: str | None = None
    method: str = "POST"


Command = RedirectTo | Complete | BridgeTo


class CallControl:
    """A thread-safe mailbox; ``event`` is set while a command waits to be taken."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[Command] = []
        self._closed = False

    def post(self, command: Command) -> None:
        """Deliver ``command``; a bridge offered to a call that has ended is refused."""
        with self._lock:
            if not self._closed:
                self._pending.append(command)
                self.event.set()
                return
        if isinstance(command, BridgeTo):
            command.bridge.cancel()

    def close(self) -> None:
        """The call ended: refuse what is pending and whatever comes later."""
        with self._lock:
            self._closed = True
        self.cancel_bridges()

    def take(self) -> Command | None:
        with self._lock:
            if not self._pending:
                return None
            command = self._pending.pop(0)
            if not self._pending:
                self.event.clear()
            return command

    def cancel_bridges(self) -> None:
        """Refuse the bridges still waiting: the caller left the queue before taking them."""
        with self._lock:
            bridges = [c for c in self._pending if isinstance(c, BridgeTo)]
            self._pending = [c for c in self._pending if not isinstance(c, BridgeTo)]
            if not self._pending:
                self.event.clear()
        for command in bridges:
            command.bridge.cancel()
