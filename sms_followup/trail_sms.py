"""The data-usage trail by SMS: its part of the call summary after the caller queried it
(1001012, key 3), and the same text for a subscriber who texts 流量轨迹 / TRAIL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ivr.clock import local_date
from ivr.models import Subscriber
from prompts import spoken
from prompts.places import place_name
from sms_followup import outbox, trail
from sms_followup.settings import SmsSettings
from sms_followup.templates import text
from sms_followup.trail_page import link_for

KEYWORDS = frozenset({"流量轨迹", "LLGJ", "TRAIL", "DATA TRAIL"})
"""What a subscriber texts for the trail (after :func:`sms_followup.inbound.command`)."""
KIND = "usage_trail"


def _params(facts: dict[str, Any], language: str) -> dict[str, str]:
    """The figures of ``Trail.as_facts`` as the SMS writes them: this month's total is the
    counter's, a month whose sessions are not all in says so, and a place is named in the
    reader's language (:func:`prompts.places.place_name`)."""
    volume = spoken.written_data_volume
    top = facts.get("top")
    top_text = ""
    if top is not None:
        day = dt.date.fromisoformat(top["day"])
        written = f"{day.month}月{day.day}日" if language == "zh-CN" else day.strftime("%d %b")
        name = place_name(top["location"], language)
        place = text("trail.place", language, place=name) if name else ""
        top_text = text(
            "trail.top",
            language,
            day=written,
            volume=volume(top["kb"], language),
            access=top["access"] or text("trail.other", language),
            place=place,
        )
    pending = facts.get("this_month_pending", False)
    return {
        "last_three": volume(facts["last_three_months_kb"], language),
        "this_month": volume(facts["this_month_kb"], language),
        "pending": text("trail.pending", language) if pending else "",
        "top": top_text,
        "link": facts["link"],
    }


def summary_part(facts: dict[str, Any], language: str) -> list[str]:
    """The trail's part of the call summary (facts of ``flows.usage.ReadingTrail``)."""
    return [text("summary.trail", language, **_params(facts, language))]


def facts_for(
    session: Session, settings: SmsSettings, subscriber_id: int, now: dt.datetime
) -> dict[str, Any]:
    """The trail's figures and a fresh link to the subscriber's page."""
    figures = trail.trail(session, subscriber_id, local_date(now))
    link = link_for(settings.public_base_url, settings.secret_key, subscriber_id, now)
    return {**figures.as_facts(), "link": link}


def send(session: Session, settings: SmsSettings, subscriber: Subscriber, now: dt.datetime) -> None:
    """Text the subscriber their trail (through the outbox, in the caller's transaction)."""
    language = subscriber.language if subscriber.language in ("zh-CN", "en-US") else "zh-CN"
    facts = facts_for(session, settings, subscriber.id, now)
    outbox.enqueue(
        session,
        settings,
        kind=KIND,
        to=subscriber.msisdn,
        body=text("trail.sms", language, **_params(facts, language)),
        language=language,
        now=now,
    )
