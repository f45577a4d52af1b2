"""The browser phone in tests: the API key the app signs access tokens with, the signalling
stand-in (:mod:`simulator.signalling`) that checks them, and a WebSocket client that speaks
as the Voice JS SDK does, to try the stand-in without a browser."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from simulator.network import Network
from simulator.signalling import SignallingStandin, loopback_tls, wall_clock
from tests.support.clocks import TestClock
from tests.support.polling import PATIENCE_S, POLL_INTERVAL_S

API_KEY = "SK" + "5" * 32
API_SECRET = "browser-phone-test-secret-0123456789"
TWIML_APP = "AP" + "6" * 32


def phone_settings(host: str) -> dict[str, Any]:
    """The app's settings for a browser phone whose signalling is the stand-in at *host*."""
    return {
        "twilio_api_key": API_KEY,
        "twilio_api_secret": API_SECRET,
        "twilio_twiml_app_sid": TWIML_APP,
        "twilio_signalling_host": host,
    }


@contextmanager
def signalling(
    network: Network, folder: Path, clock: TestClock | None = None
) -> Iterator[SignallingStandin]:
    """The stand-in on a loopback port, knowing the test API key, checking tokens by
    *clock* (the app's: the two agree on the time, as Twilio and a server with NTP do)."""
    now = wall_clock if clock is None else (lambda: clock.now().replace(tzinfo=dt.UTC))
    standin = SignallingStandin(network, {API_KEY: API_SECRET}, loopback_tls(folder), now=now)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


class SdkSocket:
    """A WebSocket to the stand-in that sends what the Voice SDK sends and hands back what
    it answers (heartbeats aside); blocking calls, its own event loop in a thread."""

    def __init__(self, host: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession
        self._socket: aiohttp.ClientWebSocketResponse
        self._run(self._open(f"wss://{host}/signal"))

    async def _open(self, url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._socket = await self._session.ws_connect(url, ssl=False)
        self._raw = self._socket.get_extra_info("socket")

    def _run(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(PATIENCE_S)

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        text = json.dumps({"type": kind, "version": "1.6", "payload": payload})
        self._run(self._socket.send_str(text))

    def receive(self) -> dict[str, Any]:
        """The next message that is not a heartbeat."""
        while True:
            message = self._run(self._socket.receive(PATIENCE_S))
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"the stand-in closed the socket: {message.type}")
            if message.data != "\n":
                found: dict[str, Any] = json.loads(message.data)
                return found

    def close(self) -> None:
        async def close() -> None:
            await self._socket.close()
            await self._session.close()
            # TLS closes over a few turns of the loop: wait for it, or the socket leaks.
            for _ in range(round(PATIENCE_S / POLL_INTERVAL_S)):
                if self._raw.fileno() == -1:
                    return
                await asyncio.sleep(POLL_INTERVAL_S)

        self._run(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(PATIENCE_S)
        self._loop.close()
