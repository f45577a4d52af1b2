"""What a simulated call produced: what the caller heard, the requests made, the errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from simulator.webhook import WebhookRequest

APPLICATION_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."
SIMULATOR_ERROR = "SIM"  # the code of a problem Twilio has no error code for


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard.

    ``kind`` is ``say``, ``play`` (``text`` is the prompt's text from ``X-Prompt-Text``, or the
    URL), ``digits`` (tones), ``beep`` or ``music``; ``origin`` is ``app`` or ``network``
    (Twilio's own messages such as the application-error announcement).
    """

    kind: str
    text: str
    language: str = ""
    voice: str = ""
    url: str = ""
    at: float = 0.0
    origin: str = "app"


@dataclass(frozen=True)
class CallError:
    """A developer-facing problem: Twilio's error code when there is one,
    :data:`SIMULATOR_ERROR` otherwise.

    ``fatal`` errors ended the call with the application-error announcement.
    """

    code: str
    message: str
    url: str = ""
    fatal: bool = True


@dataclass(frozen=True)
class CallView:
    """A call as the REST API shows it."""

    sid: str
    to: str
    from_: str
    direction: str
    status: str
    start_time: dt.datetime
    duration: float | None
    end_time: dt.datetime | None = None


@dataclass
class CallResult:
    call_sid: str
    to: str
    from_: str
    direction: str
    status: str = "queued"
    duration: float = 0.0
    hung_up_by: str = ""  # caller, service, api (REST), network (after an application error)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime | None = None
    transcript: list[Heard] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)
    errors: list[CallError] = field(default_factory=list)

    @property
    def heard_text(self) -> str:
        """Everything heard, one line per prompt."""
        return "\n".join(entry.text for entry in self.transcript)

    @property
    def ok(self) -> bool:
        return not self.errors
