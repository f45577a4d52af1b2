"""The floor: the least any webhook that keeps its call in the database has to do.

Same fixed TwiML as :mod:`bench.bare_app`, after checking the Twilio signature and
committing one row for the call with SQLAlchemy Core. A design that answers before the
call is durably recorded could beat this; one that meets the hotline's rule (a crash
never loses a call record) cannot, whatever its flows and however few its statements.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from bench.bare_app import TWIML
from ivr.clock import SystemClock
from ivr.config import LOCAL_AUTH_TOKEN
from ivr.db import make_engine
from ivr.security import public_url

CALLS = sa.Table(
    "bench_floor_calls",
    sa.MetaData(),
    sa.Column("call_sid", sa.String(64), primary_key=True),
    sa.Column("from_number", sa.String(32)),
    sa.Column("started_at", sa.DateTime),
)


def create_app() -> Flask:
    """The floor app on ``DATABASE_URL`` (with ``bench_floor_calls`` already created)."""
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"], SystemClock())
    validator = RequestValidator(LOCAL_AUTH_TOKEN)
    base_url = os.environ["PUBLIC_BASE_URL"]

    @app.post("/voice/incoming")
    def incoming() -> Response:
        url = public_url(base_url, request.full_path)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(url, request.form.to_dict(flat=True), signature):
            return Response("invalid signature\n", 403, mimetype="text/plain")
        with engine.begin() as conn:
            conn.execute(
                CALLS.insert(),
                {
                    "call_sid": request.form["CallSid"],
                    "from_number": request.form["From"],
                    "started_at": SystemClock().now(),
                },
            )
        return Response(TWIML, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok")

    return app
