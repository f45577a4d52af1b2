"""Signed HTTP requests from the simulated network to the application, as Twilio makes them.

A URL may end in Twilio's *connection overrides*, a fragment such as ``#rc=5&rp=ct,rt,5xx``:
``rc`` retries (0-5) of the failures ``rp`` names (``ct`` no connection, ``rt`` no answer in
time, ``4xx``, ``5xx``, ``all``), ``ct`` and ``rt`` the connect and read timeouts and ``tt``
the time all tries may take, in ms. The fragment is never sent, nor signed: the request
goes to the URL without it. Without overrides nothing is retried (Twilio's own default is
not documented precisely enough to copy); with a fragment, ``rc`` is 1 and ``rp`` ``ct``
unless given. An ``rp`` Twilio would not take fails the
request with 11243, an ``rc`` or timeout out of range with 11100.
"""

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
INVALID_RETRY_POLICY = "11243"

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


@dataclass(frozen=True)
class Overrides:
    """A URL's connection overrides: what to retry, how often, and how long to wait."""

    retries: int = 0
    retry_on: frozenset[str] = frozenset()
    connect_timeout: float | None = None
    read_timeout: float | None = None
    total: float | None = None

    def retries_after(self, failure: str) -> bool:
        return bool({failure, "all"} & self.retry_on)


RETRY_POLICIES = frozenset({"ct", "rt", "4xx", "5xx", "all"})
MAX_RETRIES = 5
_TIMEOUT_LIMITS_MS = {"ct": (100, 10_000), "rt": (100, 15_000), "tt": (100, 15_000)}


def split_overrides(url: str) -> tuple[str, Overrides]:
    """*url* without its fragment, and the connection overrides the fragment holds;
    :class:`FetchError` when they are not what Twilio takes."""
    bare, _, fragment = url.partition("#")
    if not fragment:
        return bare, Overrides()
    pairs = dict(part.partition("=")[::2] for part in fragment.split("&") if part)
    policy = frozenset(p.strip() for p in pairs.get("rp", "ct").split(",") if p.strip())
    if not policy or not policy <= RETRY_POLICIES:
        raise FetchError(INVALID_RETRY_POLICY, f"invalid retry policy rp={pairs['rp']!r}", bare)
    numbers: dict[str, float] = {}
    for key, (low, high) in (("rc", (0, MAX_RETRIES)), *_TIMEOUT_LIMITS_MS.items()):
        if key in pairs:
            value = pairs[key]
            if not value.isdigit() or not low <= int(value) <= high:
                raise FetchError(INVALID_URL, f"connection override {key}={value!r}", bare)
            numbers[key] = int(value)
    return bare, Overrides(
        retries=int(numbers.get("rc", 1)),  # Twilio's documented default
        retry_on=policy,
        connect_timeout=numbers["ct"] / 1000 if "ct" in numbers else None,
        read_timeout=numbers["rt"] / 1000 if "rt" in numbers else None,
        total=numbers["tt"] / 1000 if "tt" in numbers else None,
    )


class WebhookClient:
    """Makes signed requests and reports each one to ``on_request``.

    The signature is ``RequestValidator(auth_token).compute_signature(url, params)`` over the
    exact URL requested (without a fragment): for GET the parameters travel in the query
    string and are part of the URL, for POST they are the form body.
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
        """Send ``params`` to ``url``, retried as its connection overrides ask; raise
        :class:`FetchError` unless an answer is 2xx."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            self._report(method, url, dict(params), None, 0.0, "invalid URL")
            raise FetchError(INVALID_URL, "URL is not absolute http(s)", url)
        try:
            url, overrides = split_overrides(url)
        except FetchError as error:
            self._report(method, error.url, dict(params), None, 0.0, error.message)
            raise
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
        timeout = (
            overrides.connect_timeout or self._timeout,
            overrides.read_timeout or self._timeout,
        )
        started, tries = time.perf_counter(), 0
        while True:
            try:
                return self._attempt(method, url, params, body, headers, timeout)
            except _Failed as failed:
                tries += 1
                spent = time.perf_counter() - started
                out_of_time = overrides.total is not None and spent >= overrides.total
                if (
                    tries > overrides.retries
                    or out_of_time
                    or not overrides.retries_after(failed.kind)
                ):
                    raise failed.error from None

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str],
        body: dict[str, str] | None,
        headers: dict[str, str],
        timeout: tuple[float, float],
    ) -> Fetched:
        """One try; :class:`_Failed` naming the failure as a retry policy does."""
        started = time.perf_counter()
        try:
            response = self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            )
        except requests.RequestException as error:
            latency = time.perf_counter() - started
            self._report(method, url, dict(params), None, latency, str(error))
            kind = "rt" if isinstance(error, requests.ReadTimeout) else "ct"
            failure = FetchError(HTTP_CONNECTION_FAILURE, _why(error, timeout[1]), url)
            raise _Failed(kind, failure) from None
        latency = time.perf_counter() - started
        if not 200 <= response.status_code < 300:
            self._report(method, url, dict(params), response.status_code, latency, "non-2xx")
            failure = FetchError(
                HTTP_RETRIEVAL_FAILURE, f"HTTP {response.status_code} from the application", url
            )
            raise _Failed(f"{response.status_code // 100}xx", failure)
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


class _Failed(Exception):
    """A try that failed: ``kind`` as a retry policy names it, ``error`` what to report."""

    def __init__(self, kind: str, error: FetchError) -> None:
        super().__init__(kind)
        self.kind = kind
        self.error = error


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
