"""The desk's requests to Twilio's REST API (or the local stand-in): redirect a waiting call
to its agent, place a callback, look up a call's status. The real ``twilio.rest.Client``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from expert_desk import urls
from expert_desk.errors import CallerGone, TelephonyFailed
from ivr import numbers
from ivr.callbacks import status_callback_url

# Twilio's answers for a call that is over: not found, or "not in-progress, cannot redirect".
_GONE_CODES = frozenset({20404, 21220})
T = TypeVar("T")


class Telephony:
    """The desk's requests to Twilio's REST API, through the client the composition root built."""

    def __init__(self, client: Client, public_base_url: str, caller_id: str):
        self.client = client
        self._base = public_base_url.rstrip("/")
        self._caller_id = caller_id

    def redirect_to_agent(self, call_sid: str, desk_call_id: int) -> None:
        """The waiting call leaves its queue and asks :data:`urls.CONNECT` whom to dial."""
        url = self._base + urls.CONNECT.format(id=desk_call_id)
        self._do(lambda: self.client.calls(call_sid).update(url=url, method="POST"))

    def call_back(self, number: str, desk_call_id: int) -> str:
        """Call the caller back; when they answer, :data:`urls.CALLBACK_ANSWER` dials the
        agent. The new call's sid."""
        answer = self._base + urls.CALLBACK_ANSWER.format(id=desk_call_id)
        status = status_callback_url(self._base, urls.CALLBACK_STATUS.format(id=desk_call_id))
        try:
            to = numbers.e164(number)
        except numbers.InvalidNumber as error:
            raise TelephonyFailed(f"cannot call {number!r} back: {error}") from error
        call = self._do(
            lambda: self.client.calls.create(
                to=to,
                from_=self._caller_id,
                url=answer,
                method="POST",
                status_callback=status,
                status_callback_method="POST",
            )
        )
        return str(call.sid)

    def call_status(self, call_sid: str) -> str | None:
        """The call's status as Twilio knows it; None when it cannot be asked now."""
        try:
            return str(self.client.calls(call_sid).fetch().status)
        except TwilioRestException as error:
            return "completed" if error.code in _GONE_CODES or error.status == 404 else None
        except requests.RequestException:
            return None

    @staticmethod
    def _do(request: Callable[[], T]) -> T:
        try:
            return request()
        except TwilioRestException as error:
            if error.code in _GONE_CODES or error.status == 404:
                raise CallerGone(f"HTTP {error.status} {error.code}: {error.msg}") from error
            raise TelephonyFailed(f"HTTP {error.status} {error.code}: {error.msg}") from error
        except requests.RequestException as error:
            raise TelephonyFailed(f"{type(error).__name__}: {error}") from error


def same_host(url: str, base: str) -> bool:
    """Whether *url* is served by the host of *base* (recordings come only from the API)."""
    a, b = urlsplit(url), urlsplit(base)
    return a.scheme in ("http", "https") and (a.scheme, a.netloc) == (b.scheme, b.netloc)
