"""International roaming: the caller's switch and trip, the tariff table, and the SMS texts.

The services menu (``flows.roaming``) switches roaming on or off and records the trip the
caller names (destination, by sea or not, since when) on the subscriber. After the call the
summary SMS carries the destination's tariffs (``summary_part``); on the first attach in a
country during a trip the reminders job sends the landing SMS (:func:`landings` finds them,
``sms_followup.reminders`` sends them, before any warning there).

Tariffs are data (``data/roaming_tariffs.toml``), in fen; texts are the SMS templates
``roaming.*``. A trip, for the landing SMS, is a run of roaming days (``RoamingDay`` rows)
with gaps of at most :data:`TRIP_GAP_DAYS`: a country gets one landing SMS per trip.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.clock import local_date
from ivr.models import Subscriber
from prompts.countries import country_name, names
from prompts.spoken import written_data_volume, written_money
from sms_followup.models import RoamingDay, UsageEvent
from sms_followup.templates import text

TARIFFS_FILE: Final = Path(__file__).with_name("data") / "roaming_tariffs.toml"
KB_PER_MB: Final = 1024
HOME: Final = "CN"
TRIP_GAP_DAYS: Final = 3
"""Roaming days at most this far apart belong to one trip (a day without any roaming
record, the phone off, does not end it)."""
ATTACH_WINDOW: Final = dt.timedelta(days=1)
"""Attaches this recent get a landing SMS; an older one is no longer news."""
LANDING: Final = "roaming_landing"


@dataclass(frozen=True)
class DailyPass:
    fen: int
    mb: int


@dataclass(frozen=True)
class Tariff:
    """What roaming costs in one destination, in fen."""

    calls_fen_per_min: int
    answer_fen_per_min: int
    sms_fen: int
    data_fen_per_mb: int
    daily_pass: DailyPass | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Tariff:
        daily = row.get("daily_pass")
        return cls(
            calls_fen_per_min=int(row["calls_fen_per_min"]),
            answer_fen_per_min=int(row["answer_fen_per_min"]),
            sms_fen=int(row["sms_fen"]),
            data_fen_per_mb=int(row["data_fen_per_mb"]),
            daily_pass=DailyPass(int(daily["fen"]), int(daily["mb"])) if daily else None,
        )


@cache
def tariffs() -> Mapping[str, Tariff]:
    """Destination code (and ``default``, ``maritime``) → its tariff."""
    with TARIFFS_FILE.open("rb") as fh:
        table = tomllib.load(fh)
    return {code: Tariff.of(row) for code, row in table.items()}


def tariff_for(code: str | None) -> Tariff:
    """The destination's tariff, or the default one for a destination not listed."""
    table = tariffs()
    return table.get(code or "", table["default"])


def country_code(country: str | None) -> str | None:
    """A roaming record's country (a code like ``JP`` or a name like 日本 / Japan) as its ISO
    code, or None when it is empty or unknown."""
    if not country or not country.strip():
        return None
    key = country.strip().lower().removeprefix("the ")
    for code, by_language in names().items():
        if key == code.lower() or key in {
            n.lower().removeprefix("the ") for n in by_language.values()
        }:
            return code
    return None


# -- the caller's switch and trip ------------------------------------------------------------


def switch(subscriber: Subscriber, on: bool) -> None:
    """Roaming on or off; switching it off ends the trip the caller told us about."""
    subscriber.roaming_on = on
    if not on:
        subscriber.roaming_destination = None
        subscriber.roaming_by_sea = False
        subscriber.roaming_since = None


def declare_trip(subscriber: Subscriber, destination: str, now: dt.datetime) -> None:
    """A trip to *destination* (an ISO code) from *now*; roaming is on for it."""
    subscriber.roaming_on = True
    subscriber.roaming_destination = destination
    subscriber.roaming_by_sea = False
    subscriber.roaming_since = now


def facts(subscriber: Subscriber, step_mb: int) -> dict[str, Any]:
    """What the call tells the caller by SMS afterwards (the ``roaming`` call query)."""
    since = subscriber.roaming_since
    return {
        "on": subscriber.roaming_on,
        "destination": subscriber.roaming_destination,
        "by_sea": subscriber.roaming_by_sea,
        "since": since.isoformat() if since else None,
        "step_mb": step_mb,
    }


# -- SMS texts -------------------------------------------------------------------------------


