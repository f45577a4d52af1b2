"""Validation of webhook parameters: Twilio's names, sane lengths, the right characters."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from flask import has_request_context, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter

from ivr.logs import log_event

logger = logging.getLogger("ivr.params")


@dataclass(frozen=True)
class CallParams:
    """The part of a voice webhook every step needs, already validated. A SIP URI's number
    (its user part) stands for the URI: the caller, or the code dialled."""

    call_sid: str
    from_number: str
    to_number: str


class BadWebhook(ValueError):
    """A webhook request that cannot come from Twilio; answered with 400."""


CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
# Caller IDs: digits with an optional +, "anonymous"-style words, or a client identity.
ADDRESS = re.compile(r"\+?[0-9]{1,20}|[A-Za-z]{1,20}|client:[\w.\-@]{1,64}")
# A SIP domain's call (an operator's switch hands Twilio the digits dialled): sip: or sips:,
# a user part, a host (name, IPv4 or [IPv6]) with an optional port, then ;parameters.
SIP_URI = re.compile(
    r"sips?:(?P<user>[^@;?:]{1,64})@(?:[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])"
    r"(?::[0-9]{1,5})?(?:;[A-Za-z0-9\-_.!~*'%]{1,64}(?:=[A-Za-z0-9\-_.!~*'%\[\]:]{0,256})?)*",
    re.IGNORECASE,
)
SIP_SCHEME = re.compile(r"sips?:", re.IGNORECASE)
SIP_NUMBER = re.compile(r"\+?[0-9]{1,20}")
SIP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9\-_.!~*'+]{0,31}")
_SIP_SEPARATORS = re.compile(r"[\-().]")
MAX_SIP_URI = 512
MAX_SPEECH = 500
MAX_DIGITS = 64


def call_params(form: Mapping[str, str]) -> CallParams:
    """CallSid, From and To of a voice webhook, or :class:`BadWebhook` saying what is wrong."""
    call_sid = _required(form, "CallSid", CALL_SID)
    return CallParams(
        call_sid=call_sid,
        from_number=_call_address(form, "From"),
        to_number=_call_address(form, "To"),
    )


def message_sid(form: Mapping[str, str]) -> str:
    return _required(form, "MessageSid", MESSAGE_SID)


MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


def messaging_service_sid(form: Mapping[str, str]) -> str | None:
    """The Messaging Service an inbound SMS reached, if any, with its hex digits in lower
    case as Twilio writes SIDs (and as ``TWILIO_SMS_FROM_MAP`` names them), whatever case
    the webhook used; :class:`BadWebhook` if it is not a Messaging Service SID."""
    value = form.get("MessagingServiceSid")
    if not value:
        return None
    if not MESSAGING_SERVICE_SID.fullmatch(value):
        raise BadWebhook("malformed MessagingServiceSid")
    return "MG" + value[2:].lower()


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


# Ids of our own rows, as openapi/webhooks.yaml describes them: a PostgreSQL INTEGER.
MIN_ID, MAX_ID = 1, 2**31 - 1
# Twilio ends any call after 24 hours (the longest TimeLimit), so no duration is longer.
MAX_SECONDS = 24 * 60 * 60
# A Twilio queue holds at most 5000 callers (MaxSize); positions and sizes stay below.
MAX_QUEUE = 5000
# The bounds of each integer a webhook may carry; read with :func:`integer`.
INTEGER_BOUNDS: dict[str, tuple[int, int]] = {
    "CallDuration": (0, MAX_SECONDS),
    "DialCallDuration": (0, MAX_SECONDS),
    "RecordingDuration": (0, MAX_SECONDS),
    "QueueTime": (0, MAX_SECONDS),
    "AvgQueueTime": (0, MAX_SECONDS),
    "QueuePosition": (1, MAX_QUEUE),
    "CurrentQueueSize": (0, MAX_QUEUE),
    "MaxQueueSize": (1, MAX_QUEUE),
    "SequenceNumber": (0, MAX_ID),
    "NumMedia": (0, 10),
    "NumSegments": (1, 1600),
}
_DIGITS = re.compile(r"[0-9]{1,20}")


def bounded(value: str | int, name: str, low: int, high: int) -> int:
    """*value* as a decimal integer within *low* … *high*, or :class:`BadWebhook` saying which
    parameter is wrong. Every integer a request carries goes through here."""
    text = str(value)
    number = int(text) if _DIGITS.fullmatch(text) else None
    if number is None or not low <= number <= high:
        raise BadWebhook(f"{name} is not an integer from {low} to {high}")
    return number


def integer(form: Mapping[str, str], name: str, default: int) -> int:
    """The integer parameter *name* within its bounds (:data:`INTEGER_BOUNDS`); *default*
    when it is absent or empty; :class:`BadWebhook` when it is anything else."""
    value = form.get(name, "")
    if value == "":
        return default
    low, high = INTEGER_BOUNDS.get(name, (0, MAX_ID))
    return bounded(value, name, low, high)


def integers_in_bounds(form: Mapping[str, str]) -> None:
    """Every integer parameter Twilio may send (:data:`INTEGER_BOUNDS`) that *form* carries
    is within its bounds, read by the step or not; else :class:`BadWebhook`."""
    for name in sorted(INTEGER_BOUNDS.keys() & form.keys()):  # most webhooks carry none
        value = form[name]
        if value != "":
            bounded(value, name, *INTEGER_BOUNDS[name])


def record_id(value: str | int, name: str) -> int:
    """The id of one of our rows (1 … 2³¹−1), or :class:`BadWebhook`."""
    return bounded(value, name, MIN_ID, MAX_ID)


class BadId(BadRequest):
    """An id in a URL path outside 1 … 2³¹−1: a plain-text 400, raised while routing."""

    def get_body(self, environ: object = None, scope: object = None) -> str:
        return f"bad request: {self.description}\n"

    def get_headers(self, environ: object = None, scope: object = None) -> list[tuple[str, str]]:
        return [("Content-Type", "text/plain; charset=utf-8")]


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: any run of digits (with a sign) matches, so that an id out
    of range is answered 400 with a log line rather than 404, 500 or an apology."""

    regex = r"-?[0-9]+"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        try:
            return record_id(value, "id")
        except BadWebhook:
            pass
        log_event(
            logger,
            "request.bad_id",
            logging.WARNING,
            path=request.path if has_request_context() else None,
            value=value,
        )
        raise BadId(f"an id in the path is not from {MIN_ID} to {MAX_ID}")

    def to_url(self, value: int) -> str:
        return str(int(value))


