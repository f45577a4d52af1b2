"""`ivr serve --prod`: the app under gunicorn, several worker processes, config checked first."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from hotline.settings import load_settings
from hotline.web import create_app

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


class GunicornServer(BaseApplication):
    """Gunicorn with our settings file, serving :func:`app.create_app`."""

    def __init__(self, bind: str, workers: int | None, config_file: Path | None) -> None:
        self._bind, self._workers, self._config_file = bind, workers, config_file
        super().__init__()

    def load_config(self) -> None:
        if self._config_file and self._config_file.exists():
            for name, value in runpy.run_path(str(self._config_file)).items():
                if name in self.cfg.settings and value is not None:
                    self.cfg.set(name, value)
        self.cfg.set("bind", [self._bind])
        if self._workers:
            self.cfg.set("workers", self._workers)

    def load(self) -> Any:
        return create_app()


def serve(host: str, port: int, workers: int | None) -> None:
    """Check the configuration here (a fatal error stops before any worker forks), then run."""
    load_settings()
    GunicornServer(f"{host}:{port}", workers, DEFAULT_CONFIG).run()
