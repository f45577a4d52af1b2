"""The Flask application factory: configuration, the services the composition root builds,
blueprints. Nothing else."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from complaints.recordings import recordings
from expert_desk import phone
from expert_desk.console import desk_console, init_console
from expert_desk.reports import DeskCollector
from expert_desk.webhooks import desk_voice
from hotline import container, metrics
from hotline.settings import load_settings
from ivr import logs
from ivr.clock import Clock
from ivr.health import health
from ivr.params import BadWebhook
from ivr.services import EXTENSION
from ivr.webhooks import bad_webhook, voice
from prompts.audio import audio_blueprint
from sms_followup.trail_page import usage_trail
from sms_followup.webhooks import sms

MAX_REQUEST_BYTES = 64 * 1024


def create_app(test_config: Mapping[str, Any] | None = None, clock: Clock | None = None) -> Flask:
    """Build the app from the environment; *test_config* overrides settings by field name,
    *clock* replaces the wall clock."""
    settings = load_settings()
    if test_config:
        settings = settings.with_overrides(test_config)
    logs.configure()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    hotline = container.build(settings, clock)
    phone.check_agents_can_ring(hotline.sessions, settings)
    app.extensions[EXTENSION] = hotline
    app.register_error_handler(BadWebhook, bad_webhook)
    app.register_blueprint(voice)
    app.register_blueprint(health)
    app.register_blueprint(recordings)
    app.register_blueprint(sms)
    app.register_blueprint(usage_trail)
    app.register_blueprint(desk_voice)
    app.register_blueprint(desk_console)
    init_console(app, settings)
    desk_metrics = DeskCollector(hotline.sessions, settings.desk_service_level_s, hotline.clock)
    metrics.install(app, hotline.sessions, desk_metrics)
    if hotline.audio is not None:
        app.register_blueprint(audio_blueprint(hotline.audio))
    if not settings.validate_signatures:
        logging.getLogger("ivr").warning(
            "webhook.signatures_not_checked", extra={"hint": "local experiments only"}
        )
    return app
