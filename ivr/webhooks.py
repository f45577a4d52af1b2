"""Voice webhooks: validate, load the call, take one flow step, answer TwiML.

Whatever goes wrong inside a step, the caller hears an apology and is put through to an
agent; a request that cannot be Twilio's gets a 400 and a log line. Never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, request

from ivr import params
from ivr.container import current_hotline
from ivr.engine import Answer, Engine
from ivr.logs import log_event
from ivr.reply import Line, Reply, ToQueue
from ivr.security import twilio_signed
from prompts.catalog import LANGUAGES

logger = logging.getLogger("ivr.webhooks")
voice = Blueprint("voice", __name__, url_prefix="/voice")

TWIML = "text/xml; charset=utf-8"


@voice.errorhandler(params.BadWebhook)
def bad_webhook(error: params.BadWebhook) -> Response:
    log_event(
        logger,
        "webhook.rejected",
        logging.WARNING,
        path=request.path,
        reason=str(error),
        call_sid=request.form.get("CallSid", "")[:64] or None,
    )
    return Response(f"bad webhook request: {error}\n", 400, mimetype="text/plain")


@voice.post("/incoming")
@twilio_signed
def incoming() -> Response:
    call = params.call_params(request.form)
    return _twiml(lambda engine: engine.incoming(call))


@voice.post("/step")
@twilio_signed
def step() -> Response:
    call = params.call_params(request.form)
    digits = params.digits(request.form)
    said, confidence = params.speech(request.form)
    return _twiml(lambda engine: engine.step(call, digits, said, confidence))


@voice.post("/no-input")
@twilio_signed
def no_input() -> Response:
    call = params.call_params(request.form)
    return _twiml(lambda engine: engine.no_input(call))


@voice.post("/queue/wait")
@twilio_signed
def queue_wait() -> Response:
    call = params.call_params(request.form)
    position = params.integer(request.form, "QueuePosition", 1)
    return _twiml(lambda engine: engine.queue_wait(call, position))


@voice.post("/queue/done")
@twilio_signed
def queue_done() -> Response:
    call = params.call_params(request.form)
    result = request.form.get("QueueResult", "")[:32]
    return _twiml(lambda engine: engine.queue_done(call, result))


@voice.post("/status")
@twilio_signed
def status() -> Response:
    call_sid = params.call_params(request.form).call_sid
    call_status = request.form.get("CallStatus", "")[:16]
    duration = (
        params.integer(request.form, "CallDuration", 0) if "CallDuration" in request.form else None
    )
    current_hotline().engine.status(call_sid, call_status, duration)
    return Response("<Response/>", mimetype=TWIML)


def _twiml(step: Callable[[Engine], Answer]) -> Response:
    hotline = current_hotline()
    try:
        answer = step(hotline.engine)
    except Exception:
        logger.exception(
            "call.step_failed",
            extra={"call_sid": request.form.get("CallSid"), "path": request.path},
        )
        apology = tuple(Line("error.technical", language=lang) for lang in LANGUAGES)
        answer = Answer(Reply(apology, ToQueue(hotline.settings.general_queue)), LANGUAGES[0])
    return Response(hotline.renderer.render(answer.reply, answer.language), mimetype=TWIML)
