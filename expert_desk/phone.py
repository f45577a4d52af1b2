"""The agents' browser phone: Twilio's Voice JS SDK in the console, registered under an
identity derived from the agent's id, with short-lived access tokens the console asks for.

An agent with a phone number (``ivr agents add --phone +86...``) takes calls on it
(``<Dial><Number>``); every other agent's calls ring the console (``<Dial><Client>``), which
can ring only once the browser phone is set up: an API key to sign the tokens and a TwiML App
for their grant (``TWILIO_API_KEY``, ``TWILIO_API_SECRET``, ``TWILIO_TWIML_APP_SID``;
docs/operations.md). On a Twilio account, the service refuses to start, and ``ivr agents
add`` refuses to create such an agent, while it is not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from expert_desk.models import DeskAgent
from expert_desk.settings import DeskSettings
from ivr.config import ConfigError

SDK_BUNDLE = "twilio-voice-sdk-2.18.5.min.js"
"""The Voice JS SDK's browser bundle in ``static/``, vendored (``static/VENDORED.md``)."""
NUMBER = re.compile(r"\+?[0-9]{5,20}")
"""A phone number an agent's calls may ring instead of the browser."""
NOT_SET_UP = (
    "the browser phone is not set up: set TWILIO_API_KEY, TWILIO_API_SECRET and "
    "TWILIO_TWIML_APP_SID (docs/operations.md, 'The agents' browser phone')"
)


def identity(agent_id: int) -> str:
    """The browser phone's client identity of agent *agent_id*: letters, digits and ``_``
    only, as Twilio's mobile SDKs require too, and one per agent (a username made safe
    could not be: ``li.na`` and ``li_na`` would meet)."""
    return f"agent_{agent_id}"


def rings_browser(agent: DeskAgent) -> bool:
    """Whether the agent's calls ring the console: they have no phone number. Agents
    created before the browser phone have ``client:<username>`` there, which means the same."""
    return not NUMBER.fullmatch(agent.phone)


def ring_target(agent: DeskAgent) -> str:
    """What an accepted call dials: the agent's number, or ``client:`` their identity."""
    return f"client:{identity(agent.id)}" if rings_browser(agent) else agent.phone


def can_ring(settings: DeskSettings) -> bool:
    """Whether a browser phone can ring: it is set up, or the phone network is the local
    simulator, which answers for an agent its own way (``ivr call --client``)."""
    return settings.browser_phone or not settings.on_twilio


def check_agents_can_ring(sessions: sessionmaker[Session], settings: DeskSettings) -> None:
    """At start: refuse a Twilio account whose agents take calls in a browser phone that is
    not set up (every call accepted would ring nobody), naming them and what to set. A
    database not migrated yet has no agents."""
    if can_ring(settings):
        return
    with sessions() as session:
        if not sa.inspect(session.connection()).has_table(DeskAgent.__tablename__):
            return
        rows = session.execute(
            sa.select(DeskAgent.username, DeskAgent.phone)
            .where(DeskAgent.active)
            .order_by(DeskAgent.username)
        ).tuples()
        agents = [name for name, phone in rows if not NUMBER.fullmatch(phone)]
    if agents:
        shown = ", ".join(agents[:5]) + (f" and {len(agents) - 5} more" if len(agents) > 5 else "")
        raise ConfigError(f"agents {shown} take calls in the console, but {NOT_SET_UP}")


@dataclass(frozen=True)
class PhoneToken:
    """An access token for the agent's browser phone, and what the console needs with it."""

    jwt: str
    identity: str
    ttl_s: int


def access_token(settings: DeskSettings, agent_id: int, now: dt.datetime) -> PhoneToken:
    """A token signed with the API key that lets the agent's browser phone register as
    their identity and take incoming calls (``VoiceGrant``, incoming allowed), and place
    calls through the TwiML App. Valid from *now* (naive UTC) for
    ``DESK_PHONE_TOKEN_TTL_S``; the console fetches a new one before it expires."""
    start = int(now.replace(tzinfo=dt.UTC).timestamp())
    who = identity(agent_id)
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key,
        settings.twilio_api_secret,
        identity=who,
        nbf=start,
        valid_until=start + settings.desk_phone_token_ttl_s,
    )
    token.add_grant(
        VoiceGrant(incoming_allow=True, outgoing_application_sid=settings.twilio_twiml_app_sid)
    )
    return PhoneToken(token.to_jwt(), who, settings.desk_phone_token_ttl_s)
