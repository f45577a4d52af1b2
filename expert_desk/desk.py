"""The desk as one service: settings, database, the Twilio REST calls it makes, the recording
transcriber and the clock, all handed in by the composition root (``hotline.container``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from expert_desk import agents, progress, reconcile, routing
from expert_desk.errors import CallerGone, TelephonyFailed
from expert_desk.models import CALLBACK
from expert_desk.recordings import Transcriber
from expert_desk.settings import DeskSettings
from expert_desk.telephony import Telephony
from ivr.clock import Clock
from ivr.db import transaction
from ivr.services import current_core


@dataclass
class Desk:
    settings: DeskSettings
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


def current_desk() -> Desk:
    """The desk of the app serving this request (the composition root registered it)."""
    return current_core().feature(Desk)
