"""Usage from billing (`ivr usage ingest FILE`): CSV or JSON lines, one usage event a row.

Columns / keys: ``msisdn``, ``at`` (ISO 8601; without a zone it is Asia/Shanghai time),
``kind`` and ``amount``, optionally ``event_id`` (re-importing a row with a known
``event_id`` changes nothing), ``country``, ``network``; ``data`` rows also take
``duration_s`` (seconds), ``access`` (5G, 4G, 3G, 2G, WLAN; LTE, NR, WIFI… are understood)
and ``location`` (a place name, any script, at most 64 characters), kept for the data-usage
trail (``sms_followup.trail``).

| kind             | amount       | effect                                                   |
|------------------|--------------|----------------------------------------------------------|
| ``data``         | KB           | added to the month's data counter                        |
| ``voice``        | minutes      | added to the month's voice counter                       |
| ``sms``          | messages     | added to the month's SMS counter                         |
| ``roaming_data`` | KB abroad    | added to the day's roaming data (``country``)            |
| ``roaming_attach`` | (ignored)  | the handset attached to ``network`` abroad; maritime and |
|                  |              | satellite networks are flagged (``maritime`` = true too) |

Bad rows are reported by line and skipped; good rows are kept. Given ``now``, a row dated in
the future or before the trail's window (three months plus the current one) is bad too, and
so is a data session above 1 TB or lasting more than a week.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr import numbers
from ivr.clock import SERVICE_TZ, local_date
from ivr.db import transaction
from ivr.models import Subscriber, UsageCounter
from sms_followup import trail
from sms_followup.models import RoamingDay, UsageEvent
from sms_followup.ports import insert_ignoring_duplicates

COUNTER_KINDS = frozenset({"data", "voice", "sms"})
KINDS = COUNTER_KINDS | {"roaming_data", "roaming_attach"}
MARITIME_NETWORKS = (
    "maritime",
    "satellite",
    "inmarsat",
    "cellular@sea",
    "mcp",
    "onair",
    "aeromobile",
    "海事",
    "卫星",
)
MAX_AMOUNT = 10**12
MAX_SESSION_KB = 1024**3  # 1 TB in one data session
MAX_DURATION_S = 7 * 24 * 3600
MAX_LOCATION = 64
FUTURE_SLACK = dt.timedelta(minutes=5)
CHUNK = 500


class BadRow(ValueError):
    pass


@dataclass(frozen=True)
class Row:
    line: int
    event_id: str | None
    msisdn: str
    at: dt.datetime  # naive UTC
    kind: str
    amount: int
    country: str | None
    network: str | None
    maritime: bool
    duration_s: int | None = None
    access: str | None = None
    location: str | None = None


@dataclass
class IngestReport:
    ingested: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    subscriber_ids: set[int] = field(default_factory=set)


def read_rows(
    stream: IO[str], fmt: str | None = None
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line, record)`` for each row, or ``(line, reason)`` for one that cannot be read.
    The format is JSON lines when ``fmt`` says so or the first character is ``{``."""
    first = stream.read(1)
    rest = stream.read()
    content = first + rest
    if fmt == "jsonl" or (fmt is None and content.lstrip().startswith("{")):
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"not JSON: {error.msg}"
                continue
            yield (number, record) if isinstance(record, dict) else (number, "not a JSON object")
        return
    reader = csv.DictReader(content.splitlines())
    for record in reader:
        yield reader.line_num, dict(record)


