"""The one place the service builds its Twilio REST client."""

from __future__ import annotations

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


def build_client(
    account_sid: str,
    auth_token: str,
    api_base_url: str | None = None,
    *,
    timeout: float | None = None,
) -> Client:
    """A ``twilio.rest.Client``; with ``api_base_url`` it talks to that server instead of
    ``https://api.twilio.com`` (e.g. the local stand-in, ``http://127.0.0.1:PORT``).

    Messages, Calls and Queues all live on the ``api`` domain: every generated resource asks
    ``client.api`` (its ``base_url``) for absolute URLs, so re-pointing that domain is enough.
    Edge and region are cleared then, since the client would rewrite the host with them
    (``TWILIO_EDGE``/``TWILIO_REGION`` are read from the environment otherwise).
    ``timeout`` (seconds) bounds each HTTP request; None waits as long as requests does.
    """
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    if api_base_url is not None:
        client.api.base_url = api_base_url.rstrip("/")
        client.edge = None
        client.region = None
    return client
