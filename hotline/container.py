"""The composition root: builds every service once, from the settings and a clock, and hands
each part what it needs. Nothing else in the service builds a service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

import flows
from expert_desk.desk import Desk
from expert_desk.recordings import transcriber
from expert_desk.telephony import Telephony
from hotline.settings import HotlineSettings, load_settings
from hotline.twilio_rest import build_client
from ivr.clock import Clock, SystemClock
from ivr.config import ConfigError
from ivr.db import make_engine, make_session_factory
from ivr.engine import Engine
from ivr.services import Core, command_core
from ivr.twiml import Renderer
from prompts.audio import PromptAudio
from sms_followup import call_summary, pause
from sms_followup.senders import Sender, build_sender
from speech.recognition import Recognizer, build_recognizer

DESK_REST_TIMEOUT_S = 10.0
"""How long the desk waits for Twilio to redirect or place a call."""


@dataclass(kw_only=True)
class Hotline(Core):
    """The engine's services, and the SMS sender, prompt audio, recognizer and desk."""

    sender: Sender
    audio: PromptAudio | None
    recognizer: Recognizer
    desk: Desk


def build(settings: HotlineSettings, clock: Clock | None = None) -> Hotline:
    """The hotline on *clock* (the wall clock unless a test or a replay hands in another).
    The settings are checked again: a test's overrides have not been yet."""
    settings.check()
    clock = clock or SystemClock()
    db = make_engine(settings.database_url, clock, lock_timeout_s=settings.db_lock_timeout_s)
    sessions = make_session_factory(db)
    audio = PromptAudio(Path(settings.prompt_audio_dir)) if settings.prompt_audio else None
    recognizer = build_recognizer(settings.speech_backend)
    # The client logs every request and response at INFO; our own events say what matters.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    desk = Desk(
        settings=settings,
        sessions=sessions,
        telephony=Telephony(
            twilio_client(settings, DESK_REST_TIMEOUT_S),
            settings.public_base_url,
            settings.caller_id(),
        ),
        transcribe=transcriber(recognizer),
        clock=clock,
    )
    return Hotline(
        settings=settings,
        clock=clock,
        db=db,
        sessions=sessions,
        engine=Engine(flows.call_flows(), settings, sessions, clock, call_summary.HOOKS),
        renderer=Renderer(settings, audio),
        features={Desk: desk},
        health_checks={"sms": pause.health},
        sender=sms_sender(settings, sessions, clock),
        audio=audio,
        recognizer=recognizer,
        desk=desk,
    )


def twilio_client(settings: HotlineSettings, timeout_s: float) -> Client:
    """The real Twilio REST client (pointed at ``TWILIO_API_BASE_URL`` when set: the local
    stand-in), its requests bounded by *timeout_s*."""
    return build_client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_base_url,
        timeout=timeout_s,
    )


def sms_sender(settings: HotlineSettings, sessions: sessionmaker[Session], clock: Clock) -> Sender:
    """The SMS sender ``SMS_SENDER`` names: the local handset table, or Twilio."""
    client = (
        None
        if settings.sms_sender == "local"
        else twilio_client(settings, settings.sms_send_timeout_s)
    )
    return build_sender(settings, sessions, clock, client)


def assemble_from_environment() -> Hotline:
    """The hotline of an ``ivr`` command, from the environment's settings."""
    try:
        return build(load_settings())
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from error


def command_hotline() -> Hotline:
    """The assembled hotline of the running ``ivr`` command."""
    core = command_core()
    assert isinstance(core, Hotline)
    return core
