"""Fuzzing every webhook and console route described in openapi/webhooks.yaml.

The description and the app's routes must match, and its integer bounds those the app
checks (ivr.params); then, for every operation: an unsigned webhook is always refused (the
signature is checked first; an id out of range in the path is refused while routing), a
signed one carrying arbitrary parameters gets an answer, never a 500, and any id or integer
outside its described bounds gets a 400. The console's routes get the same with a
supervisor signed in.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expert_desk.demo import DEMO_PASSWORD
from ivr import params
from tests.support.caller import TwilioClient
from tests.support.desk import OPEN_ALL_DAY
from tests.support.paths import ROOT

SPEC = ROOT / "openapi" / "webhooks.yaml"
EXTRA_NAMES = ["Digits", "SpeechResult", "Body", "CallDuration", "QueuePosition", "Junk"]
FORM = "application/x-www-form-urlencoded"


@cache
def spec() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each form field's schema, through $ref and allOf."""
    schema = _resolve(schema)
    fields = {name: _resolve(field) for name, field in schema.get("properties", {}).items()}
    for part in schema.get("allOf", []):
        fields |= _fields(part)
    return fields


class Operation:
    """One described operation: its method, path template, path and query parameters and
    form fields, each with its schema."""

    def __init__(self, method: str, path: str, item: dict[str, Any]) -> None:
        self.method, self.path, self.item = method, path, item
        found = [_resolve(p) for p in item.get("parameters", [])]
        self.path_params = {p["name"]: _resolve(p["schema"]) for p in found if p["in"] == "path"}
        self.query_params = {p["name"]: _resolve(p["schema"]) for p in found if p["in"] == "query"}
        body = item.get("requestBody", {}).get("content", {}).get(FORM)
        self.fields = _fields(body["schema"]) if body else {}
        self.console = "console" in item.get("tags", [])

    def __repr__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations() -> list[Operation]:
    return [
        Operation(method, path, item)
        for path, methods in spec()["paths"].items()
        for method, item in methods.items()
    ]


OPERATIONS = operations()
WEBHOOKS = [op for op in OPERATIONS if not op.console]
CONSOLE = [op for op in OPERATIONS if op.console and not op.item.get("x-ends-session")]


def _rules(app: Flask, prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    return {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefixes) and rule.endpoint != "desk_console.static"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_the_description_lists_exactly_the_apps_webhooks_and_console_routes(app: Flask) -> None:
    described = {(op.method, op.path) for op in OPERATIONS}
    assert _rules(app, ("/voice/", "/sms/")) == {op for op in described if op[1][:6] != "/desk/"}
    assert _rules(app, ("/desk/",)) == {op for op in described if op[1][:6] == "/desk/"}
    assert all(op.method == "post" for op in WEBHOOKS)


def test_every_id_in_a_path_is_checked_as_the_description_bounds_it(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert "<int:" not in rule.rule, f"{rule.rule}: ids are <id:...>"
    for op in OPERATIONS:
        for schema in op.path_params.values():
            if schema.get("type") == "integer":
                assert (schema["minimum"], schema["maximum"]) == (params.MIN_ID, params.MAX_ID)


def test_the_integer_bounds_described_are_those_the_app_checks() -> None:
    described = {
        name: (field["minimum"], field["maximum"])
        for op in WEBHOOKS
        for name, field in op.fields.items()
        if field.get("type") == "integer"
    }
    assert described == params.INTEGER_BOUNDS


# -- what is sent ------------------------------------------------------------------------------

values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789*#+", max_size=30),
    st.sampled_from(["CA" + "0" * 32, "SM" + "0" * 32, "+8613800138000", "1001011", "10010"]),
    st.sampled_from(["+862131001011", "sip:1001011@x.sip.twilio.com;transport=tls", "sip:@"]),
    st.sampled_from(["completed", "in-progress", "bridged", "delivered", "-1", "1e309", "NaN"]),
    st.text(min_size=2000, max_size=4000),
)
HUGE = 10**25
VALID = {
    "CallSid": "CA" + "0" * 32,
    "From": "+8613800138000",
    "To": "10010",
    "CallStatus": "in-progress",
    "MessageSid": "SM" + "0" * 32,
    "MessageStatus": "delivered",
}
"""A form Twilio could send to any webhook, so that garbage reaches past the first check."""


def integers(low: int, high: int) -> st.SearchStrategy[int]:
    """Inside, at and just outside *low* … *high*, zero, negative and huge."""
    return st.one_of(
        st.integers(low, min(high, low + 5)),
        st.sampled_from([low - 1, high + 1, 0, -1, -HUGE, HUGE, 2**31, 2**63, low, high]),
        st.integers(-HUGE, HUGE),
    )


def _in_bounds(value: int, schema: dict[str, Any]) -> bool:
    return schema.get("minimum", -HUGE) <= value <= schema.get("maximum", HUGE)


@st.composite
def numbers(draw: st.DrawFn, op: Operation, schemas: dict[str, dict[str, Any]]) -> Any:
    """A value for each integer in *schemas*, and whether all are within their bounds."""
    drawn = {}
    for name, schema in schemas.items():
        if schema.get("type") == "integer" and (name in op.path_params or draw(st.booleans())):
            drawn[name] = draw(integers(schema.get("minimum", 0), schema.get("maximum", HUGE)))
    return drawn, all(_in_bounds(v, schemas[n]) for n, v in drawn.items())


@st.composite
def requests(draw: st.DrawFn, ops: list[Operation]) -> tuple[Operation, str, dict[str, str], bool]:
    """(operation, path, form, whether every id and integer is within its bounds)."""
    op = draw(st.sampled_from(ops))
    ids, ids_ok = draw(numbers(op, op.path_params))
    path = re.sub(r"\{(\w+)\}", lambda m: _path_value(draw, op, m.group(1), ids), op.path)
    names = sorted(op.fields) + EXTRA_NAMES
    form = (VALID if draw(st.booleans()) else {}) | draw(
        st.dictionaries(st.sampled_from(names), values, max_size=12)
    )
    ints, ints_ok = draw(numbers(op, op.fields))
    form |= {name: str(value) for name, value in ints.items()}
    if op.query_params:
        query = draw(st.dictionaries(st.sampled_from(sorted(op.query_params)), dates(), max_size=2))
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return op, path, form, ids_ok and ints_ok


def _path_value(draw: st.DrawFn, op: Operation, name: str, ids: dict[str, int]) -> str:
    if name in ids:
        return str(ids[name])
    return draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz._-0123456789", min_size=1))


def dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates().map(dt_iso),
        st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "", "today", "2026-11-26"]),
        st.text(max_size=20).map(lambda t: re.sub(r"[&#%\s]", "", t)),
    )


