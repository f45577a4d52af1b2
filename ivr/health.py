"""``GET /healthz``: 200 when the app and its database answer (``degraded``, naming what,
when a feature's own check finds something wrong), 503 when the database does not."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ivr.services import current_core

health = Blueprint("health", __name__)
logger = logging.getLogger("ivr.health")

MIGRATION_VERSION = sa.text("SELECT version_num FROM alembic_version")
"""A real table: an empty database (created by mistake, or migrated by no one) has none."""


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    core = current_core()
    try:
        with core.db.connect() as conn:
            version = conn.execute(MIGRATION_VERSION).scalar()
    except sa.exc.SQLAlchemyError as error:
        logger.error("health.database_down", extra={"error": str(error)[:200]})
        return jsonify(status="unavailable", database="down"), 503
    if version is None:
        logger.error("health.database_down", extra={"error": "no migration applied"})
        return jsonify(status="unavailable", database="down"), 503
    with core.sessions() as session:
        problems = {
            name: problem
            for name, check in core.health_checks.items()
            if (problem := check(session))
        }
    if problems:
        logger.warning("health.degraded", extra=problems)
        return jsonify(status="degraded", database="up", **problems)
    return jsonify(status="ok", database="up")
