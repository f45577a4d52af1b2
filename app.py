"""The Flask application: ``create_app`` is what Flask (``flask --app app``), gunicorn
(``app:create_app()``) and the tests load. The factory is ``hotline.web.create_app``: the
composition root builds the services and hands them to the app."""

from __future__ import annotations

from hotline.web import create_app

__all__ = ["create_app"]
