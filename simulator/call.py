"""One simulated call: fetch TwiML from the application and follow it as Twilio would.

The call runs synchronously in the thread that calls :meth:`SimulatedCall.run`. Outside
events (a REST redirect, an agent dequeuing the caller) arrive through the call's
:class:`~simulator.control.CallControl` and take effect at the next checkpoint: between
verbs and whenever simulated time passes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote, urljoin

from simulator import twiml
from simulator.bridge import Bridge, BridgeFailed
from simulator.control import BridgeTo, CallControl, Complete, RedirectTo
from simulator.inputs import (
    Action,
    Hangup,
    Hold,
    InputRequest,
    InputSource,
    Moment,
    Press,
    Speak,
    Wait,
)
from simulator.queues import Member
from simulator.result import (
    APPLICATION_ERROR_MESSAGE,
    CallError,
    CallResult,
    CallView,
    Heard,
)
from simulator.sids import new_sid
from simulator.timing import speech_seconds
from simulator.wav import silent_wav, wav_seconds
from simulator.webhook import FetchError, WebhookClient

if TYPE_CHECKING:
    from simulator.network import Network

Recogniser = Callable[[Path, str], tuple[str, float | None]]
"""Turns a WAV file spoken in ``language`` (the ``<Gather>``'s, e.g. ``cmn-Hans-CN``) into
``(text, confidence)``; confidence None when the recogniser cannot tell, and the action
request then has no ``Confidence``. Raises :class:`RecognitionFailed` when it cannot
transcribe the audio. ``simulator.cli.speech_recogniser`` makes one of an
``speech.recognition`` backend."""


class RecognitionFailed(Exception):
    """The recogniser could not transcribe the caller's audio (e.g. a language it does not
    know); the message is for the developer, and the caller is heard as silent."""


SIMULATOR_ERROR = "SIM"
_TWIML_CONTENT_TYPES = ("text/xml", "application/xml", "text/html", "text/plain")
_WAIT_URL_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})
_QUEUE_URL_VERBS = frozenset({"Play", "Say", "Pause"})
_DEFAULT_PLAY_SECONDS = 3.0
_KEY_SECONDS = 0.3
_HOLD_POLL = 0.05  # real seconds between checks while holding with time standing still
_HOLD_MUSIC_SECONDS = 30


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


@dataclass(frozen=True)
class _Document:
    url: str  # "" for inline TwiML: relative URLs in it cannot be resolved
    verbs: list[twiml.Verb]


class _CallEnded(Exception):
    def __init__(self, hung_up_by: str, status: str = "completed") -> None:
        super().__init__(hung_up_by)
        self.hung_up_by = hung_up_by
        self.status = status


class _AppError(Exception):
    def __init__(self, error: CallError) -> None:
        super().__init__(error.message)
        self.error = error


class _Redirected(Exception):
    def __init__(self, command: RedirectTo) -> None:
        super().__init__(command.url or "inline TwiML")
        self.command = command


class _Bridged(Exception):
    def __init__(self, command: BridgeTo) -> None:
        super().__init__(command.dequeuer)
        self.command = command


class _HoldOver(Exception):
    """The caller's ``Wait`` in the queue ran out: time to decide again."""


class _Left(Exception):
    """``<Leave>`` in the wait music."""


class _QueueHold:
    """How the caller behaves in a queue; see ``Moment.QUEUE`` in :mod:`inputs`."""

    def __init__(self, queue_name: str, started: float) -> None:
        self.queue_name = queue_name
        self.started = started  # simulated time the caller joined the queue
        self.mode: str | None = None  # None (undecided), "wait", "hold" or "listen"
        self.deadline: float | None = None  # simulated, in "wait" mode
        self.real_deadline = math.inf  # monotonic, in "hold" mode
        self.saw_gather = False


