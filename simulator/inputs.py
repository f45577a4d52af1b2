"""The caller's side of a call: actions, and the sources that decide them.

A call asks its :class:`InputSource` for the next action whenever it waits for the caller:

* ``GATHER`` / ``RECORD``: the service listens; any action is taken (a ``Wait`` or ``Hold``
  there is silence). A source that has nothing more to do hangs up.
* ``RECORD_END``: a recording is running; ``Press`` (a finish key) or ``Hangup`` ends it,
  ``None`` lets it end by silence.
* ``QUEUE``: the caller is on hold; ``Wait(n)`` stays n seconds, ``Hold`` stays until an
  agent or the REST API takes the call out, ``Hangup`` leaves; ``None`` means the next input
  is for a ``<Gather>`` in the queue's wait music.
* ``BRIDGE``: the caller talks to someone; ``Wait(n)`` talks n more seconds, ``Hangup``
  ends the conversation, ``None`` stays until the other party hangs up.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from simulator.result import Heard


@dataclass(frozen=True)
class Press:
    """DTMF keys, e.g. ``"11#"``."""

    digits: str


@dataclass(frozen=True)
class Speak:
    """Speech: ``text`` directly, or ``audio`` (a WAV file) for the call's recognizer."""

    text: str = ""
    confidence: float = 0.9
    audio: Path | None = None


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Hold:
    """Stay in the queue until dequeued or redirected (bounded by the network's hold timeout)."""


@dataclass(frozen=True)
class Hangup:
    pass


Action = Press | Speak | Silence | Wait | Hold | Hangup


class Moment(enum.Enum):
    GATHER = "gather"
    RECORD = "record"
    RECORD_END = "record-end"
    QUEUE = "queue"
    BRIDGE = "bridge"


@dataclass(frozen=True)
class InputRequest:
    """What the call is waiting for, and what the caller has heard so far."""

    moment: Moment
    call_sid: str
    transcript: Sequence[Heard]
    modes: frozenset[str] = frozenset({"dtmf"})
    language: str = "en-US"
    hints: str = ""


class InputSource(Protocol):
    """Decides the caller's next action; see the module docstring for ``None``."""

    def next_action(self, request: InputRequest) -> Action | None: ...


# Which actions a source may take at a moment where it can also answer None.
_OPTIONAL_MOMENTS: dict[Moment, tuple[type, ...]] = {
    Moment.QUEUE: (Wait, Hold, Hangup),
    Moment.BRIDGE: (Wait, Hangup),
    Moment.RECORD_END: (Press, Hangup),
}


def accepts(moment: Moment, action: Action) -> bool:
    """Whether ``action`` is meant for ``moment`` (GATHER and RECORD take anything)."""
    allowed = _OPTIONAL_MOMENTS.get(moment)
    return allowed is None or isinstance(action, allowed)


def when_exhausted(moment: Moment) -> Action | None:
    """What a finished script does: hang up, except while a recording runs."""
    return None if moment is Moment.RECORD_END else Hangup()


@dataclass
class ScriptedInput:
    """Plays a fixed list of actions; hangs up when they run out."""

    actions: list[Action] = field(default_factory=list)

    def next_action(self, request: InputRequest) -> Action | None:
        if not self.actions:
            return when_exhausted(request.moment)
        if accepts(request.moment, self.actions[0]):
            return self.actions.pop(0)
        return None


DTMF_KEYS = frozenset("0123456789*#")
SILENCE = "-"
"""Pressing nothing, in ``--keys`` or typed: the ``<Gather>`` times out as with no input."""


def dtmf(text: str) -> Press:
    """``text`` as DTMF; ValueError unless every character is a telephone key."""
    if not text or not set(text) <= DTMF_KEYS:
        raise ValueError(f"{text!r} is not DTMF: a phone has the keys 0-9, * and #")
    return Press(text)


def parse_keys(text: str) -> list[Action]:
    """``ivr call --keys``: one comma-separated entry per prompt that listens, either keys
    (``1``, ``111`` to type ahead, ``1234#``) or ``-`` to press nothing and let the prompt
    time out. The call hangs up after the last entry, so there is no hang-up entry: ``h``
    is refused (ValueError) rather than sent as a key, which Twilio could never receive."""
    actions: list[Action] = []
    for entry in (part.strip() for part in text.split(",")):
        if entry == SILENCE:
            actions.append(Silence())
            continue
        try:
            actions.append(dtmf(entry))
        except ValueError as error:
            raise ValueError(
                f"{error}; use - to press nothing (the call hangs up after the last entry)"
            ) from None
    return actions


def parse_typed(line: str) -> Action:
    """A typed line as an action: keys are DTMF; ``"text`` or ``say text`` is speech.

    ``@file.wav`` is speech from a recording (for the call's recognizer), empty or ``-``
    means silence, ``hangup`` (or ``h``) hangs up, ``wait N`` waits N seconds. Anything
    else is refused (ValueError) rather than sent as keys a phone does not have.
    """
    stripped = line.strip()
    if not stripped or stripped == SILENCE:
        return Silence()
    lowered = stripped.lower()
    if lowered in ("h", "hangup", "hang up", "q", "quit"):
        return Hangup()
    if stripped.startswith('"'):
        return Speak(stripped.strip('"'))
    if stripped.startswith("@"):
        return Speak(audio=Path(stripped[1:].strip()))
    if lowered.startswith("say "):
        return Speak(stripped[4:].strip())
    if lowered.startswith("wait ") and lowered[5:].strip().replace(".", "", 1).isdigit():
        return Wait(float(lowered[5:]))
    try:
        return dtmf(stripped.replace(" ", "").replace(",", ""))
    except ValueError as error:
        raise ValueError(f'{error}; to speak, type "{stripped}') from None


@dataclass
class VoiceInput:
    """The caller speaks recordings: at each ``<Gather>`` that listens for speech, and at each
    ``<Record>``, ``record(request)`` gives a WAV file, spoken for the call's recognizer.
    Other moments, and those where ``record`` has nothing (None), go to ``then``."""

    record: Callable[[InputRequest], Path | None]
    then: InputSource

    def next_action(self, request: InputRequest) -> Action | None:
        listens = request.moment is Moment.RECORD or (
            request.moment is Moment.GATHER and "speech" in request.modes
        )
        audio = self.record(request) if listens else None
        return Speak(audio=audio) if audio is not None else self.then.next_action(request)


def recordings(files: Sequence[Path]) -> Callable[[InputRequest], Path | None]:
    """A ``VoiceInput.record`` that gives ``files`` in order, then None."""
    remaining = list(files)
    return lambda request: remaining.pop(0) if remaining else None


@dataclass
class InteractiveInput:
    """Asks a person: ``read_line(prompt)`` returns a typed line, or None at end of input."""

    read_line: Callable[[str], str | None]

    def next_action(self, request: InputRequest) -> Action | None:
        if request.moment in (Moment.BRIDGE, Moment.RECORD_END):
            return None
        if request.moment is Moment.QUEUE:
            return Hold()
        modes = "/".join(sorted(request.modes))
        what = "speak (type text)" if request.moment is Moment.RECORD else f"input [{modes}]"
        usage = f'{what} — keys, "text, empty = silence, h or Ctrl-D = hang up > '
        prompt = usage
        while True:
            line = self.read_line(prompt)
            if line is None:  # end of input: Ctrl-D
                return Hangup()
            try:
                return parse_typed(line)
            except ValueError as error:  # not sent: ask again, saying why
                prompt = f"{error}\n{usage}"
