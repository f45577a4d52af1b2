"""What the console pages show, read from the database into plain values for the templates.

Caller-supplied text (transcripts, SMS) is passed as it is: the templates' autoescaping is
what makes it harmless, everywhere it appears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from complaints import tickets
from expert_desk import agents, phone, queue, reports, topics
from expert_desk.models import (
    COMPLETED,
    CONNECTING,
    IN_LINE,
    TALKING,
    DeskAgent,
    DeskCall,
    DeskEvent,
)
from expert_desk.routing import day_start
from expert_desk.settings import DeskSettings
from expert_desk.steps import LINE_LABELS, QUERY_LABELS, caller_path
from ivr.clock import SERVICE_TZ, local_datetime
from ivr.models import CallEvent, Subscriber
from prompts.spoken import written_money

TOPIC_LABELS = {
    "settings": "Phone settings · 手机设置",
    "ios": "Apple iOS · 苹果",
    "android": "Android · 安卓",
    "harmonyos": "HarmonyOS · 鸿蒙",
    "apps": "Apps · 应用",
    "other": "Other · 其他",
    "general": "General agents · 人工服务",
}
STATE_LABELS = {
    "idle": "Idle",
    "offered": "Call offered",
    "on_call": "On a call",
    "wrap_up": "Wrap-up",
}


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    is_supervisor: bool
    status: str
    break_reason: str | None
    state: str
    state_since: dt.datetime
    wrap_up_left_s: int | None
    lapses_in_row: int
    skills: tuple[tuple[str, int], ...]
    answered_today: int = 0
    #: Their calls ring the browser phone in the console, not a number.
    rings_browser: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class PhonePanel:
    """The console's browser phone: the agent's identity, whether the phone is set up, and
    the stand-in for Twilio's signalling it talks to instead of Twilio's own (tests, local)."""

    identity: str
    ready: bool
    signalling_host: str


@dataclass(frozen=True)
class CallCard:
    id: int
    topic: str
    topic_label: str
    skill: str
    caller: str
    caller_masked: str
    language: str
    phone_model: str | None
    transcript: str | None
    transcript_source: str | None
    recording_s: int | None
    mode: str
    status: str
    position: int
    waited_s: int
    priority: int
    notes: str
    disposition: str | None
    sms_body: str | None
    #: The menus the caller went through in this call, and what they queried there.
    path: tuple[str, ...] = ()
    queried: tuple[str, ...] = ()
    known_caller: bool = False
    #: False for a line whose real-name registration is not complete (it hears so in calls).
    real_name_verified: bool = True
    #: The subscriber's balance (``CNY 123.45 in credit``, ``owes CNY 23.50``) and line status
    #: (``open``, ``suspended for arrears``), as the caller was told them; None if unknown.
    balance: str | None = None
    line: str | None = None


@dataclass(frozen=True)
class Offer:
    id: int
    seconds_left: int
    call: CallCard


@dataclass(frozen=True)
class AgentPage:
    agent: AgentView
    offer: Offer | None
    card: CallCard | None
    line: list[CallCard]
    recent: list[CallCard]

    @property
    def version(self) -> str:
        """Changes when the page's static part (the call card and its notes form) must."""
        return f"card-{self.card.id if self.card else 0}"


def agent_view(session: Session, agent: DeskAgent, now: dt.datetime) -> AgentView:
    left = None
    if agent.state == "wrap_up" and agent.wrap_up_until is not None:
        left = max(0, int((agent.wrap_up_until - now).total_seconds()))
    counted = dict(
        session.execute(
            sa.select(DeskEvent.kind, sa.func.count(DeskEvent.id))
            .where(
                DeskEvent.kind.in_(("answered", "answer_failed")),
                DeskEvent.agent_id == agent.id,
                DeskEvent.at >= day_start(now),
            )
            .group_by(DeskEvent.kind)
        )
        .tuples()
        .all()
    )
    # An accept Twilio refused (the caller kept their place) was never answered.
    answered = counted.get("answered", 0) - counted.get("answer_failed", 0)
    return AgentView(
        id=agent.id,
        username=agent.username,
        display_name=agent.display_name,
        is_supervisor=agent.is_supervisor,
        status=agent.status,
        break_reason=agent.break_reason,
        state=agent.state,
        state_since=agent.state_since,
        wrap_up_left_s=left,
        lapses_in_row=agent.lapses_in_row,
        skills=tuple((s.skill, s.level) for s in agent.skills),
        answered_today=answered or 0,
        rings_browser=phone.rings_browser(agent),
    )


