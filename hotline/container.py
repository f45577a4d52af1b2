"""The composition root: builds the database, engine, renderer and SMS sender once per app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

import flows
from ivr.clock import Clock, SystemClock
from ivr.config import ConfigError, Settings, load_settings
from ivr.db import make_engine, make_session_factory
from ivr.engine import Engine
from ivr.twiml import Renderer
from prompts.audio import PromptAudio
from sms_followup.senders import Sender, build_sender


@dataclass
class Hotline:
    """Everything a request or a worker needs, built from the settings in one place."""

    settings: Settings
    clock: Clock
    db: sa.Engine
    sessions: sessionmaker[Session]
    engine: Engine
    renderer: Renderer
    sender: Sender
    audio: PromptAudio | None


def build(settings: Settings, clock: Clock | None = None) -> Hotline:
    """The hotline on *clock* (the wall clock unless a test or a replay hands in another)."""
    clock = clock or SystemClock()
    db = make_engine(settings.database_url, clock)
    sessions = make_session_factory(db)
    audio = _prompt_audio(settings)
    return Hotline(
        settings=settings,
        clock=clock,
        db=db,
        sessions=sessions,
        engine=Engine(flows.states(), flows.ENTRIES, settings, sessions, clock),
        renderer=Renderer(settings, audio),
        sender=build_sender(settings, sessions, clock),
        audio=audio,
    )


def command_hotline() -> Hotline:
    """The hotline of the running ``ivr`` command: the one handed in as click's ``obj`` (as
    tests do, with their clock and database), else built once from the environment."""
    root = click.get_current_context().find_root()
    if root.obj is None:
        try:
            root.obj = build(load_settings())
        except ConfigError as error:
            raise click.ClickException(f"configuration: {error}") from error
    hotline: Hotline = root.obj
    return hotline


def current_hotline() -> Hotline:
    """The hotline of the app serving this request."""
    hotline: Hotline = current_app.extensions["hotline"]
    return hotline


def _prompt_audio(settings: Settings) -> PromptAudio | None:
    return PromptAudio(Path(settings.prompt_audio_dir)) if settings.prompt_audio else None
