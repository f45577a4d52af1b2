"""Loading subscribers: the demo set, and CSV imports from billing."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr import numbers
from ivr.models import Account, Bill, BillItem, Subscriber, UsageCounter
from prompts.spoken import KB_PER_MB

LANGUAGES = ("zh-CN", "en-US")
REQUIRED_COLUMNS = ("msisdn", "balance_fen")
INT_COLUMNS = (
    "balance_fen",
    "data_quota_mb",
    "data_used_mb",
    "voice_quota_min",
    "voice_used_min",
    "sms_quota",
    "sms_used",
)


@dataclass(frozen=True)
class AccountRecord:
    """One subscriber with the figures the hotline reads out."""

    msisdn: str
    balance_fen: int
    name: str = ""
    language: str = "zh-CN"
    plan: str = ""
    device_type: str = "phone"
    phone_model: str | None = None
    month_charges_fen: int = 0
    real_name_verified: bool = True  # real-name registration (实名制) done
    usage: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (quota, used)
    bills: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()  # (period, items)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    errors: list[str]


def upsert(session: Session, record: AccountRecord, period: str) -> Subscriber:
    """Create or update a subscriber, its account, this month's usage and its bills."""
    subscriber = session.scalar(Subscriber.by_msisdn(record.msisdn))
    if subscriber is None:
        subscriber = Subscriber(msisdn=record.msisdn)
        subscriber.account = Account()
        session.add(subscriber)
    subscriber.name, subscriber.language, subscriber.plan = (
        record.name,
        record.language,
        record.plan,
    )
    subscriber.device_type, subscriber.phone_model = record.device_type, record.phone_model
    subscriber.real_name_verified = record.real_name_verified
    subscriber.account.balance_fen = record.balance_fen
    subscriber.account.month_charges_fen = record.month_charges_fen
    session.flush()
    for kind, (quota, used) in record.usage.items():
        counter = session.scalar(
            sa.select(UsageCounter).filter_by(subscriber_id=subscriber.id, period=period, kind=kind)
        )
        if counter is None:
            counter = UsageCounter(subscriber_id=subscriber.id, period=period, kind=kind)
            session.add(counter)
        counter.quota, counter.used = quota, used
    for bill_period, items in record.bills:
        session.execute(
            sa.delete(BillItem).where(
                BillItem.bill_id.in_(
                    sa.select(Bill.id).filter_by(subscriber_id=subscriber.id, period=bill_period)
                )
            )
        )
        session.execute(sa.delete(Bill).filter_by(subscriber_id=subscriber.id, period=bill_period))
        bill = Bill(
            subscriber_id=subscriber.id,
            period=bill_period,
            total_fen=sum(amount for _, amount in items),
            items=[BillItem(category=c, amount_fen=a) for c, a in items],
        )
        session.add(bill)
    session.flush()
    return subscriber


def read_csv(stream: IO[str]) -> Iterator[tuple[int, AccountRecord | str]]:
    """Each data row as (line number, record) or (line number, what is wrong with it)."""
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        yield 1, f"missing column(s): {', '.join(missing)}"
        return
    for row in reader:
        yield reader.line_num, _record(row)


def import_csv(session: Session, stream: IO[str], period: str) -> ImportReport:
    """Import every good row; report each bad one by line number."""
    imported, errors, seen = 0, [], set()
    for line, result in read_csv(stream):
        if isinstance(result, str):
            errors.append(f"line {line}: {result}")
        elif result.msisdn in seen:
            errors.append(f"line {line}: {result.msisdn} appears twice; first row kept")
        else:
            seen.add(result.msisdn)
            with session.begin_nested():
                upsert(session, result, period)
            imported += 1
    return ImportReport(imported, errors)


def _record(row: dict[str, str | None]) -> AccountRecord | str:
    values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    try:
        msisdn = numbers.normalize(values["msisdn"])
    except numbers.InvalidNumber as error:
        return f"msisdn: {error}"
    if not (msisdn.isdigit() and len(msisdn) == 11 and msisdn.startswith("1")):
        return f"msisdn {values['msisdn']!r} is not an 11-digit mobile number"
    ints: dict[str, int] = {}
    for column in INT_COLUMNS:
        if values.get(column):
            try:
                ints[column] = int(values[column])
            except ValueError:
                return (
                    f"{column} must be a whole number (fen / MB / minutes), not {values[column]!r}"
                )
            if column != "balance_fen" and ints[column] < 0:
                return f"{column} cannot be negative"
    if "balance_fen" not in ints:
        return "balance_fen is empty"
    language = values.get("language") or "zh-CN"
    if language not in LANGUAGES:
        return f"language must be zh-CN or en-US, not {language!r}"
    verified = _flag(values.get("real_name_verified", ""))
    if verified is None:
        return (
            "real_name_verified must be true or false (1/0, yes/no, 是/否), "
            f"not {values['real_name_verified']!r}"
        )
    return AccountRecord(
        msisdn=msisdn,
        balance_fen=ints["balance_fen"],
        name=values.get("name", ""),
        language=language,
        plan=values.get("plan", ""),
        real_name_verified=verified,
        usage=dict(_usage(ints)),
    )


TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否"})


def _flag(value: str) -> bool | None:
    """An optional yes/no column: empty means yes (the default); None when it is neither."""
    word = value.strip().lower()
    if not word or word in TRUE_WORDS:
        return True
    return False if word in FALSE_WORDS else None


def _usage(ints: dict[str, int]) -> Iterable[tuple[str, tuple[int, int]]]:
    if "data_quota_mb" in ints or "data_used_mb" in ints:
        quota, used = ints.get("data_quota_mb", 0), ints.get("data_used_mb", 0)
        yield "data", (quota * KB_PER_MB, used * KB_PER_MB)
    if "voice_quota_min" in ints or "voice_used_min" in ints:
        yield "voice", (ints.get("voice_quota_min", 0), ints.get("voice_used_min", 0))
    if "sms_quota" in ints or "sms_used" in ints:
        yield "sms", (ints.get("sms_quota", 0), ints.get("sms_used", 0))
