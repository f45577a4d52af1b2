"""A stand-in for Twilio's REST API (``/2010-04-01``) on a loopback port.

``twilio.rest.Client`` talks to it unchanged once its API domain points here (see
:func:`hotline.twilio_rest.build_client`). Requests are checked with HTTP basic auth (account
sid / auth token), answered in Twilio's JSON shapes, and recorded in :attr:`requests`.
Faults are injected with :attr:`faults` or, from another process, over ``/_standin/*``:

* ``POST /_standin/faults`` JSON ``{"path": regex, "status": 500, "count": 2,
  "retry_after": 2, "delay": 0.5, "method": "POST"}``; ``GET`` lists, ``DELETE`` clears
  (a ``hold``, released by the test that set it, is for :attr:`faults` in-process only);
* ``GET /_standin/requests``: the recorded requests;
* ``GET /_standin/inbox/<number>``: the SMS a handset received;
* ``POST /_standin/sms`` JSON ``{"from", "to", "body"}``: a handset texts the service.

Recordings are served without auth, as Twilio serves them, at ``.../Recordings/<sid>``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import ClosingIterator

from simulator.call import CallSpec
from simulator.faults import Fault, FaultPlan
from simulator.messaging import Message, RestError
from simulator.network import MemberView, Network, QueueView
from simulator.result import CallView
from simulator.server import LoopbackServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API = "/2010-04-01"
_ACCOUNT = API + "/Accounts/<account>"
_RULES = Map(
    [
        Rule(_ACCOUNT + "/Messages.json", endpoint="messages", methods=["GET", "POST"]),
        Rule(_ACCOUNT + "/Messages/<sid>.json", endpoint="message", methods=["GET", "POST"]),
        Rule(_ACCOUNT + "/Calls.json", endpoint="calls", methods=["GET", "POST"]),
        Rule(_ACCOUNT + "/Calls/<sid>.json", endpoint="call", methods=["GET", "POST"]),
        Rule(_ACCOUNT + "/Queues.json", endpoint="queues", methods=["GET", "POST"]),
        Rule(_ACCOUNT + "/Queues/<sid>.json", endpoint="queue", methods=["GET"]),
        Rule(_ACCOUNT + "/Queues/<queue>/Members.json", endpoint="members", methods=["GET"]),
        Rule(
            _ACCOUNT + "/Queues/<queue>/Members/<sid>.json",
            endpoint="member",
            methods=["GET", "POST"],
        ),
        Rule(_ACCOUNT + "/Recordings/<sid>", endpoint="recording", methods=["GET"]),
        Rule("/_standin/faults", endpoint="faults", methods=["GET", "POST", "DELETE"]),
        Rule("/_standin/requests", endpoint="requests", methods=["GET"]),
        Rule("/_standin/inbox/<number>", endpoint="inbox", methods=["GET"]),
        Rule("/_standin/sms", endpoint="sms", methods=["POST"]),
    ]
)
_PUBLIC_ENDPOINTS = frozenset({"recording", "faults", "requests", "inbox", "sms"})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    status: int
    fault: bool = False
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class RestStandin:
    """``with RestStandin(network) as standin: build_client(..., api_base_url=standin.url)``."""

    def __init__(self, network: Network, host: str = "127.0.0.1", port: int = 0) -> None:
        self.network = network
        self.faults = FaultPlan()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(self._wsgi, host, port)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def start(self) -> RestStandin:
        self._server.start()
        self.network.media_base_url = self.url
        return self

    def stop(self) -> None:
        self._stopping.set()  # cut injected delays short
        self.faults.release_all()
        self._server.stop()

    def __enter__(self) -> RestStandin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- dispatch ------------------------------------------------------------------------

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        fault = (
            None
            if request.path.startswith("/_standin/")
            else self.faults.take(request.method, request.path)
        )
        if fault is not None and fault.hold:
            request.get_data(parse_form_data=True)  # now: its client may be gone when we go on
            fault.hold_until_released()
        if fault is not None and fault.delay > 0:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status is not None:
            response = _fault_response(fault)
        else:
            response = self._dispatch(request)
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=request.args.to_dict(),
                    form=request.form.to_dict(),
                    status=response.status_code,
                    fault=fault is not None,
                )
            )
        answer = response(environ, start_response)
        return answer if fault is None else ClosingIterator(answer, fault.note_answered)

    def _dispatch(self, request: Request) -> Response:
        adapter = _RULES.bind_to_environ(request.environ)
        try:
            endpoint, matched = adapter.match()
            arguments = dict(matched)
            if endpoint not in _PUBLIC_ENDPOINTS:
                self._authenticate(request, arguments.pop("account"))
            arguments.pop("account", None)
            handler: Callable[..., Response] = getattr(self, f"_on_{endpoint}")
            return handler(request, **arguments)
        except RestError as error:
            return _error_response(error.status, error.code, error.message)
        except NotFound:
            return _error_response(
                404, 20404, f"The requested resource {request.path} was not found"
            )
        except MethodNotAllowed:
            return _error_response(405, 20004, f"Method {request.method} not allowed")
        except HTTPException as error:
            return _error_response(error.code or 400, 20001, error.description or "Bad request")

    def _authenticate(self, request: Request, account: str) -> None:
        config = self.network.config
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (
            config.account_sid,
            config.auth_token,
        ):
            raise RestError(401, 20003, "Authenticate")
        if account != config.account_sid:
            raise RestError(404, 20404, f"The requested resource Account {account} was not found")

    # -- Messages ------------------------------------------------------------------------

    def _on_messages(self, request: Request) -> Response:
        if request.method == "POST":
            form = request.form
            answered = threading.Event()
            message = self.network.sms.send_message(
                to=form.get("To", ""),
                from_=form.get("From", ""),
                body=form.get("Body", ""),
                status_callback=form.get("StatusCallback"),
                messaging_service_sid=form.get("MessagingServiceSid"),
                answered=answered,
            )
            response = _json(self._message_json(message), 201)
            response.call_on_close(answered.set)  # callbacks only once the answer is out
            return response
        to, from_ = request.args.get("To"), request.args.get("From")
        messages = [
            m
            for m in self.network.messages.all()
            if (to is None or m.to == to) and (from_ is None or m.from_ == from_)
        ]
        return self._page(request, "messages", [self._message_json(m) for m in messages])

    def _on_message(self, request: Request, sid: str) -> Response:
        message = self.network.messages.get(sid)
        if message is None:
            raise RestError(404, 20404, f"The requested resource Message {sid} was not found")
        if request.method == "POST":
            if "Body" not in request.form or request.form["Body"] != "":
                raise RestError(400, 20001, "Body may only be set to empty (redaction)")
            self.network.messages.redact(message)
        return _json(self._message_json(message))

    def _message_json(self, message: Message) -> dict[str, Any]:
        uri = f"{self._account_uri()}/Messages/{message.sid}.json"
        return {
            "sid": message.sid,
            "account_sid": message.account_sid,
            "api_version": "2010-04-01",
            "body": message.body,
            "date_created": _date(message.date_created),
            "date_updated": _date(message.date_updated),
            "date_sent": _date(message.date_sent),
            "direction": message.direction,
            "error_code": message.error_code,
            "error_message": message.error_message,
            "from": message.from_ or None,  # a Messaging Service's message until it picks one
            "to": message.to,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(message.num_segments),
            "price": None,
            "price_unit": "USD",
            "status": message.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "uri": uri,
        }

    # -- Calls ---------------------------------------------------------------------------

    def _on_calls(self, request: Request) -> Response:
        if request.method == "GET":
            status, to = request.args.get("Status"), request.args.get("To")
            views = [
                v
                for v in self.network.call_views()
                if (status is None or v.status == status) and (to is None or v.to == to)
            ]
            return self._page(request, "calls", [self._call_json(v) for v in views])
        form = request.form
        to, from_ = form.get("To", ""), form.get("From", "")
        if not to:
            raise RestError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise RestError(400, 21213, "No 'From' number is specified")
        if not form.get("Url") and not form.get("Twiml"):
            raise RestError(400, 21205, "Url parameter is required.")
        if not self.network.config.may_call_from(from_) and not (
            from_.startswith("client:") and not _is_phone_number(to)
        ):
            raise RestError(
                400,
                21210,
                f"The source phone number provided, {from_}, is not yet verified for your "
                "account. You may only make calls from phone numbers that you've verified "
                "or purchased from Twilio.",
            )
        spec = CallSpec(
            to=to,
            from_=from_,
            direction="outbound-api",
            url=form.get("Url"),
            method=form.get("Method", "POST").upper(),
            twiml=form.get("Twiml"),
            status_callback=form.get("StatusCallback"),
            outcome=self.network.outcome_for(to),
        )
        handle = self.network.start(spec, self.network.script_for(to))
        view = handle.call.view()
        return _json(self._call_json(view) | {"status": "queued"}, 201)

    def _on_call(self, request: Request, sid: str) -> Response:
        if request.method == "POST":
            form = request.form
            status = form.get("Status")
            if status in ("completed", "canceled"):
                self.network.complete(sid)
            elif form.get("Url") or form.get("Twiml"):
                self.network.redirect(
                    sid,
                    url=form.get("Url"),
                    method=form.get("Method", "POST").upper(),
                    twiml=form.get("Twiml"),
                )
            elif status is not None:
                raise RestError(400, 21218, f"Invalid call Status {status!r}")
        view = self.network.call_view(sid)
        if view is None:
            raise RestError(404, 20404, f"The requested resource Call {sid} was not found")
        return _json(self._call_json(view))

    def _call_json(self, view: CallView) -> dict[str, Any]:
        uri = f"{self._account_uri()}/Calls/{view.sid}.json"
        return {
            "sid": view.sid,
            "account_sid": self.network.config.account_sid,
            "api_version": "2010-04-01",
            "answered_by": None,
            "caller_name": None,
            "date_created": _date(view.start_time),
            "date_updated": _date(view.end_time or view.start_time),
            "direction": view.direction,
            "duration": None if view.duration is None else str(int(view.duration)),
            "end_time": _date(view.end_time),
            "forwarded_from": None,
            "from": view.from_,
            "from_formatted": view.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "start_time": _date(view.start_time),
            "status": view.status,
            "subresource_uris": {"recordings": uri.replace(".json", "/Recordings.json")},
            "to": view.to,
            "to_formatted": view.to,
            "trunk_sid": None,
            "uri": uri,
        }

    # -- Queues and members --------------------------------------------------------------

    def _on_queues(self, request: Request) -> Response:
        if request.method == "POST":
            name = request.form.get("FriendlyName", "")
            if not name:
                raise RestError(400, 20001, "Missing required parameter FriendlyName")
            max_size = int(request.form.get("MaxSize", "1000"))
            return _json(self._queue_json(self.network.create_queue(name, max_size)), 201)
        views = self.network.queue_views()
        return self._page(request, "queues", [self._queue_json(v) for v in views])

    def _on_queue(self, request: Request, sid: str) -> Response:
        return _json(self._queue_json(self.network.queue_view(sid)))

    def _queue_json(self, view: QueueView) -> dict[str, Any]:
        uri = f"{self._account_uri()}/Queues/{view.sid}.json"
        return {
            "sid": view.sid,
            "account_sid": self.network.config.account_sid,
            "friendly_name": view.name,
            "current_size": view.current_size,
            "max_size": view.max_size,
            "average_wait_time": view.average_wait,
            "date_created": _date(view.date_created),
            "date_updated": _date(view.date_created),
            "subresource_uris": {"members": uri.replace(".json", "/Members.json")},
            "uri": uri,
        }

    def _on_members(self, request: Request, queue: str) -> Response:
        views = self.network.member_views(queue)
        return self._page(request, "queue_members", [self._member_json(v) for v in views])

    def _on_member(self, request: Request, queue: str, sid: str) -> Response:
        if request.method == "POST":
            url = request.form.get("Url")
            if not url:
                raise RestError(400, 20001, "Missing required parameter Url")
            method = request.form.get("Method", "POST").upper()
            return _json(self._member_json(self.network.dequeue_to_url(queue, sid, url, method)))
        return _json(self._member_json(self.network.member_view(queue, sid)))

    def _member_json(self, view: MemberView) -> dict[str, Any]:
        return {
            "call_sid": view.call_sid,
            "queue_sid": view.queue_sid,
            "position": view.position,
            "wait_time": view.wait_time,
            "date_enqueued": _date(view.date_enqueued),
            "uri": f"{self._account_uri()}/Queues/{view.queue_sid}/Members/{view.call_sid}.json",
        }

    # -- Recordings (public, like Twilio's media URLs) ----------------------------------

    def _on_recording(self, request: Request, sid: str) -> Response:
        recording = self.network.recording(sid.removesuffix(".wav"))
        if recording is None:
            raise RestError(404, 20404, f"The requested resource Recording {sid} was not found")
        return Response(
            recording.audio,
            mimetype="audio/x-wav",
            headers={"X-Recording-Text": quote(recording.text)},
        )

    # -- control endpoints ---------------------------------------------------------------

    def _on_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
            return _json({"faults": []})
        if request.method == "POST":
            spec = request.get_json(silent=True)
            if not isinstance(spec, dict) or "path" not in spec:
                raise RestError(400, 20001, 'a fault needs at least {"path": regex}')
            options = {key: spec[key] for key in _FAULT_OPTIONS if key in spec}
            try:
                fault = self.faults.add(spec["path"], **options)
            except (TypeError, ValueError) as error:
                raise RestError(400, 20001, f"invalid fault: {error}") from None
            return _json(fault.to_json(), 201)
        return _json({"faults": [fault.to_json() for fault in self.faults.active()]})

    def _on_requests(self, request: Request) -> Response:
        return _json(
            {
                "requests": [
                    {
                        "method": r.method,
                        "path": r.path,
                        "query": r.query,
                        "form": r.form,
                        "status": r.status,
                        "fault": r.fault,
                        "at": r.at.isoformat(),
                    }
                    for r in self.requests
                ]
            }
        )

    def _on_inbox(self, request: Request, number: str) -> Response:
        inbox = self.network.messages.inbox(number)
        return _json({"messages": [self._message_json(m) for m in inbox]})

    def _on_sms(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not {"from", "to", "body"} <= data.keys():
            raise RestError(400, 20001, 'send {"from": ..., "to": ..., "body": ...}')
        exchange = self.network.send_sms(data["from"], data["to"], data["body"])
        return _json(
            {
                "inbound": self._message_json(exchange.inbound),
                "replies": [self._message_json(m) for m in exchange.replies],
                "errors": [{"code": e.code, "message": e.message} for e in exchange.errors],
            }
        )

    # -- helpers -------------------------------------------------------------------------

    def _account_uri(self) -> str:
        return f"{API}/Accounts/{self.network.config.account_sid}"

    def _page(self, request: Request, key: str, records: list[dict[str, Any]]) -> Response:
        """One page of ``records`` as Twilio pages lists: ``PageSize`` (1 … 1000, default 50)
        records from page ``Page`` (from 0), with ``next_page_uri`` while more are left."""
        try:
            size = int(request.args.get("PageSize", DEFAULT_PAGE_SIZE))
            number = int(request.args.get("Page", 0))
        except ValueError:
            raise RestError(400, 20001, "PageSize and Page must be integers") from None
        if not 1 <= size <= MAX_PAGE_SIZE or number < 0:
            raise RestError(400, 20001, f"PageSize must be 1 to {MAX_PAGE_SIZE} and Page 0 or more")
        start = number * size
        shown = records[start : start + size]
        filters = [(k, v) for k, v in request.args.items(multi=True) if k not in _PAGING_PARAMETERS]

        def page_uri(page: int) -> str:
            query = urlencode([*filters, ("PageSize", str(size)), ("Page", str(page))])
            return f"{request.path}?{query}"

        return _json(
            {
                key: shown,
                "end": start + max(len(shown) - 1, 0),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(number + 1) if start + size < len(records) else None,
                "page": number,
                "page_size": size,
                "previous_page_uri": page_uri(number - 1) if number > 0 else None,
                "start": start,
                "uri": page_uri(number),
            }
        )


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_PAGING_PARAMETERS = frozenset({"Page", "PageSize", "PageToken"})
_FAULT_OPTIONS = ("status", "count", "retry_after", "delay", "method", "code", "message")


def _is_phone_number(to: str) -> bool:
    """Whether a call's ``To`` is a phone number (not ``client:``, ``sip:`` or a party's
    name): then its ``From`` must be one of the account's numbers too."""
    return to.lstrip("+").isdigit()


def _date(value: dt.datetime | None) -> str | None:
    return None if value is None else email.utils.format_datetime(value)


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _error_response(status: int, code: int, message: str) -> Response:
    return _json(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status,
    )


def _fault_response(fault: Fault) -> Response:
    assert fault.status is not None
    response = _error_response(fault.status, fault.error_code, fault.error_message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
    return response
