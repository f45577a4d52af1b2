"""One simulated call: fetch TwiML from the application and follow it as Twilio would.

The call runs synchronously in the thread that calls :meth:`SimulatedCall.run`; each verb is
run by its handler in :mod:`simulator.verbs`. Outside events (a REST redirect, an agent
dequeuing the caller) arrive through the call's :class:`~simulator.control.CallControl` and
take effect at the next checkpoint: between verbs and whenever simulated time passes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator import twiml, verbs
from simulator.control import BridgeTo, CallControl, Complete, RedirectTo
from simulator.inputs import Action, InputRequest, InputSource, Moment, Speak
from simulator.result import (
    APPLICATION_ERROR_MESSAGE,
    SIMULATOR_ERROR,
    CallError,
    CallResult,
    CallView,
    Heard,
)
from simulator.sids import new_sid
from simulator.verbs.context import (
    AppError,
    Bridged,
    CallEnded,
    CallNetwork,
    Document,
    Holding,
    Redirected,
)
from simulator.webhook import Fetched, FetchError, WebhookClient

Recognizer = Callable[[Path, str], tuple[str, float | None]]
"""Turns a WAV file spoken in ``language`` (the ``<Gather>``'s, e.g. ``cmn-Hans-CN``) into
``(text, confidence)``; confidence None when the recognizer cannot tell, and the action
request then has no ``Confidence``. Raises :class:`RecognitionFailed` when it cannot
transcribe the audio. ``simulator.cli.speech_recognizer`` makes one of an
``speech.recognition`` backend."""


class RecognitionFailed(Exception):
    """The recognizer could not transcribe the caller's audio (e.g. a language it does not
    know); the message is for the developer, and the caller is heard as silent."""


_TWIML_CONTENT_TYPES = ("text/xml", "application/xml", "text/html", "text/plain")


@dataclass(frozen=True)
class CallSpec:
    """What to call and where its TwiML comes from (``url`` or inline ``twiml``).

    ``outcome`` other than ``completed`` (busy, no-answer, failed) means the call never
    connects: only the status callback is sent.
    """

    to: str
    from_: str
    direction: str = "inbound"
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    status_callback: str | None = None
    outcome: str = "completed"


class SimulatedCall:
    """A call's loop and state: its status, simulated time, the caller's side, and the
    requests about it; :class:`~simulator.verbs.context.CallContext` for the verbs."""

    def __init__(
        self,
        network: CallNetwork,
        spec: CallSpec,
        source: InputSource,
        *,
        on_heard: Callable[[Heard], None] | None = None,
        recognizer: Recognizer | None = None,
    ) -> None:
        self.sid = new_sid("CA")
        self.spec = spec
        self.network = network
        self.control = CallControl()
        self.elapsed = 0.0  # simulated seconds since the call was answered
        self.hold: Holding | None = None
        self.result = CallResult(
            call_sid=self.sid, to=spec.to, from_=spec.from_, direction=spec.direction
        )
        self._source = source
        self._on_heard = on_heard
        self._recognizer = recognizer
        self._status = "queued"
        self._keys_ahead = ""
        self._webhooks = WebhookClient(
            network.config.auth_token,
            timeout=network.config.webhook_timeout,
            on_request=self.result.requests.append,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> CallResult:
        """Run the call to its end and fire the status callback; the result.

        Ctrl-C (KeyboardInterrupt in the thread that runs the call, `ivr call`'s) is the caller
        hanging up: the call ends ``completed``, and the status callback says so."""
        self.network.calls.register(self)
        try:
            self._run_to_end()
        finally:
            self.result.status = self._status
            self.result.duration = math.ceil(self.elapsed) if self._status == "completed" else 0
            self.result.ended_at = dt.datetime.now(dt.UTC)
            self.control.close()
            self.network.calls.finish(self)
            self._status_callback()
            self._webhooks.close()
        return self.result

    def view(self) -> CallView:
        return CallView(
            sid=self.sid,
            to=self.spec.to,
            from_=self.spec.from_,
            direction=self.spec.direction,
            status=self._status,
            start_time=self.result.started_at,
            duration=None,
        )

    def _run_to_end(self) -> None:
        if self.spec.outcome != "completed":
            self._status = self.spec.outcome
            return
        self._status = "ringing" if self.spec.direction == "inbound" else "in-progress"
        try:
            try:
                document = self._first_document()
            finally:
                self._status = "in-progress"
            self._follow(document)
        except CallEnded as ended:
            self._status = ended.status
            self.result.hung_up_by = ended.hung_up_by
        except KeyboardInterrupt:  # Ctrl-C at `ivr call`: the caller hangs up, as with `h`
            self._status = "completed"
            self.result.hung_up_by = "caller"
        except AppError as failure:
            self._application_error(failure.error)
            self._status = "completed"
            self.result.hung_up_by = "network"

    def _first_document(self) -> Document:
        if self.spec.twiml is not None:
            return self._inline_document(self.spec.twiml)
        if self.spec.url is None:
            raise AppError(CallError(SIMULATOR_ERROR, "the call has neither a Url nor TwiML"))
        return self.fetch(self.spec.url, self.spec.method)

    def _follow(self, document: Document) -> None:
        """Run documents until one ends without a successor (Twilio then hangs up)."""
        while True:
            try:
                successor = self.run_document(document)
            except Redirected as redirected:
                successor = self._redirect_document(redirected.command)
            if successor is None:
                raise CallEnded("service")
            document = successor

    def _redirect_document(self, command: RedirectTo) -> Document:
        if command.twiml is not None:
            return self._inline_document(command.twiml)
        assert command.url is not None
        return self.fetch(command.url, command.method)

    def _application_error(self, error: CallError) -> None:
        self.result.errors.append(error)
        self.hear(
            Heard(
                "say",
                APPLICATION_ERROR_MESSAGE,
                "en-US",
                "woman",
                at=self.elapsed,
                origin="network",
            )
        )

    def _status_callback(self) -> None:
        if not self.spec.status_callback:
            return
        params = self.params() | {
            "CallStatus": self._status,
            "CallDuration": str(int(self.result.duration)),
            "Timestamp": email.utils.format_datetime(dt.datetime.now(dt.UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        self.notify("POST", self.spec.status_callback, params, "status callback")

    # -- running TwiML -------------------------------------------------------------------

    def run_document(self, document: Document) -> Document | None:
        """Run the verbs in order; a successor document when one hands over, else None."""
        for verb in document.verbs:
            self.checkpoint()
            successor = self.run_verb(verb, document)
            if successor is not None:
                return successor
        return None

    def run_verb(self, verb: twiml.Verb, document: Document) -> Document | None:
        listens = isinstance(verb, twiml.Gather) and "dtmf" in verb.input_modes
        if not listens and not isinstance(verb, twiml.Redirect):
            self._keys_ahead = ""  # pressed while nothing listened for keys: lost
        return verbs.run(self, verb, document)

    # -- requests to the application -----------------------------------------------------

    def params(self) -> dict[str, str]:
        return {
            "AccountSid": self.network.config.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": self._status,
            "Called": self.spec.to,
            "Caller": self.spec.from_,
            "Direction": self.spec.direction,
            "From": self.spec.from_,
            "To": self.spec.to,
        }

    def fetch(self, url: str, method: str, extra: dict[str, str] | None = None) -> Document:
        """Request TwiML; any failure is an application error (the call then ends)."""
        try:
            fetched = self._webhooks.request(method, url, self.params() | (extra or {}))
        except FetchError as error:
            raise AppError(CallError(error.code, error.message, error.url)) from None
        content_type = fetched.content_type.split(";")[0].strip().lower()
        if content_type not in _TWIML_CONTENT_TYPES:
            raise AppError(
                CallError("12300", f"Invalid Content-Type {content_type!r} for TwiML", url)
            )
        try:
            return Document(url, twiml.parse_document(fetched.body))
        except twiml.TwimlError as error:
            raise AppError(CallError(error.code, error.message, url)) from None

    def notify(self, method: str, url: str, params: dict[str, str], what: str) -> None:
        """A request whose answer Twilio ignores; failures are recorded, not fatal."""
        try:
            self._webhooks.request(method, url, params)
        except FetchError as error:
            self.warn(f"{what}: {error.message}", error.url, error.code)

    def download(self, url: str) -> Fetched:
        return self._webhooks.request("GET", url, {})

    def warn(self, message: str, url: str = "", code: str = SIMULATOR_ERROR) -> None:
        self.result.errors.append(CallError(code, message, url, fatal=False))

    def _inline_document(self, text: str) -> Document:
        try:
            return Document("", twiml.parse_document(text))
        except twiml.TwimlError as error:
            raise AppError(CallError(error.code, f"inline TwiML: {error.message}")) from None

    # -- time and outside events ---------------------------------------------------------

    def checkpoint(self) -> None:
        command = self.control.take()
        if isinstance(command, RedirectTo):
            raise Redirected(command)
        if isinstance(command, Complete):
            raise CallEnded("api")
        if isinstance(command, BridgeTo):
            if self.hold is None:
                command.bridge.cancel()  # the caller is no longer in the queue
            else:
                raise Bridged(command)

    def spend(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, as the caller's queue hold allows if the
        caller is in one; ``math.inf`` (endless audio) only there."""
        self.checkpoint()
        if self.hold is not None:
            self.hold.spend(seconds)
        elif math.isinf(seconds):
            self.warn("endless audio (loop=0) where the caller cannot wait: the caller hangs up")
            raise CallEnded("caller")
        else:
            self.sleep(seconds)
        self.checkpoint()

    def sleep(self, seconds: float) -> None:
        self.elapsed += self.network.clock.sleep(seconds, self.control.event)

    def wait_for_event(self, real_seconds: float) -> None:
        started = time.monotonic()
        self.control.event.wait(real_seconds)
        self.elapsed += self.network.clock.simulated(time.monotonic() - started)

    # -- the caller ----------------------------------------------------------------------

    def hear(self, heard: Heard) -> None:
        self.result.transcript.append(heard)
        if self._on_heard is not None:
            self._on_heard(heard)

    def ask(self, moment: Moment, gather: twiml.Gather | None = None) -> Action | None:
        request = InputRequest(
            moment=moment,
            call_sid=self.sid,
            transcript=tuple(self.result.transcript),
            modes=gather.input_modes if gather else frozenset({"dtmf"}),
            language=gather.language if gather else "en-US",
            hints=gather.hints if gather else "",
        )
        return self._source.next_action(request)

    def press_on(self, keys: str) -> None:
        self._keys_ahead = keys

    def keys_ahead(self) -> str:
        keys, self._keys_ahead = self._keys_ahead, ""
        return keys

    def speech(self, action: Speak, language: str) -> tuple[str, float | None]:
        if action.audio is None:
            return action.text, action.confidence
        if self._recognizer is None:
            self.warn(f"speech from {action.audio} needs a recognizer: treated as silence")
            return "", None
        try:
            return self._recognizer(action.audio, language)
        except RecognitionFailed as failure:
            self.warn(f"speech from {action.audio} ({language}): {failure}; the caller is silent")
            return "", None
