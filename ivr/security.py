"""Webhook security: every Twilio request must carry a valid ``X-Twilio-Signature``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

from flask import Response, request
from twilio.request_validator import RequestValidator

from ivr.logs import log_event
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
    """Refuse (403) any request whose Twilio signature is missing or wrong."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        settings = current_core().settings
        if settings.validate_signatures:
            url = public_url(settings.public_base_url, request.full_path)
            signature = request.headers.get("X-Twilio-Signature", "")
            params = request.form.to_dict(flat=True)
            if not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
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
        return view(*args, **kwargs)

    return checked
