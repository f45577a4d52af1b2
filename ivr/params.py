"""Validation of webhook parameters: Twilio's names, sane lengths, the right characters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CallParams:
    """The part of a voice webhook every step needs, already validated."""

    call_sid: str
    from_number: str
    to_number: str


class BadWebhook(ValueError):
    """A webhook request that cannot come from Twilio; answered with 400."""


CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
# Caller IDs: digits with an optional +, "anonymous"-style words, or a client identity.
ADDRESS = re.compile(r"\+?[0-9]{1,20}|[A-Za-z]{1,20}|client:[\w.\-@]{1,64}")
MAX_SPEECH = 500
MAX_DIGITS = 64


def call_params(form: Mapping[str, str]) -> CallParams:
    """CallSid, From and To of a voice webhook, or :class:`BadWebhook` saying what is wrong."""
    call_sid = _required(form, "CallSid", CALL_SID)
    return CallParams(
        call_sid=call_sid,
        from_number=_address(form, "From"),
        to_number=_address(form, "To"),
    )


def message_sid(form: Mapping[str, str]) -> str:
    return _required(form, "MessageSid", MESSAGE_SID)


MAX_SMS_BODY = 1600
MESSAGE_STATUSES = frozenset(
    {
        "accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered",
        "failed", "canceled", "read", "receiving", "received", "partially_delivered",
    }
)  # fmt: skip
ERROR_CODE = re.compile(r"[0-9]{1,8}")


@dataclass(frozen=True)
class SmsParams:
    message_sid: str
    from_number: str
    to_number: str
    body: str


def sms_params(form: Mapping[str, str]) -> SmsParams:
    """MessageSid, From, To and Body (at most 1600 characters) of an inbound SMS."""
    body = form.get("Body", "")
    if len(body) > MAX_SMS_BODY:
        raise BadWebhook(f"Body longer than {MAX_SMS_BODY} characters")
    return SmsParams(message_sid(form), _address(form, "From"), _address(form, "To"), body)


def message_status(form: Mapping[str, str]) -> tuple[str, str | None]:
    """MessageStatus (one of Twilio's) and ErrorCode (digits, if any) of a status callback."""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if status not in MESSAGE_STATUSES:
        raise BadWebhook("missing or unknown MessageStatus")
    error_code = form.get("ErrorCode") or None
    if error_code is not None and not ERROR_CODE.fullmatch(error_code):
        raise BadWebhook("malformed ErrorCode")
    return status, error_code


def digits(form: Mapping[str, str]) -> str:
    """Keys pressed; anything longer than a caller can key is refused (a caller can't send it)."""
    value = form.get("Digits", "")
    if len(value) > MAX_DIGITS:
        raise BadWebhook(f"Digits longer than {MAX_DIGITS} characters")
    return value


def queue_result(form: Mapping[str, str]) -> str:
    """How a caller left an ``<Enqueue>`` (``bridged``, ``hangup``...), at most 32 characters."""
    return form.get("QueueResult", "")[:32]


def speech(form: Mapping[str, str]) -> tuple[str, float | None]:
    """What the caller said (truncated: it is untrusted text) and the recognizer's confidence."""
    said = form.get("SpeechResult", "")[:MAX_SPEECH]
    try:
        confidence: float | None = float(form["Confidence"])
    except (KeyError, ValueError):
        confidence = None
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        confidence = None
    return said, confidence


def integer(form: Mapping[str, str], name: str, default: int) -> int:
    try:
        return max(int(form.get(name, default)), 0)
    except ValueError:
        return default


def _required(form: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = form.get(name)
    if not value:
        raise BadWebhook(f"missing {name}")
    if not pattern.fullmatch(value):
        raise BadWebhook(f"malformed {name}")
    return value


def _address(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    compact = re.sub(r"[\s\-()]", "", value)
    if not value:
        raise BadWebhook(f"missing {name}")
    if not ADDRESS.fullmatch(compact):
        raise BadWebhook(f"malformed {name}")
    return compact
