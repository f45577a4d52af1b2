"""Signed HTTP requests from the simulated network to the application, as Twilio makes them."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator

HTTP_RETRIEVAL_FAILURE = "11200"
HTTP_CONNECTION_FAILURE = "11205"
INVALID_URL = "11100"

USER_AGENT = "TwilioProxy/1.1 (ivr-simulator)"


@dataclass(frozen=True)
class WebhookRequest:
    """One request the network made: what was sent, what came back, how long it took."""

    method: str
    url: str
    params: dict[str, str]
    status: int | None
    latency: float
    error: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A successful (2xx) response."""

    url: str
    status: int
    content_type: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


class FetchError(Exception):
    """The request failed: ``code`` is Twilio's error code (11200, 11205, 11100)."""

    def __init__(self, code: str, message: str, url: str) -> None:
        super().__init__(f"{code}: {message} ({url})")
        self.code = code
        self.message = message
        self.url = url


class WebhookClient:
    """Makes signed requests and reports each one to ``on_request``.

    The signature is ``RequestValidator(auth_token).compute_signature(url, params)`` over the
    exact URL requested: for GET the parameters travel in the query string and are part of
    the URL, for POST they are the form body.
    """

    def __init__(
        self,
        auth_token: str,
        *,
        timeout: float = 15.0,
        on_request: Callable[[WebhookRequest], None] | None = None,
    ) -> None:
        self._validator = RequestValidator(auth_token)
        self._timeout = timeout
        self._on_request = on_request
        self._session = requests.Session()
        # Like Twilio's webhook client: no proxies or .netrc from the environment, which
        # would cost file lookups on every request (thousands of calls in one process under
        # load mode).
        self._session.trust_env = False

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, url: str, params: Mapping[str, str]) -> Fetched:
        """Send ``params`` to ``url``; raise :class:`FetchError` unless the answer is 2xx."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            self._report(method, url, dict(params), None, 0.0, "invalid URL")
            raise FetchError(INVALID_URL, "URL is not absolute http(s)", url)
        method = method.upper()
        body: dict[str, str] | None = dict(params)
        if method == "GET":
            separator = "&" if urlsplit(url).query else "?"
            url = url + separator + urlencode(params) if params else url
            body = None
        headers = {
            "X-Twilio-Signature": self._validator.compute_signature(url, body or {}),
            "User-Agent": USER_AGENT,
        }
        started = time.perf_counter()
        try:
            response = self._session.request(
                method, url, data=body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as error:
            latency = time.perf_counter() - started
            self._report(method, url, dict(params), None, latency, str(error))
            raise FetchError(HTTP_CONNECTION_FAILURE, _why(error, self._timeout), url) from None
        latency = time.perf_counter() - started
        if not 200 <= response.status_code < 300:
            self._report(method, url, dict(params), response.status_code, latency, "non-2xx")
            raise FetchError(
                HTTP_RETRIEVAL_FAILURE, f"HTTP {response.status_code} from the application", url
            )
        self._report(method, url, dict(params), response.status_code, latency, None)
        return Fetched(
            url=url,
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            headers=response.headers,
            body=response.content,
        )

    def _report(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        status: int | None,
        latency: float,
        error: str | None,
    ) -> None:
        if self._on_request is not None:
            self._on_request(WebhookRequest(method, url, params, status, latency, error))


def _why(error: requests.RequestException, timeout: float) -> str:
    """Why a request got no answer, in the operating system's words (``Connection refused``,
    ``Name or service not known``) rather than urllib3's wrapping of them, or the timeout."""
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout:g} s"
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "reason", None)
    return str(error)
