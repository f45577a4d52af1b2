"""Voice webhooks: validate, load the call, take one flow step, answer TwiML.

Whatever goes wrong inside a step, the caller hears an apology and is put through to an
agent; a request that cannot be Twilio's gets a 400 and a log line. Never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, Response, request

from ivr import params
from ivr.engine import Answer, Engine
from ivr.logs import log_event
from ivr.reply import Line, Reply, ToQueue
from ivr.security import twilio_signed
from ivr.services import current_core
from prompts.catalog import LANGUAGES

logger = logging.getLogger("ivr.webhooks")
voice = Blueprint("voice", __name__, url_prefix="/voice")

TWIML = "text/xml"
"""The TwiML mimetype: Flask adds ``; charset=utf-8`` to a ``text/`` mimetype (naming the
charset here too would say it twice)."""

STATUS_RETRY_AFTER_S = 5
"""What a status callback that could not be recorded says to wait before trying again (HTTP's
Retry-After; Twilio retries at once, and only as the URL's connection overrides ask)."""


def bad_webhook(error: params.BadWebhook) -> Response:
    """Any webhook (voice, SMS, desk) that cannot be Twilio's: 400 saying why, and a log line."""
    log_event(
        logger,
        "webhook.rejected",
        logging.WARNING,
        path=request.path,
        reason=str(error),
        call_sid=request.form.get("CallSid", "")[:64] or None,
        message_sid=request.form.get("MessageSid", "")[:64] or None,
    )
    return Response(f"bad webhook request: {error}\n", 400, mimetype="text/plain")


@voice.post("/incoming")
@twilio_signed
def incoming() -> Response:
    call = params.call_params(request.form)
    return respond(lambda: _engine().incoming(call))


@voice.post("/step")
@twilio_signed
def step() -> Response:
    call = params.call_params(request.form)
    digits = params.digits(request.form)
    said, confidence = params.speech(request.form)
    return respond(lambda: _engine().step(call, digits, said, confidence))


@voice.post("/no-input")
@twilio_signed
def no_input() -> Response:
    call = params.call_params(request.form)
    return respond(lambda: _engine().no_input(call))


@voice.post("/queue/wait")
@twilio_signed
def queue_wait() -> Response:
    call = params.call_params(request.form)
    position = params.integer(request.form, "QueuePosition", 1)
    return respond(lambda: _engine().queue_wait(call, position))


@voice.post("/queue/done")
@twilio_signed
def queue_done() -> Response:
    call = params.call_params(request.form)
    result = params.queue_result(request.form)
    return respond(lambda: _engine().queue_done(call, result))


@voice.post("/status")
@twilio_signed
def status() -> Response:
    call_sid = params.call_params(request.form).call_sid
    call_status = request.form.get("CallStatus", "")[:16]
    duration = (
        params.integer(request.form, "CallDuration", 0) if "CallDuration" in request.form else None
    )
    return acknowledge(lambda: current_core().engine.status(call_sid, call_status, duration))


def acknowledge(apply: Callable[[], object], body: str = "<Response/>") -> Response:
    """A status callback's answer: empty TwiML (*body*) once *apply* has committed.

    If it could not (a locked or unreachable database, a failed step), nothing was kept:
    503 with ``Retry-After`` and a log line, never a 500. Twilio tries again only if the
    callback's URL asks for it (``rp=5xx``, :mod:`ivr.callbacks`), for 15 s at most; what
    is still lost then, the worker's status backstop reads back from the REST API.
    """
    try:
        apply()
    except Exception as error:
        logger.error(
            "webhook.status_not_committed",
            # A database that cannot answer is said in one line; anything else is a bug.
            exc_info=not isinstance(error, sa.exc.OperationalError),
            extra={
                "path": request.path,
                "error": str(error)[:200],
                "call_sid": request.form.get("CallSid", "")[:64],
                "message_sid": request.form.get("MessageSid", "")[:64],
            },
        )
        return Response(
            "status not recorded, try again\n",
            503,
            headers={"Retry-After": str(STATUS_RETRY_AFTER_S)},
            mimetype="text/plain",
        )
    return Response(body, mimetype=TWIML)


def apology() -> Answer:
    """What a failed step says: sorry, in both languages, and a general agent."""
    lines = tuple(Line("error.technical", language=lang) for lang in LANGUAGES)
    return Answer(Reply(lines, ToQueue(current_core().settings.general_queue)), LANGUAGES[0])


def respond(step: Callable[[], Answer], fallback: Callable[[], Answer] = apology) -> Response:
    """TwiML for *step*; if it raises, the error is logged and the caller hears *fallback*."""
    hotline = current_core()
    try:
        answer = step()
    except Exception:
        logger.exception(
            "call.step_failed",
            extra={"call_sid": request.form.get("CallSid"), "path": request.path},
        )
        answer = fallback()
    return Response(hotline.renderer.render(answer.reply, answer.language), mimetype=TWIML)


def _engine() -> Engine:
    return current_core().engine