def card(session: Session, desk_call: DeskCall, now: dt.datetime) -> CallCard:
    wrapup = desk_call.wrapup
    return CallCard(
        id=desk_call.id,
        topic=desk_call.topic,
        topic_label=TOPIC_LABELS.get(desk_call.topic, desk_call.topic),
        skill=desk_call.skill,
        caller=queue.callback_number(desk_call) or desk_call.caller_number,
        caller_masked=mask(queue.callback_number(desk_call) or desk_call.caller_number),
        language=desk_call.language,
        phone_model=desk_call.phone_model,
        transcript=desk_call.transcript,
        transcript_source=desk_call.transcript_source,
        recording_s=desk_call.recording_s,
        mode=desk_call.mode,
        status=desk_call.status,
        position=queue.position(session, desk_call) if desk_call.in_line else 0,
        waited_s=desk_call.waited_s(desk_call.accepted_at or now),
        priority=desk_call.priority,
        notes=wrapup.notes if wrapup else "",
        disposition=wrapup.disposition if wrapup else None,
        sms_body=wrapup.sms_body if wrapup else None,
        path=menu_path(session, desk_call.call_id),
        queried=tuple(QUERY_LABELS.get(q.service, q.service) for q in desk_call.call.queries),
        known_caller=desk_call.call.subscriber_id is not None,
        real_name_verified=(
            desk_call.call.subscriber is None or desk_call.call.subscriber.real_name_verified
        ),
        **_account(desk_call.call.subscriber),
    )


def _account(subscriber: Subscriber | None) -> dict[str, str | None]:
    """The card's balance and line status of the subscriber the call is about."""
    if subscriber is None or subscriber.account is None:
        return {"balance": None, "line": None}
    fen = subscriber.account.balance_fen
    money = written_money(abs(fen), "en-US")
    balance = f"{money} in credit" if fen >= 0 else f"owes {money}"
    status = subscriber.line_status
    return {"balance": balance, "line": LINE_LABELS.get(status, status.replace("_", " "))}


MAX_PATH = 12


def menu_path(session: Session, call_id: int) -> tuple[str, ...]:
    """Where the caller went in this call, in order, in words an agent reads (each step once
    in a row, :func:`expert_desk.steps.caller_path`; the last :data:`MAX_PATH`)."""
    states = session.scalars(
        sa.select(CallEvent.state)
        .where(CallEvent.call_id == call_id, CallEvent.kind == "state.entered")
        .order_by(CallEvent.id)
    ).all()
    return caller_path(state for state in states if state)[-MAX_PATH:]


def agent_page(session: Session, agent_id: int, now: dt.datetime) -> AgentPage:
    agent = session.get(DeskAgent, agent_id)
    assert agent is not None
    pending = agents.offered_to(session, agent)
    offer = None
    if pending is not None:
        left = max(0, int((pending.expires_at - now).total_seconds()))
        offer = Offer(pending.id, left, card(session, pending.desk_call, now))
    unfinished = session.scalar(
        sa.select(DeskCall)
        .where(
            DeskCall.agent_id == agent.id,
            DeskCall.status.in_((CONNECTING, TALKING, COMPLETED)),
            ~DeskCall.wrapup.has(),
        )
        .order_by(DeskCall.id.desc())
        .limit(1)
    )
    skills = [s.skill for s in agent.skills]
    line = session.scalars(
        sa.select(DeskCall)
        .where(DeskCall.status.in_(IN_LINE), DeskCall.skill.in_(skills))
        .order_by(DeskCall.priority.desc(), DeskCall.entered_at, DeskCall.id)
        .limit(50)
    ).all()
    recent = session.scalars(
        sa.select(DeskCall)
        .where(DeskCall.agent_id == agent.id, DeskCall.accepted_at >= day_start(now))
        .order_by(DeskCall.id.desc())
        .limit(10)
    ).all()
    return AgentPage(
        agent=agent_view(session, agent, now),
        offer=offer,
        card=card(session, unfinished, now) if unfinished else None,
        line=[card(session, d, now) for d in line],
        recent=[card(session, d, now) for d in recent],
    )


@dataclass(frozen=True)
class TicketView:
    number: str
    category: str
    queue: str
    status: str
    subscriber: str
    due: str
    overdue: bool
    escalation_level: int


@dataclass(frozen=True)
class SupervisorPage:
    lines: list[reports.LiveLine]
    total: reports.LiveLine
    agents: list[AgentView]
    target_s: int
    tickets: list[TicketView]


def supervisor_page(session: Session, settings: DeskSettings, now: dt.datetime) -> SupervisorPage:
    lines = reports.live(session, settings.desk_service_level_s, now)
    everyone = session.scalars(
        sa.select(DeskAgent).where(DeskAgent.active).order_by(DeskAgent.username)
    ).all()
    return SupervisorPage(
        lines=lines,
        total=reports.totals(lines),
        agents=[agent_view(session, a, now) for a in everyone],
        target_s=settings.desk_service_level_s,
        tickets=[
            TicketView(
                number=t.number,
                category=t.category,
                queue=t.queue,
                status=t.status,
                subscriber=mask(t.subscriber.msisdn),
                due=local_datetime(t.due_at).strftime("%m-%d %H:%M"),
                overdue=t.overdue(now),
                escalation_level=t.escalation_level,
            )
            for t in session.scalars(tickets.needing_attention(now).limit(50))
        ],
    )


# -- formatting (template filters) -------------------------------------------------------


def mask(number: str) -> str:
    """138****8000: enough for an agent to recognise, not to copy off a screen."""
    if len(number) < 8:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def local_time(at: dt.datetime | None) -> str:
    if at is None:
        return "–"
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).strftime("%H:%M:%S")


SKILL_LABELS = {t.skill: TOPIC_LABELS[t.name] for t in topics.TOPICS} | {
    topics.GENERAL.skill: "General agents · 人工服务 (and other questions)"
}
