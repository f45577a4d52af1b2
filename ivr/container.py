"""The composition root: builds the database, engine, renderer and SMS sender once per app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

import flows
from ivr.config import Settings
from ivr.db import make_engine, make_session_factory
from ivr.engine import Engine
from ivr.twiml import Renderer
from prompts.audio import PromptAudio
from sms_followup.senders import Sender, build_sender


@dataclass
class Hotline:
    """Everything a request or a worker needs, built from the settings in one place."""

    settings: Settings
    db: sa.Engine
    sessions: sessionmaker[Session]
    engine: Engine
    renderer: Renderer
    sender: Sender
    audio: PromptAudio | None


def build(settings: Settings) -> Hotline:
    db = make_engine(settings.database_url)
    sessions = make_session_factory(db)
    audio = _prompt_audio(settings)
    return Hotline(
        settings=settings,
        db=db,
        sessions=sessions,
        engine=Engine(flows.states(), flows.ENTRIES, settings, sessions),
        renderer=Renderer(settings, audio),
        sender=build_sender(settings, sessions),
        audio=audio,
    )


def current_hotline() -> Hotline:
    """The hotline of the app serving this request."""
    hotline: Hotline = current_app.extensions["hotline"]
    return hotline


def _prompt_audio(settings: Settings) -> PromptAudio | None:
    return PromptAudio(Path(settings.prompt_audio_dir)) if settings.prompt_audio else None
