"""What passes between a call and its verb handlers: the document being run, the exceptions
that end or divert the call, and what a handler may do with its call and network.

:class:`CallContext` and :class:`CallNetwork` are protocols, so that handlers know a call
only by what they use of it, and the call knows the network only by what it needs:
:class:`~simulator.call.SimulatedCall` and :class:`~simulator.network.Network` satisfy them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

from simulator import twiml
from simulator.clients import Clients
from simulator.config import NetworkConfig
from simulator.control import BridgeTo, CallControl, RedirectTo
from simulator.inputs import Action, Moment, Speak
from simulator.parties import Parties
from simulator.queues import Queues
from simulator.recordings import Recordings
from simulator.registry import CallRegistry
from simulator.result import SIMULATOR_ERROR, CallError, Heard
from simulator.timing import Clock
from simulator.webhook import Fetched


@dataclass(frozen=True)
class Document:
    """A TwiML document being run, and the URL it came from: ``""`` for inline TwiML, whose
    relative URLs cannot be resolved."""

    url: str
    verbs: list[twiml.Verb]

    def resolve(self, reference: str) -> str:
        """A verb's URL, relative to the document's URL as Twilio resolves it."""
        return urljoin(self.url, reference.strip())

    def allowing_only(self, verbs: frozenset[str], where: str) -> Document:
        """This document, if it holds only ``verbs`` (class names); else :class:`AppError`."""
        try:
            twiml.require_only(self.verbs, verbs, where)
        except twiml.TwimlError as error:
            raise AppError(CallError(error.code, error.message, self.url)) from None
        return self


class CallEnded(Exception):
    """The call is over: ``hung_up_by`` caller, service or api; its final ``status``."""

    def __init__(self, hung_up_by: str, status: str = "completed") -> None:
        super().__init__(hung_up_by)
        self.hung_up_by = hung_up_by
        self.status = status


class AppError(Exception):
    """The application failed the call (a webhook, its TwiML): Twilio apologises and hangs
    up, unless the failure was in a queue's wait music."""

    def __init__(self, error: CallError) -> None:
        super().__init__(error.message)
        self.error = error


class Redirected(Exception):
    """The REST API gave the call new TwiML; whatever runs now stops."""

    def __init__(self, command: RedirectTo) -> None:
        super().__init__(command.url or "inline TwiML")
        self.command = command


class Bridged(Exception):
    """An agent took the caller out of its queue to talk."""

    def __init__(self, command: BridgeTo) -> None:
        super().__init__(command.dequeuer)
        self.command = command


class Holding(Protocol):
    """The caller's wait in a queue, which decides how simulated time passes meanwhile."""

    def spend(self, seconds: float) -> None:
        """Let ``seconds`` pass (``math.inf``: audio that never ends) as the caller holds;
        may end the wait or the call by raising."""
        ...


class CallNetwork(Protocol):
    """What a call needs of the network it runs on."""

    @property
    def config(self) -> NetworkConfig: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def calls(self) -> CallRegistry: ...

    @property
    def queues(self) -> Queues: ...

    @property
    def recordings(self) -> Recordings: ...

    @property
    def parties(self) -> Parties: ...

    @property
    def clients(self) -> Clients: ...


class CallContext(Protocol):
    """What a verb handler may do with its call.

    Time passes only through :meth:`spend` (which takes outside events at checkpoints) and,
    for a caller on hold, :meth:`sleep` and :meth:`wait_for_event`.
    """

    @property
    def sid(self) -> str: ...

    @property
    def network(self) -> CallNetwork: ...

    @property
    def control(self) -> CallControl: ...

    @property
    def elapsed(self) -> float:
        """Simulated seconds since the call was answered."""
        ...

    hold: Holding | None
    """Set while the caller waits in a queue."""

    # requests to the application
    def params(self) -> dict[str, str]:
        """The call's parameters, as every request about it carries them."""
        ...

    def fetch(self, url: str, method: str, extra: dict[str, str] | None = None) -> Document:
        """Request TwiML with the call's parameters and ``extra``; :class:`AppError` if the
        request or its document fails."""
        ...

    def notify(self, method: str, url: str, params: dict[str, str], what: str) -> None:
        """A request whose answer Twilio ignores; a failure is a warning."""
        ...

    def download(self, url: str) -> Fetched:
        """GET media (a ``<Play>`` URL); raises :class:`~simulator.webhook.FetchError`."""
        ...

    def warn(self, message: str, url: str = "", code: str = SIMULATOR_ERROR) -> None:
        """Record a problem that does not end the call."""
        ...

    # time and outside events
    def checkpoint(self) -> None:
        """Take an outside event, if one came: it raises to divert or end the call."""
        ...

    def spend(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass between checkpoints; ``math.inf`` (audio
        that never ends) lasts only as long as a caller on hold waits."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let simulated time pass, cut short by an outside event; no checkpoint."""
        ...

    def wait_for_event(self, real_seconds: float) -> None:
        """Wait up to ``real_seconds`` of real time for an outside event, counting the
        simulated time that passes meanwhile; no checkpoint."""
        ...

    # the caller
    def hear(self, heard: Heard) -> None:
        """Add to what the caller heard."""
        ...

    def ask(self, moment: Moment, gather: twiml.Gather | None = None) -> Action | None:
        """The caller's next action at ``moment`` (see :mod:`simulator.inputs`)."""
        ...

    def speech(self, action: Speak, language: str) -> tuple[str, float | None]:
        """What the caller said, and the confidence: ``action``'s text, or its audio
        transcribed; ``("", None)`` when it cannot be."""
        ...

    def press_on(self, keys: str) -> None:
        """The caller goes on pressing ``keys`` after a ``<Gather>`` ended without them."""
        ...

    def keys_ahead(self) -> str:
        """The keys the caller went on pressing, taken by a ``<Gather>`` that listens for
        keys. A verb other than such a ``<Gather>`` or a ``<Redirect>`` runs while nobody
        listens, and the keys are lost (:meth:`run_verb`)."""
        ...

    # running TwiML
    def run_verb(self, verb: twiml.Verb, document: Document) -> Document | None:
        """Run one verb of ``document`` by its handler; the document that takes over."""
        ...

    def run_document(self, document: Document) -> Document | None:
        """Run the verbs of ``document`` in order; the document that takes over."""
        ...