def parse(line: int, record: dict[str, Any], now: dt.datetime | None = None) -> Row:
    def field_(name: str) -> str:
        value = record.get(name)
        return "" if value is None else str(value).strip()

    try:
        msisdn = numbers.normalize(field_("msisdn"))
    except numbers.InvalidNumber:
        raise BadRow(f"msisdn {field_('msisdn')!r} is not a phone number") from None
    kind = field_("kind").lower()
    if kind not in KINDS:
        raise BadRow(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    at = _timestamp(field_("at"))
    if now is not None:
        _check_window(at, now)
    raw_amount = field_("amount") or ("0" if kind == "roaming_attach" else "")
    try:
        amount = int(raw_amount)
    except ValueError:
        raise BadRow(f"amount {raw_amount!r} is not a whole number") from None
    if not 0 <= amount <= MAX_AMOUNT:
        raise BadRow(f"amount {amount} is out of range")
    event_id = field_("event_id") or None
    if event_id is not None and len(event_id) > 64:
        raise BadRow("event_id longer than 64 characters")
    network = field_("network")[:64] or None
    if kind == "roaming_attach" and network is None:
        raise BadRow("roaming_attach needs a network")
    duration_s, access, location = None, None, None
    if kind == "data":
        if amount > MAX_SESSION_KB:
            raise BadRow(f"amount {amount} KB is more than one data session can use")
        duration_s = _duration(field_("duration_s"))
        try:
            access = trail.access_type(field_("access"))
        except ValueError as error:
            raise BadRow(str(error)) from None
        location = _location(field_("location"))
    flagged = field_("maritime").lower() in {"1", "true", "yes"}
    maritime = flagged or (
        network is not None and any(m in network.lower() for m in MARITIME_NETWORKS)
    )
    return Row(
        line=line,
        event_id=event_id,
        msisdn=msisdn,
        at=at,
        kind=kind,
        amount=amount,
        country=field_("country")[:32] or None,
        network=network,
        maritime=kind == "roaming_attach" and maritime,
        duration_s=duration_s,
        access=access,
        location=location,
    )


def _check_window(at: dt.datetime, now: dt.datetime) -> None:
    if at > now + FUTURE_SLACK:
        raise BadRow(f"at {at.isoformat()}Z is in the future")
    start = trail.window_start(local_date(now))
    if local_date(at) < start:
        raise BadRow(f"at {at.isoformat()}Z is before {start.isoformat()} (three months back)")


def _duration(value: str) -> int | None:
    if not value:
        return None
    try:
        seconds = int(value)
    except ValueError:
        raise BadRow(f"duration_s {value!r} is not a whole number") from None
    if not 0 <= seconds <= MAX_DURATION_S:
        raise BadRow(f"duration_s {seconds} is out of range")
    return seconds


def _location(value: str) -> str | None:
    """A place name in any script, NFC-normalised; control characters and more than
    :data:`MAX_LOCATION` characters make the row bad."""
    text = unicodedata.normalize("NFC", value)
    if not text:
        return None
    if any(unicodedata.category(c) in {"Cc", "Cs", "Co", "Cn"} for c in text):
        raise BadRow("location holds control or unassigned characters")
    if len(text) > MAX_LOCATION:
        raise BadRow(f"location longer than {MAX_LOCATION} characters")
    return text


def _timestamp(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRow(f"at {value!r} is not an ISO 8601 time") from None
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=SERVICE_TZ)
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def ingest(
    sessions: sessionmaker[Session],
    records: Iterable[tuple[int, dict[str, Any] | str]],
    source: str,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Apply every good row (in chunks, one transaction each); report the bad ones by line.
    Given *now*, rows in the future or before the trail's window are bad."""
    report = IngestReport()
    chunk: list[Row] = []
    for line, record in records:
        if isinstance(record, str):
            report.errors.append(f"line {line}: {record}")
            continue
        try:
            chunk.append(parse(line, record, now))
        except BadRow as error:
            report.errors.append(f"line {line}: {error}")
        if len(chunk) >= CHUNK:
            _apply(sessions, chunk, source, report)
            chunk = []
    if chunk:
        _apply(sessions, chunk, source, report)
    return report


def _apply(
    sessions: sessionmaker[Session], rows: list[Row], source: str, report: IngestReport
) -> None:
    with transaction(sessions) as session:
        msisdns = {r.msisdn for r in rows}
        found = session.execute(
            sa.select(Subscriber.msisdn, Subscriber.id).where(Subscriber.msisdn.in_(msisdns))
        )
        subscribers = {msisdn: subscriber_id for msisdn, subscriber_id in found}
        for row in rows:
            subscriber_id = subscribers.get(row.msisdn)
            if subscriber_id is None:
                report.errors.append(f"line {row.line}: no subscriber {row.msisdn}")
                continue
            if not _record(session, row, subscriber_id, source):
                report.duplicates += 1
                continue
            _apply_row(session, row, subscriber_id)
            report.ingested += 1
            report.subscriber_ids.add(subscriber_id)


def _record(session: Session, row: Row, subscriber_id: int, source: str) -> bool:
    values = {
        "subscriber_id": subscriber_id,
        "at": row.at,
        "kind": row.kind,
        "amount": row.amount,
        "country": row.country,
        "network": row.network,
        "source": source[:200],
    }
    if row.event_id is None:
        session.add(UsageEvent(**values))
        return True
    return insert_ignoring_duplicates(session, UsageEvent, event_id=row.event_id, **values)


def _apply_row(session: Session, row: Row, subscriber_id: int) -> None:
    if row.kind == "data":
        trail.record(
            session, subscriber_id, row.at, row.amount, row.duration_s, row.access, row.location
        )
    if row.kind in COUNTER_KINDS:
        period = local_date(row.at).strftime("%Y-%m")
        insert_ignoring_duplicates(
            session,
            UsageCounter,
            subscriber_id=subscriber_id,
            period=period,
            kind=row.kind,
            quota=0,
            used=0,
        )
        session.execute(
            sa.update(UsageCounter)
            .where(
                UsageCounter.subscriber_id == subscriber_id,
                UsageCounter.period == period,
                UsageCounter.kind == row.kind,
            )
            .values(used=UsageCounter.used + row.amount)
        )
        return
    day = local_date(row.at)
    insert_ignoring_duplicates(
        session,
        RoamingDay,
        subscriber_id=subscriber_id,
        day=day,
        data_kb=0,
        maritime=False,
        updated_at=row.at,
    )
    changes: dict[Any, Any] = {RoamingDay.updated_at: row.at}
    if row.kind == "roaming_data":
        changes[RoamingDay.data_kb] = RoamingDay.data_kb + row.amount
    if row.country:
        changes[RoamingDay.country] = row.country
    if row.network:
        changes[RoamingDay.network] = row.network
    if row.maritime:
        changes[RoamingDay.maritime] = True
    session.execute(
        sa.update(RoamingDay)
        .where(RoamingDay.subscriber_id == subscriber_id, RoamingDay.day == day)
        .values(changes)
    )
