"""The Voice SDK clients registered with the network: what ``<Dial><Client>`` can ring.

Twilio rings a client identity only where a Voice SDK endpoint has registered with an access
token for it; an identity nobody registered never answers. Here endpoints register in
:class:`Clients`: the browsers that the signalling stand-in lets in
(:mod:`simulator.signalling`), and simulated agents who pick up at once
(:class:`AnsweringClient`: tests, ``ivr call --client``). An identity registered more than
once (an agent with two console tabs) rings its latest registration here; Twilio rings them
all and the first to answer takes the call.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from simulator.bridge import Bridge

IDENTITY = re.compile(r"[A-Za-z0-9_]{1,121}")
"""A client identity Twilio accepts from every Voice SDK (the mobile ones allow no more)."""


@dataclass(frozen=True)
class Ringing:
    """A call offered to a client: the dialled leg's sid, and whom it is from and to."""

    call_sid: str
    from_: str
    to: str
    account_sid: str


class Answered(Protocol):
    """A client that picked up: its side of the conversation."""

    def join(self, bridge: Bridge) -> None:
        """Take part in *bridge* (as its callee) until one side hangs up; returns at once,
        the client speaking for itself in the bridge from its own thread if it must."""
        ...


class Endpoint(Protocol):
    """A registered client."""

    def ring(self, ringing: Ringing, timeout_s: float) -> Answered | str:
        """Offer the call for up to *timeout_s* real seconds: the answered leg, or how it
        ended unanswered (``no-answer``, ``busy``, ``failed``)."""
        ...


@dataclass(frozen=True, eq=False)
class AnsweringClient:
    """A simulated agent who answers at once and talks *talk_seconds* (``math.inf``: until
    the caller hangs up)."""

    talk_seconds: float = math.inf

    def ring(self, ringing: Ringing, timeout_s: float) -> Answered | str:
        return self

    def join(self, bridge: Bridge) -> None:
        bridge.propose(bridge.callee, self.talk_seconds)


class Clients:
    """Client identities and their registrations; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registered: dict[str, list[Endpoint]] = {}

    def register(self, identity: str, endpoint: Endpoint) -> None:
        with self._lock:
            self._registered.setdefault(identity, []).append(endpoint)

    def unregister(self, identity: str, endpoint: Endpoint) -> None:
        """Forget this registration of *identity* (any other stays)."""
        with self._lock:
            left = [e for e in self._registered.get(identity, []) if e is not endpoint]
            if left:
                self._registered[identity] = left
            else:
                self._registered.pop(identity, None)

    def endpoint_for(self, identity: str) -> Endpoint | None:
        """The latest registration of *identity*; None when nobody registered it."""
        with self._lock:
            endpoints = self._registered.get(identity)
            return endpoints[-1] if endpoints else None

    def identities(self) -> list[str]:
        with self._lock:
            return sorted(self._registered)