class SimulatedCall:
    def __init__(
        self,
        network: Network,
        spec: CallSpec,
        source: InputSource,
        *,
        on_heard: Callable[[Heard], None] | None = None,
        recogniser: Recogniser | None = None,
    ) -> None:
        self.sid = new_sid("CA")
        self.spec = spec
        self.control = CallControl()
        self.elapsed = 0.0  # simulated seconds since the call was answered
        self.result = CallResult(
            call_sid=self.sid, to=spec.to, from_=spec.from_, direction=spec.direction
        )
        self._network = network
        self._config = network.config
        self._source = source
        self._on_heard = on_heard
        self._recogniser = recogniser
        self._status = "queued"
        self._hold: _QueueHold | None = None
        self._webhooks = WebhookClient(
            self._config.auth_token,
            timeout=self._config.webhook_timeout,
            on_request=self.result.requests.append,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> CallResult:
        """Run the call to its end and fire the status callback; the result."""
        self._network.calls.register(self)
        try:
            self._run_to_end()
        finally:
            self.result.status = self._status
            self.result.duration = math.ceil(self.elapsed) if self._status == "completed" else 0
            self.result.ended_at = dt.datetime.now(dt.UTC)
            self.control.close()
            self._network.calls.finish(self)
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
        except _CallEnded as ended:
            self._status = ended.status
            self.result.hung_up_by = ended.hung_up_by
        except _AppError as failure:
            self._application_error(failure.error)
            self._status = "completed"
            self.result.hung_up_by = "network"

    def _first_document(self) -> _Document:
        if self.spec.twiml is not None:
            return self._inline_document(self.spec.twiml)
        if self.spec.url is None:
            raise _AppError(CallError(SIMULATOR_ERROR, "the call has neither a Url nor TwiML"))
        return self._fetch(self.spec.url, self.spec.method)

    def _follow(self, document: _Document) -> None:
        """Run documents until one ends without a successor (Twilio then hangs up)."""
        while True:
            try:
                successor = self._run_document(document)
            except _Redirected as redirected:
                successor = self._redirect_document(redirected.command)
            if successor is None:
                raise _CallEnded("service")
            document = successor

    def _redirect_document(self, command: RedirectTo) -> _Document:
        if command.twiml is not None:
            return self._inline_document(command.twiml)
        assert command.url is not None
        return self._fetch(command.url, command.method)

    def _application_error(self, error: CallError) -> None:
        self.result.errors.append(error)
        self._hear(
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
        params = self._params() | {
            "CallStatus": self._status,
            "CallDuration": str(int(self.result.duration)),
            "Timestamp": email.utils.format_datetime(dt.datetime.now(dt.UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        self._notify("POST", self.spec.status_callback, params, "status callback")

    # -- requests to the application -----------------------------------------------------

    def _params(self) -> dict[str, str]:
        return {
            "AccountSid": self._config.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": self._status,
            "Called": self.spec.to,
            "Caller": self.spec.from_,
            "Direction": self.spec.direction,
            "From": self.spec.from_,
            "To": self.spec.to,
        }

    def _fetch(self, url: str, method: str, extra: dict[str, str] | None = None) -> _Document:
        """Request TwiML; any failure is an application error (the call then ends)."""
        try:
            fetched = self._webhooks.request(method, url, self._params() | (extra or {}))
        except FetchError as error:
            raise _AppError(CallError(error.code, error.message, error.url)) from None
        content_type = fetched.content_type.split(";")[0].strip().lower()
        if content_type not in _TWIML_CONTENT_TYPES:
            raise _AppError(
                CallError("12300", f"Invalid Content-Type {content_type!r} for TwiML", url)
            )
        try:
            verbs = twiml.parse_document(fetched.body)
        except twiml.TwimlError as error:
            raise _AppError(CallError(error.code, error.message, url)) from None
        return _Document(url, verbs)

    def _inline_document(self, text: str) -> _Document:
        try:
            return _Document("", twiml.parse_document(text))
        except twiml.TwimlError as error:
            raise _AppError(CallError(error.code, f"inline TwiML: {error.message}")) from None

    def _notify(self, method: str, url: str, params: dict[str, str], what: str) -> None:
        """A request whose answer Twilio ignores; failures are recorded, not fatal."""
        try:
            self._webhooks.request(method, url, params)
        except FetchError as error:
            self.result.errors.append(
                CallError(error.code, f"{what}: {error.message}", error.url, fatal=False)
            )

    def _warn(self, message: str, url: str = "", code: str = SIMULATOR_ERROR) -> None:
        self.result.errors.append(CallError(code, message, url, fatal=False))

    @staticmethod
    def _resolve(document: _Document, reference: str) -> str:
        """A verb's URL, relative to the document's URL as Twilio resolves it."""
        return urljoin(document.url, reference.strip())

    # -- time and outside events ---------------------------------------------------------

    def _checkpoint(self) -> None:
        command = self.control.take()
        if isinstance(command, RedirectTo):
            raise _Redirected(command)
        if isinstance(command, Complete):
            raise _CallEnded("api")
        if isinstance(command, BridgeTo):
            if self._hold is None:
                command.bridge.cancel()
            else:
                raise _Bridged(command)

    def _spend(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass, honouring the caller's queue budget."""
        self._checkpoint()
        hold = self._hold
        if hold is not None and math.isinf(seconds) and hold.mode is None:
            self._decide(hold)
        if hold is not None and hold.deadline is not None:
            remaining = hold.deadline - self.elapsed
            if seconds >= remaining:
                self._sleep(max(0.0, remaining))
                raise _HoldOver
        if math.isinf(seconds):
            self._endless(hold)
        self._sleep(seconds)
        self._checkpoint()

    def _sleep(self, seconds: float) -> None:
        self.elapsed += self._network.clock.sleep(seconds, self.control.event)

    def _endless(self, hold: _QueueHold | None) -> NoReturn:
        """Audio that never ends (``loop="0"``): only an outside event stops it."""
        if hold is None or hold.mode != "hold":
            self._warn("endless audio (loop=0) where the caller cannot wait: the caller hangs up")
            raise _CallEnded("caller")
        while True:
            self._hold_pause(hold)

    def _hold_pause(self, hold: _QueueHold) -> None:
        """Wait a moment of real time for an outside event, within the hold timeout."""
        if time.monotonic() >= hold.real_deadline:
            self._warn(
                f"held in queue {hold.queue_name!r} for {self._config.hold_timeout} real "
                "seconds without being dequeued: the caller hangs up"
            )
            raise _CallEnded("caller")
        started = time.monotonic()
        self.control.event.wait(min(_HOLD_POLL, hold.real_deadline - started))
        self.elapsed += self._network.clock.simulated(time.monotonic() - started)
        self._checkpoint()

    # -- the caller ----------------------------------------------------------------------

    def _hear(self, heard: Heard) -> None:
        self.result.transcript.append(heard)
        if self._on_heard is not None:
            self._on_heard(heard)

    def _ask(self, moment: Moment, gather: twiml.Gather | None = None) -> Action | None:
        request = InputRequest(
            moment=moment,
            call_sid=self.sid,
            transcript=tuple(self.result.transcript),
            modes=gather.input_modes if gather else frozenset({"dtmf"}),
            language=gather.language if gather else "en-US",
            hints=gather.hints if gather else "",
        )
        return self._source.next_action(request)

    def _speech(self, action: Speak, language: str) -> tuple[str, float | None]:
        if action.audio is None:
            return action.text, action.confidence
        if self._recogniser is None:
            self._warn(f"speech from {action.audio} needs a recogniser: treated as silence")
            return "", None
        try:
            return self._recogniser(action.audio, language)
        except RecognitionFailed as failure:
            self._warn(f"speech from {action.audio} ({language}): {failure}; the caller is silent")
            return "", None

    # -- verbs ---------------------------------------------------------------------------

    def _run_document(self, document: _Document) -> _Document | None:
        """Run the verbs in order; a successor document when one hands over, else None."""
        for verb in document.verbs:
            self._checkpoint()
            successor = self._run_verb(verb, document)
            if successor is not None:
                return successor
        return None

    def _run_verb(self, verb: twiml.Verb, document: _Document) -> _Document | None:
        if isinstance(verb, twiml.Say | twiml.Play | twiml.Pause):
            self._prompt(verb, document)
        elif isinstance(verb, twiml.Gather):
            return self._gather(verb, document)
        elif isinstance(verb, twiml.Redirect):
            return self._fetch(self._resolve(document, verb.url), verb.method)
        elif isinstance(verb, twiml.Record):
            return self._record(verb, document)
        elif isinstance(verb, twiml.Enqueue):
            return self._enqueue(verb, document)
        elif isinstance(verb, twiml.Dial):
            return self._dial(verb, document)
        elif isinstance(verb, twiml.Leave):
            if self._hold is not None:
                raise _Left
            self._warn("<Leave> outside a queue's wait music has no effect", document.url)
        elif isinstance(verb, twiml.Hangup):
            raise _CallEnded("service")
        elif isinstance(verb, twiml.Reject):
            raise _CallEnded("service", "busy" if verb.reason == "busy" else "no-answer")
        return None

    def _prompt(self, verb: twiml.Prompt, document: _Document, *, in_gather: bool = False) -> None:
        """Say, Play or Pause. ``loop="0"`` repeats until something interrupts it; inside a
        ``<Gather>`` that is the caller's input, so it is heard once there."""
        if isinstance(verb, twiml.Pause):
            self._spend(verb.length)
            return
        if isinstance(verb, twiml.Say):
            heard = Heard("say", verb.text, verb.language, verb.voice, at=self.elapsed)
            seconds = speech_seconds(verb.text)
        else:
            if verb.digits:
                self._hear(Heard("digits", verb.digits, at=self.elapsed))
                self._spend(_KEY_SECONDS * len(verb.digits))
            if not verb.url:
                return
            fetched_heard, seconds = self._fetch_media(self._resolve(document, verb.url))
            if fetched_heard is None:
                return
            heard = fetched_heard
        endless = verb.loop == 0 and not in_gather
        for _ in range(max(verb.loop, 1)):
            self._hear(heard)
            self._spend(seconds)
        if endless:
            self._spend(math.inf)

    def _fetch_media(self, url: str) -> tuple[Heard | None, float]:
        """GET a ``<Play>`` URL: what the caller hears (the prompt's text when the server
        sends ``X-Prompt-Text``) and how long it lasts. Failures are recorded; Twilio then
        skips the ``<Play>``."""
        try:
            fetched = self._webhooks.request("GET", url, {})
        except FetchError as error:
            self._warn(f"<Play> media: {error.message}; skipped", error.url, error.code)
            return None, 0.0
        prompt_text = fetched.headers.get("X-Prompt-Text")
        text = unquote(prompt_text) if prompt_text else url
        language = fetched.headers.get("Content-Language", "")
        seconds = wav_seconds(fetched.body) or _DEFAULT_PLAY_SECONDS
        return Heard("play", text, language, url=url, at=self.elapsed), seconds

    def _gather(
        self, verb: twiml.Gather, document: _Document, *, listening: bool = True
    ) -> _Document | None:
        for prompt in verb.prompts:
            self._prompt(prompt, document, in_gather=True)
        action = self._ask(Moment.GATHER, verb) if listening else None
        if isinstance(action, Hangup):
            raise _CallEnded("caller")
        params: dict[str, str] = {}
        if isinstance(action, Press) and "dtmf" in verb.input_modes:
            digits, finished_on = _collect(action.digits, verb.num_digits, verb.finish_on_key)
            pressed = len(digits) + len(finished_on)
            self._spend(_KEY_SECONDS * pressed)
            if digits:
                complete = bool(finished_on) or len(digits) == verb.num_digits
                if not complete:
                    self._spend(verb.timeout)
                params = {"Digits": digits, "FinishedOnKey": finished_on}
        elif isinstance(action, Speak) and "speech" in verb.input_modes:
            text, confidence = self._speech(action, verb.language)
            if text:
                self._spend(speech_seconds(text) + 1.0)
                params = {"SpeechResult": text}
                if confidence is not None:  # Twilio may omit it too; the app then has None
                    params["Confidence"] = f"{confidence:.2f}"
        if not params:
            self._spend(verb.timeout)
            if not verb.action_on_empty_result:
                return None
        url = self._resolve(document, verb.action) if verb.action else document.url
        return self._fetch(url, verb.method, params)

    def _record(self, verb: twiml.Record, document: _Document) -> _Document | None:
        if verb.play_beep:
            self._hear(Heard("beep", "(beep)", at=self.elapsed, origin="network"))
        action = self._ask(Moment.RECORD)
        if isinstance(action, Hangup):
            raise _CallEnded("caller")
        if not isinstance(action, Speak):
            self._spend(verb.timeout)  # no audio: Twilio moves on to the next verb
            return None
        text, _ = self._speech(action, "en-US")
        audio = action.audio.read_bytes() if action.audio else b""
        seconds = min(float(verb.max_length), wav_seconds(audio) or speech_seconds(text))
        self._spend(seconds)
        params: dict[str, str] = {}
        ending = self._ask(Moment.RECORD_END)
        if (
            isinstance(ending, Press)
            and ending.digits[:1]
            and ending.digits[0] in verb.finish_on_key
        ):
            params["Digits"] = ending.digits[0]
        elif isinstance(ending, Hangup):
            params["Digits"] = "hangup"
        else:
            self._spend(verb.timeout)
        recordings = self._network.recordings
        recording = recordings.store(self.sid, text, seconds, audio or silent_wav(seconds))
        recording_url = recordings.url(recording.sid)
        if recording_url is None:
            self._warn("<Record>: no media endpoint serves recordings; start a RestStandin")
        params |= {
            "RecordingUrl": recording_url or "",
            "RecordingDuration": str(round(seconds)),
            "RecordingSid": recording.sid,
        }
        url = self._resolve(document, verb.action) if verb.action else document.url
        if params.get("Digits") == "hangup":
            self._notify(verb.method, url, self._params() | params, "<Record> action")
            raise _CallEnded("caller")
        return self._fetch(url, verb.method, params)

    # -- queues --------------------------------------------------------------------------

    def _enqueue(self, verb: twiml.Enqueue, document: _Document) -> _Document | None:
        started = self.elapsed

        member = Member(self.sid, self.control, lambda: self.elapsed - started)
        queue_sid, joined = self._network.queues.enqueue(verb.queue_name, member)
        if not joined:
            return self._queue_action(verb, document, "queue-full", queue_sid, 0.0)
        self._hold = _QueueHold(verb.queue_name, started)
        try:
            outcome = self._stay_in_queue(verb, document, self._hold)
        except _Bridged as bridged:
            queue_time = member.waited()
            self._hold = None
            self._network.queues.leave(verb.queue_name, member)
            outcome = self._connect_dequeued(bridged.command, queue_sid, queue_time)
            if outcome == "hangup":
                self._queue_action(verb, document, "bridged", queue_sid, queue_time, notify=True)
                raise _CallEnded("caller") from None
            return self._queue_action(verb, document, outcome, queue_sid, queue_time)
        except _Redirected:
            self._queue_action(
                verb, document, "redirected", queue_sid, member.waited(), notify=True
            )
            raise
        except _CallEnded:
            self._queue_action(verb, document, "hangup", queue_sid, member.waited(), notify=True)
            raise
        finally:
            self._hold = None
            self._network.queues.leave(verb.queue_name, member)
            self.control.cancel_bridges()
        return self._queue_action(verb, document, outcome, queue_sid, member.waited())

    def _stay_in_queue(self, verb: twiml.Enqueue, document: _Document, hold: _QueueHold) -> str:
        """Wait in the queue; ``leave`` or ``error`` when the caller comes out by itself."""
        try:
            self._wait_in_queue(verb, document, hold)
        except _Left:
            return "leave"
        except _AppError as failure:
            error = failure.error
            self.result.errors.append(
                CallError(error.code, f"waitUrl: {error.message}", error.url, fatal=False)
            )
            return "error"

    def _queue_action(
        self,
        verb: twiml.Enqueue,
        document: _Document,
        outcome: str,
        queue_sid: str,
        waited: float,
        *,
        notify: bool = False,
    ) -> _Document | None:
        """The ``<Enqueue action>`` request; without an action the document goes on."""
        if verb.action is None:
            return None
        url = self._resolve(document, verb.action)
        params = {"QueueResult": outcome, "QueueSid": queue_sid, "QueueTime": str(round(waited))}
        if notify:
            self._notify(verb.method, url, self._params() | params, "<Enqueue> action")
            return None
        return self._fetch(url, verb.method, params)

    def _wait_in_queue(
        self, verb: twiml.Enqueue, document: _Document, hold: _QueueHold
    ) -> NoReturn:
        """Loop the wait music until something takes the caller out (an exception)."""
        wait_document: _Document | None = None
        iteration_started = self.elapsed
        while True:
            try:
                if wait_document is None:
                    iteration_started = self.elapsed
                    wait_document = self._wait_music(verb, document, hold)
                wait_document = self._run_wait_document(wait_document, hold)
                if wait_document is not None:
                    continue  # a Redirect or Gather action handed over within the wait music
                if self.elapsed - iteration_started < 1.0:
                    self._spend(1.0)  # Twilio does not re-request the waitUrl in a busy loop
                if hold.mode is None:
                    self._decide(hold)
                elif hold.mode == "hold":
                    self._hold_pause(hold)
                elif hold.mode == "listen" and not hold.saw_gather:
                    self._warn("the caller expects a <Gather> but the wait music has none")
                    raise _CallEnded("caller")
            except _HoldOver:
                self._decide(hold)

    def _wait_music(self, verb: twiml.Enqueue, document: _Document, hold: _QueueHold) -> _Document:
        if verb.wait_url is None:  # Twilio's default: a classical music playlist
            self._hear(Heard("music", "(hold music)", at=self.elapsed, origin="network"))
            return _Document("", [twiml.Pause(length=_HOLD_MUSIC_SECONDS)])
        status = self._network.queues.status(hold.queue_name, self.sid)
        params = {
            "QueuePosition": str(status.position),
            "QueueSid": status.sid,
            "QueueTime": str(round(self.elapsed - hold.started)),
            "AvgQueueTime": str(status.average_wait),
            "CurrentQueueSize": str(status.size),
            "MaxQueueSize": str(status.max_size),
        }
        wait_document = self._fetch(
            self._resolve(document, verb.wait_url), verb.wait_url_method, params
        )
        return self._allowed(wait_document, _WAIT_URL_VERBS, "a waitUrl document")

    def _run_wait_document(self, document: _Document, hold: _QueueHold) -> _Document | None:
        """One pass of the wait music; a successor (Redirect, Gather action) or None."""
        for verb in document.verbs:
            self._checkpoint()
            if isinstance(verb, twiml.Gather):
                if hold.mode is None:
                    self._decide(hold)
                listening = hold.mode == "listen"
                hold.saw_gather = hold.saw_gather or listening
                successor = self._gather(verb, document, listening=listening)
                if listening:
                    hold.mode = None
            else:
                successor = self._run_verb(verb, document)
            if successor is not None:
                return self._allowed(successor, _WAIT_URL_VERBS, "a waitUrl document")
        return None

    def _decide(self, hold: _QueueHold) -> None:
        """Ask the caller how to go on holding."""
        action = self._ask(Moment.QUEUE)
        hold.deadline = None
        hold.real_deadline = math.inf
        if isinstance(action, Wait):
            hold.mode, hold.deadline = "wait", self.elapsed + action.seconds
        elif isinstance(action, Hold):
            hold.mode = "hold"
            hold.real_deadline = time.monotonic() + self._config.hold_timeout
        elif isinstance(action, Hangup):
            raise _CallEnded("caller")
        else:
            hold.mode, hold.saw_gather = "listen", False

    def _allowed(self, document: _Document, verbs: frozenset[str], where: str) -> _Document:
        try:
            twiml.require_only(document.verbs, verbs, where)
        except twiml.TwimlError as error:
            raise _AppError(CallError(error.code, error.message, document.url)) from None
        return document

    def _connect_dequeued(self, command: BridgeTo, queue_sid: str, waited: float) -> str:
        """Dequeued by an agent: hear the ``<Queue url>`` TwiML, then talk. The queue result:
        ``bridged``, ``hangup`` (the caller hung up while bridged) or ``error``."""
        try:
            if command.url:
                params = {
                    "QueueSid": queue_sid,
                    "QueueTime": str(round(waited)),
                    "DequeingCallSid": command.dequeuer,
                }
                document = self._fetch(command.url, command.method, params)
                self._allowed(document, _QUEUE_URL_VERBS, "a <Queue url> document")
                self._run_document(document)
        except (_AppError, _CallEnded):
            command.bridge.cancel()
            raise
        try:
            caller_hung_up = self._talk(command.bridge)
        except BridgeFailed as failure:
            self._warn(f"bridge with {command.dequeuer}: {failure}")
            return "error"
        return "hangup" if caller_hung_up else "bridged"

    # -- conversations -------------------------------------------------------------------

    def _talk(self, bridge: Bridge) -> bool:
        """Talk through ``bridge`` until someone hangs up; True if this party did. Raises
        :class:`BridgeFailed` if the other party never joins."""
        planned = self._planned_talk()
        outcome = bridge.agree(self.sid, planned, timeout=self._config.hold_timeout)
        if outcome.note:
            self._warn(f"bridge: {outcome.note}; ended at once")
        self._spend(outcome.seconds)
        return outcome.ended_by == self.sid

    def _planned_talk(self) -> float:
        """How long this party means to talk: its ``Wait`` steps until a ``Hangup``."""
        total = 0.0
        while True:
            action = self._ask(Moment.BRIDGE)
            if isinstance(action, Wait):
                total += action.seconds
            elif isinstance(action, Hangup):
                return total
            else:
                return math.inf

    def _dial(self, verb: twiml.Dial, document: _Document) -> _Document | None:
        target = verb.targets[0]
        if target.kind == "queue":
            status, dialed, seconds, hung_up = self._dial_queue(target, verb, document)
        else:
            status, dialed, seconds, hung_up = self._dial_party(verb)
        params = {
            "DialCallStatus": status,
            "DialCallSid": dialed,
            "DialCallDuration": str(math.ceil(seconds)),
        }
        url = self._resolve(document, verb.action) if verb.action else None
        if hung_up:
            if url:
                self._notify(verb.method, url, self._params() | params, "<Dial> action")
            raise _CallEnded("caller")
        return self._fetch(url, verb.method, params) if url else None

    def _dial_queue(
        self, target: twiml.DialTarget, verb: twiml.Dial, document: _Document
    ) -> tuple[str, str, float, bool]:
        member = self._network.queues.dequeue_front(target.value)
        if member is None:
            self._spend(verb.timeout)
            return "no-answer", "", 0.0, False
        bridge = Bridge(caller=member.call_sid, callee=self.sid)
        url = self._resolve(document, target.url) if target.url else None
        member.control.post(BridgeTo(bridge, self.sid, url, target.method))
        started = self.elapsed
        try:
            hung_up = self._talk(bridge)
        except BridgeFailed as failure:
            self._warn(f"<Dial><Queue>: {failure}")
            return "no-answer", member.call_sid, 0.0, False
        return "completed", member.call_sid, self.elapsed - started, hung_up

    def _dial_party(self, verb: twiml.Dial) -> tuple[str, str, float, bool]:
        """Ring the numbers/clients; the first that answers talks as its script says."""
        outcomes = [(t, self._network.parties.outcome_for(t.value)) for t in verb.targets]
        answering = next((t for t, outcome in outcomes if outcome == "completed"), None)
        if answering is None:
            status = outcomes[0][1]
            self._spend(verb.timeout if status == "no-answer" else 1.0)
            return status, "", 0.0, False
        dialed_sid = new_sid("CA")
        talk = self._network.parties.talk_seconds(answering.value)
        started = self.elapsed
        hung_up = self._talk(Bridge.with_phone(self.sid, dialed_sid, talk))
        return "completed", dialed_sid, self.elapsed - started, hung_up


def _collect(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str]:
    """Digits a ``<Gather>`` keeps from ``keys``, and the finish key that ended it ("" if
    none). Keys after the end are not part of this Gather."""
    digits = ""
    for key in keys:
        if finish_on_key and key == finish_on_key:
            return digits, key
        digits += key
        if num_digits and len(digits) >= num_digits:
            break
    return digits, ""