def dt_iso(day: Any) -> str:
    return str(day.isoformat())


FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- webhooks ----------------------------------------------------------------------------------


@FUZZ
@given(request=requests(WEBHOOKS))
def test_unsigned_requests_are_refused_whatever_they_carry(
    twilio: TwilioClient, request: tuple[Operation, str, dict[str, str], bool]
) -> None:
    op, path, form, _ = request
    ids_ok = all(_in_bounds(int(n), op.path_params[k]) for k, n in _path_ids(op, path).items())
    expected = 403 if ids_ok else 400
    assert twilio.post(path, form, signed=False).status_code == expected, path


@FUZZ
@given(request=requests(WEBHOOKS))
def test_signed_garbage_gets_an_answer_never_a_500(
    twilio: TwilioClient, request: tuple[Operation, str, dict[str, str], bool]
) -> None:
    _, path, form, in_bounds = request
    response = twilio.post(path, form)
    assert response.status_code in (200, 204, 400, 404, 413), (path, response.status_code)
    if not in_bounds:
        assert response.status_code == 400, (path, form)


def _path_ids(op: Operation, path: str) -> dict[str, str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(op.path))
    found = re.fullmatch(pattern, path.partition("?")[0])
    assert found, (pattern, path)
    return {k: v for k, v in found.groupdict().items() if k in op.path_params}


# -- the console ---------------------------------------------------------------------------------


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


@pytest.fixture
def supervisor(client: FlaskClient) -> tuple[FlaskClient, str]:
    """A client signed in as the demo supervisor, and its CSRF token."""

    def token(path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True))
        assert found, path
        return found.group(1)

    login = {"username": "chen.jing", "password": DEMO_PASSWORD, "csrf_token": token("/desk/login")}
    assert client.post("/desk/login", data=login).status_code == 302
    return client, token("/desk/")


@settings(FUZZ, max_examples=160)
@given(request=requests(CONSOLE))
def test_console_garbage_gets_a_page_never_a_500(
    supervisor: tuple[FlaskClient, str], request: tuple[Operation, str, dict[str, str], bool]
) -> None:
    client, csrf = supervisor
    op, path, form, in_bounds = request
    if op.method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={**form, "csrf_token": csrf})
    assert response.status_code < 500, (path, response.status_code)
    if not in_bounds:
        assert response.status_code == 400, (path, form)
    if "report" in op.path:
        assert response.status_code == 200


@FUZZ
@given(digits=st.text(max_size=70), speech=st.text(max_size=600))
def test_any_keys_or_speech_in_a_live_call_get_spoken_answers(
    twilio: TwilioClient, digits: str, speech: str, caller_params: Any
) -> None:
    params = caller_params()
    response = twilio.post("/voice/step", {**params, "Digits": digits, "SpeechResult": speech})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        body = response.get_data(as_text=True)
        assert "<Say" in body or "<Play" in body or "<Enqueue" in body


@pytest.fixture
def caller_params(twilio: TwilioClient) -> Any:
    def make() -> dict[str, str]:
        params = {
            "CallSid": "CA" + secrets.token_hex(16),
            "From": "+8613800138000",
            "To": "10010",
            "CallStatus": "ringing",
        }
        assert twilio.post("/voice/incoming", params).status_code == 200
        return {**params, "CallStatus": "in-progress"}

    return make
