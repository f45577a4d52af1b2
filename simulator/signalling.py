"""A stand-in for Twilio's Voice SDK signalling server, on a loopback port, over TLS.

Twilio's Voice JS SDK talks JSON messages over a WebSocket to ``wss://HOST/signal``; its
``chunderw`` option names another host, which is how the console points it here
(``TWILIO_SIGNALLING_HOST``). This speaks enough of that protocol for a browser phone to
register and take a call, and checks what a real account checks:

* ``listen`` carries the access token: it must be signed (HS256) with the secret of an API
  key of the account (``iss``), for the account (``sub``), valid now, for at most a day, with
  an identity of letters, digits and ``_`` (error 31202 for a bad signature, 31205 expired,
  31204 otherwise). Answer: ``connected``, with the identity and the token's time left
  (the SDK asks for a new token before it runs out: a later ``listen`` with it).
* ``register`` with ``media.audio`` true needs a token whose voice grant allows incoming
  calls; the identity is then registered with the network (:mod:`simulator.clients`) and
  the answer is ``ready``; false (or the socket closing) unregisters it (``offline``).
* A ``<Dial><Client>`` to the identity sends ``invite`` (the dialled leg's sid, an SDP offer,
  its parameters); ``answer`` connects it, ``reject`` ends it ``busy``, nothing within the
  dial's timeout ``cancel`` and ``no-answer``. ``hangup`` from either side ends the call.
* A ``"\\n"`` heartbeat every few seconds, as Twilio sends (the SDK reconnects without).

The stand-in has no media: its offer is valid SDP with no ICE candidates, so the browser
answers and the SDK's call opens, but no sound flows. Every message is kept, for tests to
read: :attr:`SignallingStandin.received` from browsers, :attr:`~SignallingStandin.sent` to them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import WSMsgType, web

from simulator.bridge import Bridge
from simulator.clients import IDENTITY, Answered, Ringing
from simulator.network import Network

HEARTBEAT_S = 5.0
MAX_TOKEN_TTL = dt.timedelta(days=1)
CLOCK_SKEW = dt.timedelta(seconds=60)
_POLL_S = 0.02
# A valid offer of audio (Opus, PCMU) without candidates: enough for the browser to answer.
OFFER_SDP = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=signalling stand-in",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:standin",
        "a=ice-pwd:standinstandinstandinpwd",
        "a=fingerprint:sha-256 " + ":".join(["5A"] * 32),
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:0 PCMU/8000",
        "",
    ]
)


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def loopback_tls(folder: Path) -> ssl.SSLContext:
    """A server TLS context for ``127.0.0.1`` and ``localhost``, with a self-signed
    certificate made in *folder* by ``openssl`` (the SDK speaks only ``wss://``: a browser
    must be told to accept it, as Playwright's ``ignore_https_errors`` does)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "signalling-cert.pem", folder / "signalling-key.pem"
    if not cert.exists() or not key.exists():
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "30",
                "-subj", "/CN=signalling stand-in",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class TokenRefused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Signal:
    """A message from or to a browser: its type and payload, and the browser's identity."""

    identity: str | None
    type: str
    payload: dict[str, Any]


@dataclass
class _Offer:
    """A call offered to a browser, waiting for its answer."""

    ringing: Ringing
    decided: threading.Event = field(default_factory=threading.Event)
    answer: str = ""


class _Browser:
    """One browser's signalling connection: its token, its registration, its calls."""

    def __init__(self, standin: SignallingStandin, ws: web.WebSocketResponse) -> None:
        self.standin = standin
        self.ws = ws
        self.identity: str | None = None
        self.incoming_allowed = False
        self.registered = False
        self.offers: dict[str, _Offer] = {}
        self.hung_up: dict[str, threading.Event] = {}

    # -- from the network's threads ------------------------------------------------------

    def ring(self, ringing: Ringing, timeout_s: float) -> Answered | str:
        offer = _Offer(ringing)
        self.offers[ringing.call_sid] = offer
        self.hung_up[ringing.call_sid] = threading.Event()
        parameters = {
            "CallSid": ringing.call_sid,
            "AccountSid": ringing.account_sid,
            "From": ringing.from_,
            "To": ringing.to,
            "ApiVersion": "2010-04-01",
        }
        payload = {"callsid": ringing.call_sid, "sdp": OFFER_SDP, "parameters": parameters}
        if not self.standin.send(self, "invite", payload):
            self.offers.pop(ringing.call_sid, None)
            self.hung_up.pop(ringing.call_sid, None)
            return "failed"
        decided = offer.decided.wait(timeout_s)
        self.offers.pop(ringing.call_sid, None)
        if decided and offer.answer == "answer":
            return _BrowserLeg(self, ringing.call_sid)
        self.hung_up.pop(ringing.call_sid, None)
        if not decided:
            self.standin.send(self, "cancel", {"callsid": ringing.call_sid})
            return "no-answer"
        return "busy" if offer.answer == "reject" else "no-answer"

    # -- from the browser ----------------------------------------------------------------

    def decide(self, call_sid: str, answer: str) -> bool:
        """The browser answered, rejected or hung up an offered call; False if none was."""
        offer = self.offers.get(call_sid)
        if offer is None or offer.decided.is_set():
            return False
        offer.answer = answer
        offer.decided.set()
        return True

    def hang_up(self, call_sid: str | None = None) -> None:
        """The browser hung up *call_sid* (every call, when it went away)."""
        for sid, event in list(self.hung_up.items()):
            if call_sid in (None, sid):
                event.set()
        for sid in list(self.offers):
            if call_sid in (None, sid):
                self.decide(sid, "hangup")


class _BrowserLeg:
    """A call the browser answered: the agent talks in real time, until they hang up in the
    page or the caller has talked as long as they planned."""

    def __init__(self, browser: _Browser, call_sid: str) -> None:
        self.browser = browser
        self.call_sid = call_sid

    def join(self, bridge: Bridge) -> None:
        threading.Thread(
            target=self._converse, args=(bridge,), name=f"signalling-{self.call_sid}", daemon=True
        ).start()

    def _converse(self, bridge: Bridge) -> None:
        hung_up = self.browser.hung_up[self.call_sid]
        started = time.monotonic()
        caller_plan = None
        while caller_plan is None and not hung_up.is_set():
            caller_plan = bridge.proposal(bridge.caller, timeout=_POLL_S)
        if caller_plan is not None and not math.isinf(caller_plan):
            bridge.propose(bridge.callee, math.inf)  # the caller hangs up first
            self.browser.standin.clock_sleep(caller_plan, hung_up)
            if not hung_up.is_set():
                self.browser.standin.send(self.browser, "hangup", {"callsid": self.call_sid})
        else:
            hung_up.wait()
            bridge.propose(bridge.callee, time.monotonic() - started)
        self.browser.hung_up.pop(self.call_sid, None)


class SignallingStandin:
    """``SignallingStandin(network, {api_key_sid: secret}, tls).start()``; ``host`` is what
    the SDK's ``chunderw`` option (``TWILIO_SIGNALLING_HOST``) takes. *now* is the
    account's clock (aware UTC) that tokens are checked against."""

    def __init__(
        self,
        network: Network,
        api_keys: Mapping[str, str],
        tls: ssl.SSLContext,
        *,
        now: Callable[[], dt.datetime] = wall_clock,
        port: int = 0,
    ) -> None:
        self.network = network
        self.api_keys = dict(api_keys)
        self.received: list[Signal] = []
        self.sent: list[Signal] = []
        self._tls = tls
        self._now = now
        self._port = port
        self._browsers: set[_Browser] = set()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="signalling", daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._port}"

    def start(self) -> SignallingStandin:
        self._thread.start()
        if not self._started.wait(30):
            raise RuntimeError("the signalling stand-in did not start")
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def registered(self, identity: str) -> bool:
        """Whether a browser is registered as *identity* now."""
        return any(b.registered and b.identity == identity for b in list(self._browsers))

    def messages(self, kind: str, *, sent: bool = False) -> list[Signal]:
        """The messages of *kind* browsers sent (or, with *sent*, that they were sent)."""
        return [m for m in list(self.sent if sent else self.received) if m.type == kind]

    # -- the network's side --------------------------------------------------------------

    def send(self, browser: _Browser, kind: str, payload: dict[str, Any]) -> bool:
        """Send a message to *browser* from any thread; False if it is gone."""
        text = json.dumps({"type": kind, "version": "1.6", "payload": payload})
        self.sent.append(Signal(browser.identity, kind, payload))
        try:
            asyncio.run_coroutine_threadsafe(browser.ws.send_str(text), self._loop).result(30)
        except (ConnectionError, RuntimeError):
            return False
        return True

    def clock_sleep(self, seconds: float, interrupt: threading.Event) -> None:
        """Wait the real counterpart of simulated *seconds*, less if *interrupt* is set."""
        self.network.clock.sleep(seconds, interrupt)

    # -- serving -------------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._started.set()
        self._loop.run_forever()

    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_get("/signal", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        listening = socket.create_server(("127.0.0.1", self._port))
        self._port = listening.getsockname()[1]
        await web.SockSite(self._runner, listening, ssl_context=self._tls).start()

    async def _shutdown(self) -> None:
        for browser in list(self._browsers):
            await browser.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        browser = _Browser(self, ws)
        self._browsers.add(browser)
        beat = asyncio.create_task(self._heartbeat(ws))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT and message.data != "\n":
                    await self._handle(browser, json.loads(message.data))
        finally:
            beat.cancel()
            self._browsers.discard(browser)
            self._unregister(browser)
            browser.hang_up()
        return ws

    async def _heartbeat(self, ws: web.WebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(HEARTBEAT_S)
            if not ws.closed:
                await ws.send_str("\n")

    async def _handle(self, browser: _Browser, message: dict[str, Any]) -> None:
        kind, payload = str(message.get("type", "")), message.get("payload") or {}
        self.received.append(Signal(browser.identity, kind, payload))
        call_sid = payload.get("callsid")
        if kind == "listen":
            await self._listen_with(browser, str(payload.get("token", "")))
        elif kind == "register":
            await self._register(browser, bool((payload.get("media") or {}).get("audio")))
        elif kind in ("answer", "reject"):
            browser.decide(str(call_sid), kind)
        elif kind == "hangup":
            browser.hang_up(str(call_sid))

    async def _listen_with(self, browser: _Browser, token: str) -> None:
        try:
            claims = self._check(token)
        except TokenRefused as refused:
            await self._error(browser, refused.code, str(refused))
            return
        grants = claims["grants"]
        voice = grants.get("voice") or {}
        browser.identity = grants["identity"]
        browser.incoming_allowed = bool((voice.get("incoming") or {}).get("allow"))
        ttl = int(claims["exp"] - self._now().timestamp())
        await self._reply(
            browser,
            "connected",
            {
                "region": "gll",
                "home": "stand-in",
                "token": {"identity": browser.identity, "ttl": ttl},
            },
        )

    async def _register(self, browser: _Browser, audio: bool) -> None:
        if browser.identity is None:
            await self._error(browser, 31204, "register before a valid access token")
            return
        if audio and not browser.incoming_allowed:
            await self._error(browser, 31204, "the access token does not allow incoming calls")
            return
        if audio:
            if not browser.registered:
                self.network.clients.register(browser.identity, browser)
                browser.registered = True
            await self._reply(browser, "ready", {})
        else:
            self._unregister(browser)
            await self._reply(browser, "offline", {})

    def _unregister(self, browser: _Browser) -> None:
        if browser.registered and browser.identity is not None:
            self.network.clients.unregister(browser.identity, browser)
        browser.registered = False

    async def _reply(self, browser: _Browser, kind: str, payload: dict[str, Any]) -> None:
        self.sent.append(Signal(browser.identity, kind, payload))
        await browser.ws.send_str(json.dumps({"type": kind, "version": "1.6", "payload": payload}))

    async def _error(self, browser: _Browser, code: int, message: str) -> None:
        await self._reply(browser, "error", {"error": {"code": code, "message": message}})

    def _check(self, token: str) -> dict[str, Any]:
        """The token's claims, checked as Twilio checks them; else :class:`TokenRefused`."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise TokenRefused(31204, f"not an access token: {error}") from None
        secret = self.api_keys.get(str(unverified.get("iss")))
        if secret is None:
            raise TokenRefused(31204, "the token is not signed with an API key of the account")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_nbf": False, "require": ["exp", "grants"]},
            )
        except jwt.InvalidSignatureError:
            raise TokenRefused(31202, "the token's signature is wrong") from None
        except jwt.PyJWTError as error:
            raise TokenRefused(31204, f"the token is invalid: {error}") from None
        if claims.get("sub") != self.network.config.account_sid:
            raise TokenRefused(31204, "the token is for another account")
        now = self._now()
        expires = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
        starts = dt.datetime.fromtimestamp(claims.get("nbf", claims["exp"]), dt.UTC)
        if expires <= now:
            raise TokenRefused(31205, "the token has expired")
        if starts > now + CLOCK_SKEW or expires - min(starts, now) > MAX_TOKEN_TTL:
            raise TokenRefused(31204, "the token is not valid now, or for more than a day")
        identity = claims["grants"].get("identity")
        if not isinstance(identity, str) or not IDENTITY.fullmatch(identity):
            raise TokenRefused(31204, "the token's identity must be letters, digits and _")
        return claims
