"""The desk's voice webhooks (``/voice/desk/...``): the topic answer, the recorded question,
the wait music and its callback key, leaving the line, connecting to the expert, callbacks.
Every request must be signed by Twilio; each view validates and calls one method."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, request

from expert_desk import desk as desk_module
from expert_desk import urls
from expert_desk.calls import DeskCalls
from ivr import params
from ivr.engine import Answer
from ivr.reply import Reply
from ivr.security import twilio_signed
from ivr.services import current_core
from ivr.webhooks import acknowledge, respond
from prompts.catalog import LANGUAGES

logger = logging.getLogger("expert_desk.webhooks")
desk_voice = Blueprint("desk_voice", __name__, url_prefix=urls.PREFIX)
desk_voice.record_once(params.use_id_converter)  # <id:...>: 1 … 2³¹−1, else 400


def _calls() -> DeskCalls:
    return DeskCalls(current_core(), desk_module.current_desk())


@desk_voice.post("/topic")
@twilio_signed
def topic() -> Response:
    call, digits = params.call_params(request.form), params.digits(request.form)
    said, confidence = params.speech(request.form)
    return _twiml(lambda: _calls().topic(call, digits, said, confidence))


@desk_voice.post("/question")
@twilio_signed
def question() -> Response:
    call = params.call_params(request.form)
    url = request.form.get("RecordingUrl", "")[:500]
    seconds = params.integer(request.form, "RecordingDuration", 0)
    return _twiml(lambda: _calls().question(call, url, seconds))


@desk_voice.post("/wait")
@twilio_signed
def wait() -> Response:
    call = params.call_params(request.form)
    return _twiml(lambda: _calls().wait(call), holding=True)


@desk_voice.post("/wait/key")
@twilio_signed
def wait_key() -> Response:
    call, digits = params.call_params(request.form), params.digits(request.form)
    return _twiml(lambda: _calls().wait_key(call, digits), holding=True)


@desk_voice.post("/done")
@twilio_signed
def done() -> Response:
    call = params.call_params(request.form)
    result = params.queue_result(request.form)
    return _twiml(lambda: _calls().done(call, result))


@desk_voice.post("/connect/<id:desk_call_id>")
@twilio_signed
def connect(desk_call_id: int) -> Response:
    call = params.call_params(request.form)
    return _twiml(lambda: _calls().connect(call, desk_call_id, callback=False))


@desk_voice.post("/callback/<id:desk_call_id>/answer")
@twilio_signed
def callback_answer(desk_call_id: int) -> Response:
    call = params.call_params(request.form)
    return _twiml(lambda: _calls().connect(call, desk_call_id, callback=True))


@desk_voice.post("/dialed/<id:desk_call_id>")
@twilio_signed
def dialed(desk_call_id: int) -> Response:
    params.call_params(request.form)
    status = request.form.get("DialCallStatus", "")[:16]
    talk_s = params.integer(request.form, "DialCallDuration", 0)
    return _twiml(lambda: _calls().dialed(desk_call_id, status, talk_s))


@desk_voice.post("/callback/<id:desk_call_id>/status")
@twilio_signed
def callback_status(desk_call_id: int) -> Response:
    params.call_params(request.form)
    call_status = request.form.get("CallStatus", "")[:16]
    return acknowledge(lambda: _calls().callback_status(desk_call_id, call_status))


def _twiml(step: Callable[[], Answer], *, holding: bool = False) -> Response:
    """Whatever goes wrong, the caller hears no application error: in the wait music they
    hold on; elsewhere they hear an apology and go to a general agent."""
    if holding:
        return respond(step, lambda: Answer(Reply((), _calls().hold()), LANGUAGES[0]))
    return respond(step)
