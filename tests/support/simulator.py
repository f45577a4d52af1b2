"""Test helpers for the simulator: a small TwiML app that checks every signature, served on a
loopback port, with a network and a REST stand-in around it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from hotline.twilio_rest import build_client
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from simulator.server import LoopbackServer

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "1" * 32
SERVICE = "10010"  # the number a caller dials: voice only, never an SMS sender at Twilio
SERVICE_NUMBER = "+862131010010"  # the account's voice number for it (the default map)
# The account's numbers (the network config's defaults): SMS go out from and come in to these.
SMS_FROM = "+8613010010000"
SERVICE_SID = "MG" + "8" * 32  # a Messaging Service of the account ...
SERVICE_POOL = "+8613010655877"  # ... and the one number of its pool
HANDSET = "+8613800000001"

Handler = Callable[[dict[str, str]], "str | Response"]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    params: dict[str, str]
    signed: bool


class TwimlApp:
    """Answers each path with hand-written TwiML (a string, or a function of the params).

    Every request is checked with ``RequestValidator``; a bad signature gets 403, so a
    simulator that forgets to sign fails loudly.
    """

    def __init__(self, auth_token: str = TOKEN) -> None:
        self.routes: dict[str, str | Handler] = {"/voice/status": "", "/sms/status": ""}
        self.received: list[Received] = []
        self._validator = RequestValidator(auth_token)
        self.flask = Flask("simulator-test-app")
        self.flask.add_url_rule("/<path:path>", "any", self._answer, methods=["GET", "POST"])

    def route(self, path: str, answer: str | Handler) -> None:
        self.routes[path] = answer

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def _answer(self, path: str) -> Response:
        params = request.form.to_dict()
        signed = self._validator.validate(
            request.url, params, request.headers.get("X-Twilio-Signature", "")
        )
        self.received.append(
            Received(request.method, "/" + path, params | request.args.to_dict(), signed)
        )
        if not signed:
            return Response("bad signature", status=403)
        answer = self.routes.get("/" + path)
        if answer is None:
            return Response("no such route", status=404)
        body = answer if isinstance(answer, str) else answer(params | request.args.to_dict())
        if isinstance(body, Response):
            return body
        return Response(body, mimetype="text/xml")


class Harness:
    """The test app, a network pointed at it, and a REST stand-in; use as a context manager."""

    def __init__(self, **config: object) -> None:
        self.app = TwimlApp()
        self._app_server = LoopbackServer(self.app.flask)
        self._config = config
        self.network: Network
        self.standin: RestStandin

    @property
    def base_url(self) -> str:
        return self._app_server.url

    def client(self, timeout: float | None = None) -> Client:
        return build_client(ACCOUNT, TOKEN, api_base_url=self.standin.url, timeout=timeout)

    def __enter__(self) -> Harness:
        self._app_server.start()
        settings = {"hold_timeout": 10.0} | self._config
        config = NetworkConfig(
            base_url=self.base_url,
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            **settings,  # type: ignore[arg-type]
        )
        self.network = Network(config)
        self.standin = RestStandin(self.network).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.network.wait_idle(10)
        self.standin.stop()
        self.network.close()
        self._app_server.stop()


def say(text: str, language: str = "en-US") -> str:
    return f'<Say language="{language}">{text}</Say>'


def response(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"
