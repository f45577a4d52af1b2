"""Webhook security: every Twilio request must carry a valid ``X-Twilio-Signature``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

from flask import Response, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr import params
from ivr.logs import clip, log_event
from ivr.services import current_core

logger = logging.getLogger("ivr.security")
P = ParamSpec("P")
R = TypeVar("R")


def public_url(base_url: str, full_path: str) -> str:
    """The URL Twilio requested: the configured public base plus this request's path and query.

    Behind a proxy the Host header is not the public one; the signature covers the public URL.
    """
    base = urlsplit(base_url)
    path, _, query = full_path.partition("?")
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + path, query, ""))


def twilio_signed(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Refuse (403) any request whose Twilio signature is missing or wrong, then (400) any
    request naming a parameter twice: Twilio never does, and the app reads only the first
    value; and (400, :class:`ivr.params.BadWebhook`) any integer Twilio sends out of its
    bounds. The signature is checked over every value sent, as Twilio computes it."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        settings = current_core().settings
        if settings.validate_signatures:
            url = public_url(settings.public_base_url, request.full_path)
            signature = request.headers.get("X-Twilio-Signature", "")
            if not RequestValidator(settings.twilio_auth_token).validate(
                url, request.form, signature
            ):
                log_event(
                    logger,
                    "webhook.signature_rejected",
                    logging.WARNING,
                    path=request.path,
                    call_sid=request.form.get("CallSid"),
                    message_sid=request.form.get("MessageSid"),
                    signature_present=bool(signature),
                    remote=request.remote_addr,
                )
                return Response(
                    "invalid or missing X-Twilio-Signature\n", 403, mimetype="text/plain"
                )
        repeated = repeated_names(request.form)
        if repeated:
            log_event(
                logger,
                "webhook.repeated_parameter",
                logging.WARNING,
                path=request.path,
                names=repeated,
                call_sid=request.form.get("CallSid"),
                message_sid=request.form.get("MessageSid"),
            )
            return Response(
                f"bad webhook request: {', '.join(repeated)} sent more than once\n",
                400,
                mimetype="text/plain",
            )
        params.integers_in_bounds(request.form)
        return view(*args, **kwargs)

    return checked


def repeated_names(form: MultiDict[str, str]) -> list[str]:
    """The parameter names *form* carries more than once (at most 10, each clipped)."""
    names = [clip(name, 64) for name, values in form.lists() if len(values) > 1]
    return names[:10]
