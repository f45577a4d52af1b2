"""Waiting in a queue: how the caller holds (``Moment.QUEUE`` in :mod:`simulator.inputs`),
and the wait music it hears meanwhile, which loops until something takes the caller out.

The caller either waits a number of simulated seconds (``Wait``), holds until an agent or
the REST API takes it out (``Hold``, bounded by the network's real ``hold_timeout``), hangs
up, or listens for a ``<Gather>`` in the wait music to press or say something.
"""

from __future__ import annotations

import math
import time
from typing import Literal, NoReturn

from simulator import twiml
from simulator.inputs import Hangup, Hold, Moment, Wait
from simulator.result import Heard
from simulator.verbs import gather
from simulator.verbs.context import CallContext, CallEnded, Document

_WAIT_URL_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})
_HOLD_POLL = 0.05  # real seconds between checks while holding with time standing still
_HOLD_MUSIC_SECONDS = 30
_WAIT_MUSIC_MIN_SECONDS = 1.0  # Twilio does not re-request the waitUrl in a busy loop

_Mode = Literal["wait", "hold", "listen"]


class Left(Exception):
    """``<Leave>`` in the wait music."""


class _HoldOver(Exception):
    """The caller's ``Wait`` in the queue ran out: time to decide again."""


class QueueHold:
    """A caller's stay in queue ``queue_name``, joined at simulated time ``started``."""

    def __init__(self, call: CallContext, queue_name: str, started: float) -> None:
        self.queue_name = queue_name
        self.started = started
        self._call = call
        self._mode: _Mode | None = None  # None: undecided
        self._deadline: float | None = None  # simulated, in "wait" mode
        self._real_deadline = math.inf  # time.monotonic(), in "hold" mode
        self._saw_gather = False  # a <Gather> listened since the caller chose "listen"

    def spend(self, seconds: float) -> None:
        """Let ``seconds`` pass within the caller's budget: a ``Wait`` that runs out ends
        this pass of the wait music; audio that never ends lasts as long as the caller
        holds."""
        if math.isinf(seconds) and self._mode is None:
            self._decide()
        if self._deadline is not None:
            remaining = self._deadline - self._call.elapsed
            if seconds >= remaining:
                self._call.sleep(max(0.0, remaining))
                raise _HoldOver
        if math.isinf(seconds):
            self._endless()
        self._call.sleep(seconds)

    def wait(self, verb: twiml.Enqueue, document: Document) -> NoReturn:
        """Loop the wait music until something takes the caller out (an exception)."""
        call = self._call
        wait_document: Document | None = None
        pass_started = call.elapsed
        while True:
            try:
                if wait_document is None:
                    pass_started = call.elapsed
                    wait_document = self._wait_music(verb, document)
                wait_document = self._play(wait_document)
                if wait_document is not None:
                    continue  # a Redirect or Gather action handed over within the wait music
                if call.elapsed - pass_started < _WAIT_MUSIC_MIN_SECONDS:
                    call.spend(_WAIT_MUSIC_MIN_SECONDS)
                if self._mode is None:
                    self._decide()
                elif self._mode == "hold":
                    self._pause()
                elif self._mode == "listen" and not self._saw_gather:
                    call.warn("the caller expects a <Gather> but the wait music has none")
                    raise CallEnded("caller")
            except _HoldOver:
                self._decide()

    def _wait_music(self, verb: twiml.Enqueue, document: Document) -> Document:
        """The ``waitUrl`` document, or Twilio's own hold music without one."""
        call = self._call
        if verb.wait_url is None:
            call.hear(Heard("music", "(hold music)", at=call.elapsed, origin="network"))
            return Document("", [twiml.Pause(length=_HOLD_MUSIC_SECONDS)])
        status = call.network.queues.status(self.queue_name, call.sid)
        params = {
            "QueuePosition": str(status.position),
            "QueueSid": status.sid,
            "QueueTime": str(round(call.elapsed - self.started)),
            "AvgQueueTime": str(status.average_wait),
            "CurrentQueueSize": str(status.size),
            "MaxQueueSize": str(status.max_size),
        }
        fetched = call.fetch(document.resolve(verb.wait_url), verb.wait_url_method, params)
        return fetched.allowing_only(_WAIT_URL_VERBS, "a waitUrl document")

    def _play(self, document: Document) -> Document | None:
        """One pass of the wait music; a successor (Redirect, Gather action) or None."""
        call = self._call
        for verb in document.verbs:
            call.checkpoint()
            if isinstance(verb, twiml.Gather):
                if self._mode is None:
                    self._decide()
                listening = self._mode == "listen"
                self._saw_gather = self._saw_gather or listening
                successor = gather.run(call, verb, document, listening=listening)
                if listening:
                    self._mode = None
            else:
                successor = call.run_verb(verb, document)
            if successor is not None:
                return successor.allowing_only(_WAIT_URL_VERBS, "a waitUrl document")
        return None

    def _decide(self) -> None:
        """Ask the caller how to go on holding."""
        action = self._call.ask(Moment.QUEUE)
        self._deadline = None
        self._real_deadline = math.inf
        if isinstance(action, Wait):
            self._mode, self._deadline = "wait", self._call.elapsed + action.seconds
        elif isinstance(action, Hold):
            self._mode = "hold"
            self._real_deadline = time.monotonic() + self._call.network.config.hold_timeout
        elif isinstance(action, Hangup):
            raise CallEnded("caller")
        else:
            self._mode, self._saw_gather = "listen", False

    def _endless(self) -> NoReturn:
        """Audio that never ends (``loop="0"``): only an outside event stops it."""
        if self._mode != "hold":
            self._call.warn(
                "endless audio (loop=0) where the caller cannot wait: the caller hangs up"
            )
            raise CallEnded("caller")
        while True:
            self._pause()

    def _pause(self) -> None:
        """Wait a moment of real time for an outside event, within the hold timeout."""
        call = self._call
        now = time.monotonic()
        if now >= self._real_deadline:
            call.warn(
                f"held in queue {self.queue_name!r} for {call.network.config.hold_timeout} "
                "real seconds without being dequeued: the caller hangs up"
            )
            raise CallEnded("caller")
        call.wait_for_event(min(_HOLD_POLL, self._real_deadline - now))
        call.checkpoint()
