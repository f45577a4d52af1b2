"""The ceiling: a bare Flask handler returning fixed TwiML, under the same gunicorn settings."""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" '
    'action="/voice/step"><Say language="cmn-CN">您的账户余额为一百二十三元四角五分。</Say>'
    "</Gather></Response>"
)


@app.post("/voice/incoming")
def incoming() -> Response:
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok")
