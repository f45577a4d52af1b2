"""The desk's domain errors, declared once, each with a stable id the console shows."""

from __future__ import annotations

from typing import ClassVar


class DeskError(Exception):
    """Something an agent asked for cannot be done; ``code`` is stable, the text is for people."""

    code: ClassVar[str] = "desk_error"
    text: ClassVar[str] = "That cannot be done."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.text)
        self.detail = detail or self.text


class InvalidInput(DeskError):
    code = "invalid_input"
    text = "Please check what you entered."


class OfferGone(DeskError):
    code = "offer_gone"
    text = "That call is no longer offered to you: the offer lapsed or the caller hung up."


class NotYourCall(DeskError):
    code = "not_your_call"
    text = "That call is not yours."


class CallerGone(DeskError):
    code = "caller_gone"
    text = "The caller has already hung up."


class TelephonyFailed(DeskError):
    code = "telephony_failed"
    text = "The phone network did not take the request; the caller keeps their place in line."


class UnknownAgent(DeskError):
    code = "unknown_agent"
    text = "No such agent."
