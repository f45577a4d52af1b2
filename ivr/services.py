"""The engine's services as the composition root hands them in: one :class:`Core` per app
(Flask keeps it in ``app.extensions``) or per ``ivr`` command (click keeps it as ``obj``).

Packages above the engine reach what they need through it: the engine's own parts as
attributes, their own services by type (:meth:`Core.feature`), never by building them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from ivr.clock import Clock
from ivr.config import Settings
from ivr.engine import Engine
from ivr.twiml import Renderer

EXTENSION = "hotline"
"""Where the app keeps its :class:`Core`."""

ASSEMBLE = "ivr.assemble"
"""Where the ``ivr`` command keeps the function that assembles the service (click's meta)."""

T = TypeVar("T")

HealthCheck = Callable[[Session], str | None]


@dataclass
class Core:
    """The settings, clock, database, call engine and renderer, and the features' services."""

    settings: Settings
    clock: Clock
    db: sa.Engine
    sessions: sessionmaker[Session]
    engine: Engine
    renderer: Renderer
    features: dict[type, object] = field(default_factory=dict)
    #: What ``/healthz`` reports besides the database, by name: each says what is wrong, or
    #: None (a feature's own state, such as SMS sending paused by refused credentials).
    health_checks: Mapping[str, HealthCheck] = field(default_factory=dict)

    def feature(self, kind: type[T]) -> T:
        """The service of type *kind* the composition root registered (the desk, ...)."""
        service = self.features[kind]
        assert isinstance(service, kind)
        return service


def current_core() -> Core:
    """The services of the app serving this request."""
    core: Core = current_app.extensions[EXTENSION]
    return core


def command_core() -> Core:
    """The services of the running ``ivr`` command: the ones handed in as click's ``obj``
    (tests hand in theirs), else assembled once, on first use, by the function the root
    command left in click's meta (commands that need no service assemble nothing)."""
    root = click.get_current_context().find_root()
    if root.obj is None:
        assemble: Callable[[], Core] = root.meta[ASSEMBLE]
        root.obj = assemble()
    core: Core = root.obj
    return core