def use_id_converter(state: BlueprintSetupState) -> None:
    """Register :class:`IdConverter` as ``id`` on the app a blueprint is registered on;
    call as ``blueprint.record_once(use_id_converter)`` before the blueprint's routes."""
    state.app.url_map.converters.setdefault("id", IdConverter)


def _required(form: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = form.get(name)
    if not value:
        raise BadWebhook(f"missing {name}")
    if not pattern.fullmatch(value):
        raise BadWebhook(f"malformed {name}")
    return value


def _call_address(form: Mapping[str, str], name: str) -> str:
    """A voice webhook's ``From`` or ``To``: as :func:`_address`, or a ``sip:`` URI's user
    part: a number (RFC 3966's visual separators dropped), or a SIP user's name, which no
    subscriber has."""
    value = form.get(name, "").strip()
    if not SIP_SCHEME.match(value):
        return _address(form, name)
    uri = SIP_URI.fullmatch(value) if len(value) <= MAX_SIP_URI else None
    if uri is None:
        raise BadWebhook(f"malformed {name}: not a SIP URI (sip:NUMBER@HOST;PARAMETERS)")
    user = unquote(uri.group("user"))
    number = _SIP_SEPARATORS.sub("", user)
    if SIP_NUMBER.fullmatch(number):
        return number
    if SIP_NAME.fullmatch(user):
        return user
    raise BadWebhook(
        f"malformed {name}: a SIP URI's user part must be a number or a name (at most 32 "
        "letters, digits and -_.!~*'+, beginning with a letter)"
    )


def _address(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    compact = re.sub(r"[\s\-()]", "", value)
    if not value:
        raise BadWebhook(f"missing {name}")
    if not ADDRESS.fullmatch(compact):
        raise BadWebhook(f"malformed {name}")
    return compact
