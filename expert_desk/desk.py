"""The desk's composition root: built once per app from the hotline (settings, database), with
the Twilio REST client, the recording transcriber and the clock handed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

from expert_desk import agents, policy, progress, reconcile, routing
from expert_desk.errors import CallerGone, TelephonyFailed
from expert_desk.models import CALLBACK
from expert_desk.recordings import Transcriber, speech_transcriber
from expert_desk.telephony import Telephony
from hotline.container import Hotline
from hotline.twilio_rest import build_client
from ivr.clock import Clock
from ivr.config import Settings
from ivr.db import transaction

EXTENSION = "expert_desk"
REST_TIMEOUT_S = 10.0


@dataclass
class Desk:
    settings: Settings
    sessions: sessionmaker[Session]
    telephony: Telephony
    transcribe: Transcriber
    clock: Clock

    def now(self) -> dt.datetime:
        return self.clock.now()

    def tick(self) -> routing.Tick:
        """One turn of the desk's clock (see :func:`routing.tick`)."""
        with transaction(self.sessions) as session:
            return routing.tick(session, self.settings, self.now())

    def sweep(self) -> reconcile.Sweep:
        return reconcile.sweep(self.sessions, self.settings, self.telephony.call_status, self.now())

    def accept(self, agent_id: int, offer_id: int) -> None:
        """The agent takes the offer: the waiting call is redirected to dial them (or the
        caller is called back). If Twilio refuses, the caller keeps their place (or, gone,
        has abandoned) and the error is raised for the console to show."""
        with transaction(self.sessions) as session:
            connect = agents.accept(session, agent_id, offer_id, self.now())
        try:
            if connect.mode == CALLBACK:
                sid = self.telephony.call_back(connect.number, connect.desk_call_id)
                with transaction(self.sessions) as session:
                    progress.callback_dialed(session, connect.desk_call_id, sid, self.now())
            else:
                self.telephony.redirect_to_agent(connect.call_sid, connect.desk_call_id)
        except (CallerGone, TelephonyFailed) as error:
            with transaction(self.sessions) as session:
                agents.connect_failed(
                    session,
                    connect.desk_call_id,
                    self.now(),
                    caller_gone=isinstance(error, CallerGone),
                    reason=error.code,
                )
            raise


def build(hotline: Hotline) -> Desk:
    settings = hotline.settings
    policy.check(settings)

    def client() -> Client:
        return build_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            timeout=REST_TIMEOUT_S,
        )

    return Desk(
        settings=settings,
        sessions=hotline.sessions,
        telephony=Telephony(client, settings.public_base_url, settings.desk_caller_id),
        transcribe=speech_transcriber(settings),
        clock=hotline.clock,
    )


def install(app: Flask) -> Desk:
    """The app's desk, built on first call (each of the desk's blueprints calls it)."""
    desk: Desk | None = app.extensions.get(EXTENSION)
    if desk is None:
        desk = app.extensions[EXTENSION] = build(app.extensions["hotline"])
    return desk


def current_desk() -> Desk:
    desk: Desk = current_app.extensions[EXTENSION]
    return desk
