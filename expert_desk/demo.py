"""Demo agents for `ivr seed-demo`: two experts and a supervisor, one shared demo password.

Demo only: never seed these on a production desk (their password is in the README).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from expert_desk.agents import create_agent
from expert_desk.models import DeskAgent

DEMO_PASSWORD = "desk-demo-10010"


@dataclass(frozen=True)
class DemoAgent:
    username: str
    display_name: str
    skills: dict[str, int]
    supervisor: bool = False


DEMO_AGENTS = (
    DemoAgent("li.na", "李娜 Li Na", {"ios": 3, "settings": 3, "apps": 2, "general": 1}),
    DemoAgent(
        "zhang.wei",
        "张伟 Zhang Wei",
        {"android": 3, "harmonyos": 3, "settings": 2, "apps": 2, "general": 1},
    ),
    DemoAgent("chen.jing", "陈静 Chen Jing", {"general": 2, "apps": 1}, supervisor=True),
)


@cache
def _demo_hash() -> str:
    """Hashed once per process: seeding stays fast (tests seed every database)."""
    return generate_password_hash(DEMO_PASSWORD)


def seed_agents(session: Session, now: dt.datetime) -> list[DemoAgent]:
    """Create the demo agents that do not exist yet (offline, their calls ringing the
    browser phone in the console)."""
    for demo in DEMO_AGENTS:
        if session.query(DeskAgent.id).filter_by(username=demo.username).first() is None:
            create_agent(
                session,
                demo.username,
                DEMO_PASSWORD,
                display_name=demo.display_name,
                skills=demo.skills,
                supervisor=demo.supervisor,
                now=now,
                password_hash=_demo_hash(),
            )
    return list(DEMO_AGENTS)