def _name(code: str | None, language: str) -> str:
    return country_name(code, language) or text("roaming.abroad", language)


def tariff_text(code: str | None, language: str) -> str:
    """The destination's calls, SMS, data per MB and daily data pass, written."""
    tariff = tariff_for(code)
    money = written_money
    parts = [
        text(
            "roaming.tariffs",
            language,
            country=_name(code, language),
            calls=money(tariff.calls_fen_per_min, language),
            answer=money(tariff.answer_fen_per_min, language),
            sms=money(tariff.sms_fen, language),
            data=money(tariff.data_fen_per_mb, language),
        )
    ]
    if tariff.daily_pass is not None:
        volume = written_data_volume(tariff.daily_pass.mb * KB_PER_MB, language)
        parts.append(
            text(
                "roaming.daily_pass",
                language,
                fen=money(tariff.daily_pass.fen, language),
                volume=volume,
            )
        )
    return "".join(parts)


def step_text(step_mb: int, language: str) -> str:
    """The promise of the reminders job: an SMS each time the day's roaming data passes
    another step."""
    return text(
        "roaming.step_promise", language, step=written_data_volume(step_mb * KB_PER_MB, language)
    )


def maritime_data_rate(language: str) -> str:
    """Data per MB on a maritime satellite network, written (60.00元, CNY 60.00)."""
    return written_money(tariffs()["maritime"].data_fen_per_mb, language)


def sea_text(language: str) -> str:
    """The warning for a trip by sea: maritime satellite networks, and data off at sea."""
    calls = written_money(tariffs()["maritime"].calls_fen_per_min, language)
    return text("roaming.sea", language, calls=calls, data=maritime_data_rate(language))


def summary_part(facts: dict[str, Any], language: str) -> list[str]:
    """The call summary's roaming part: on or off, and for a trip its tariffs, the daily
    reminder's promise and, by sea, the maritime warning."""
    if not facts["on"]:
        return [text("summary.roaming.off", language)]
    parts = [text("summary.roaming.on", language)]
    destination = facts.get("destination")
    if destination:
        parts.append(tariff_text(destination, language))
    parts.append(step_text(int(facts["step_mb"]), language))
    if facts.get("by_sea"):
        parts.append(sea_text(language))
    return parts


def landing_params(code: str, language: str, step_mb: int, by_sea: bool) -> dict[str, str]:
    """The parameters of the landing SMS template (``roaming_landing``)."""
    body = tariff_text(code, language) + step_text(step_mb, language)
    if by_sea:
        body += sea_text(language)
    return {"country": _name(code, language), "tariffs": body}


# -- landing: the first attach in a country during a trip ---------------------------------


@dataclass(frozen=True)
class Landing:
    code: str
    trip: str  # the trip's first day, ISO: with the code, what makes the SMS once per trip


def landings(session: Session, subscriber_id: int, now: dt.datetime) -> list[Landing]:
    """Countries the handset attached to abroad lately (``roaming_attach`` rows), each with
    the trip it belongs to, in the order first attached."""
    attaches = session.execute(
        sa.select(UsageEvent.country, sa.func.min(UsageEvent.at))
        .where(
            UsageEvent.subscriber_id == subscriber_id,
            UsageEvent.kind == "roaming_attach",
            UsageEvent.at >= now - ATTACH_WINDOW,
            UsageEvent.at <= now,
            UsageEvent.country.is_not(None),
        )
        .group_by(UsageEvent.country)
        .order_by(sa.func.min(UsageEvent.at))
    ).all()
    found: dict[str, Landing] = {}
    for country, at in attaches:
        code = country_code(country)
        if code is None or code == HOME or code in found:
            continue
        found[code] = Landing(code, trip_start(session, subscriber_id, local_date(at)).isoformat())
    return list(found.values())


def trip_start(session: Session, subscriber_id: int, day: dt.date) -> dt.date:
    """The first day of the run of roaming days that *day* belongs to."""
    days = session.scalars(
        sa.select(RoamingDay.day)
        .where(
            RoamingDay.subscriber_id == subscriber_id,
            RoamingDay.day <= day,
            RoamingDay.day >= day - dt.timedelta(days=366),
        )
        .order_by(RoamingDay.day.desc())
    )
    start = day
    for earlier in days:
        if (start - earlier).days > TRIP_GAP_DAYS:
            break
        start = min(start, earlier)
    return start
