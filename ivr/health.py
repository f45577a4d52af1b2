"""``GET /healthz``: 200 when the app and its database answer."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ivr.services import current_core

health = Blueprint("health", __name__)
logger = logging.getLogger("ivr.health")


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        with current_core().db.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        logger.error("health.database_down", extra={"error": str(error)[:200]})
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
