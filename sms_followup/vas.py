"""Value-added services: nothing is ordered without a second confirmation, and every monthly
deduction is announced.

An order request (``KT CL`` by SMS, or from another channel) creates a ``pending`` order and
an SMS asking the subscriber to reply ``Y`` within ``VAS_CONFIRM_HOURS``; only that reply
makes it ``active``. Requests not confirmed in time lapse (``expired``) and cost nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr.clock import local_date
from ivr.db import transaction
from ivr.logs import log_event
from ivr.models import Account, Subscriber
from prompts.spoken import written_money
from sms_followup import outbox
from sms_followup.models import VasCharge, VasOrder
from sms_followup.ports import insert_ignoring_duplicates
from sms_followup.settings import SmsSettings
from sms_followup.templates import text

logger = logging.getLogger("sms_followup.vas")
PRODUCTS_FILE = Path(__file__).with_name("data") / "vas_products.toml"


@dataclass(frozen=True)
class Product:
    code: str
    names: dict[str, str]
    monthly_fee_fen: int

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["zh-CN"]


@cache
def products() -> dict[str, Product]:
    with PRODUCTS_FILE.open("rb") as fh:
        table: dict[str, Any] = tomllib.load(fh)
    return {
        code.upper(): Product(
            code.upper(),
            {k: v for k, v in spec.items() if k != "monthly_fee_fen"},
            int(spec["monthly_fee_fen"]),
        )
        for code, spec in table.items()
    }


def _notify(
    session: Session,
    settings: SmsSettings,
    now: dt.datetime,
    subscriber: Subscriber,
    key: str,
    params: dict[str, str] | None = None,
    due: dt.datetime | None = None,
) -> int:
    body = text(key, subscriber.language, **(params or {}))
    message = outbox.enqueue(
        session,
        settings,
        kind=key,
        to=subscriber.msisdn,
        body=body,
        language=subscriber.language,
        now=now,
        due=due,
    )
    return message.id


def _product_params(product: Product, language: str) -> dict[str, str]:
    return {
        "product": product.name(language),
        "fee": written_money(product.monthly_fee_fen, language),
        "code": product.code,
    }


def expire_lapsed(session: Session, now: dt.datetime) -> int:
    result: Any = session.execute(
        sa.update(VasOrder)
        .where(VasOrder.status == "pending", VasOrder.expires_at <= now)
        .values(status="expired", ended_at=now)
    )
    return int(result.rowcount or 0)


def request_order(
    session: Session,
    settings: SmsSettings,
    subscriber: Subscriber,
    code: str,
    channel: str,
    now: dt.datetime,
) -> VasOrder | None:
    """Ask for a second confirmation of an order; None (and an SMS) for an unknown code."""
    expire_lapsed(session, now)
    product = products().get(code.upper())
    language = subscriber.language
    if product is None:
        _notify(
            session, settings, now, subscriber, "vas.unknown_product", {"code": code.upper()[:16]}
        )
        return None
    active = session.scalar(
        sa.select(VasOrder).where(
            VasOrder.subscriber_id == subscriber.id,
            VasOrder.product_code == product.code,
            VasOrder.status.in_(("pending", "active")),
        )
    )
    if active is not None and active.status == "active":
        _notify(
            session,
            settings,
            now,
            subscriber,
            "vas.already_active",
            _product_params(product, language),
        )
        return active
    order = active or VasOrder(
        subscriber_id=subscriber.id,
        product_code=product.code,
        monthly_fee_fen=product.monthly_fee_fen,
        channel=channel[:32],
        status="pending",
        requested_at=now,
        expires_at=now + dt.timedelta(hours=settings.vas_confirm_hours),
    )
    session.add(order)
    session.flush()
    _notify(
        session,
        settings,
        now,
        subscriber,
        "vas.confirm_request",
        {"hours": str(settings.vas_confirm_hours), **_product_params(product, language)},
    )
    log_event(logger, "vas.requested", order_id=order.id, code=product.code, channel=channel)
    return order


def _latest_pending(session: Session, subscriber: Subscriber, now: dt.datetime) -> VasOrder | None:
    expire_lapsed(session, now)
    return session.scalar(
        sa.select(VasOrder)
        .where(VasOrder.subscriber_id == subscriber.id, VasOrder.status == "pending")
        .order_by(VasOrder.requested_at.desc(), VasOrder.id.desc())
        .limit(1)
    )


def confirm(
    session: Session, settings: SmsSettings, subscriber: Subscriber, now: dt.datetime
) -> VasOrder | None:
    """The subscriber's ``Y``: orders the latest pending request, if it has not lapsed."""
    order = _latest_pending(session, subscriber, now)
    if order is None:
        _notify(
            session,
            settings,
            now,
            subscriber,
            "vas.nothing_pending",
            {"hours": str(settings.vas_confirm_hours)},
        )
        return None
    order.status, order.confirmed_at = "active", now
    product = products()[order.product_code]
    _notify(
        session,
        settings,
        now,
        subscriber,
        "vas.ordered",
        _product_params(product, subscriber.language),
    )
    log_event(logger, "vas.confirmed", order_id=order.id, code=order.product_code)
    return order


def decline(
    session: Session, settings: SmsSettings, subscriber: Subscriber, now: dt.datetime
) -> VasOrder | None:
    """The subscriber's ``N``: the latest pending request is dropped."""
    order = _latest_pending(session, subscriber, now)
    if order is None:
        return None
    order.status, order.ended_at = "declined", now
    product = products()[order.product_code]
    _notify(
        session,
        settings,
        now,
        subscriber,
        "vas.declined",
        _product_params(product, subscriber.language),
    )
    return order


def cancel(
    session: Session, settings: SmsSettings, subscriber: Subscriber, code: str, now: dt.datetime
) -> VasOrder | None:
    """``TD CL``: end an active subscription (no further deductions)."""
    order = session.scalar(
        sa.select(VasOrder).where(
            VasOrder.subscriber_id == subscriber.id,
            VasOrder.product_code == code.upper(),
            VasOrder.status == "active",
        )
    )
    if order is None:
        _notify(
            session, settings, now, subscriber, "vas.not_subscribed", {"code": code.upper()[:16]}
        )
        return None
    order.status, order.ended_at = "cancelled", now
    product = products()[order.product_code]
    _notify(
        session,
        settings,
        now,
        subscriber,
        "vas.cancelled",
        _product_params(product, subscriber.language),
    )
    return order


@dataclass(frozen=True)
class ChargeRun:
    charged: int
    already: int


def charge(
    sessions: sessionmaker[Session],
    settings: SmsSettings,
    now: dt.datetime,
    period: str | None = None,
) -> ChargeRun:
    """Take each active subscription's monthly fee once for ``period`` (default: this month
    in Shanghai), each with its deduction notice, in one transaction per order."""
    period = period or local_date(now).strftime("%Y-%m")
    with transaction(sessions) as session:
        expire_lapsed(session, now)
        order_ids = list(session.scalars(sa.select(VasOrder.id).where(VasOrder.status == "active")))
    charged = already = 0
    for order_id in order_ids:
        with transaction(sessions) as session:
            order = session.get_one(VasOrder, order_id)
            new = insert_ignoring_duplicates(
                session,
                VasCharge,
                order_id=order.id,
                period=period,
                amount_fen=order.monthly_fee_fen,
                at=now,
            )
            if not new:
                already += 1
                continue
            subscriber = session.get_one(Subscriber, order.subscriber_id)
            account = session.scalar(
                sa.select(Account).where(Account.subscriber_id == subscriber.id).with_for_update()
            )
            balance = 0
            if account is not None:
                account.balance_fen -= order.monthly_fee_fen
                account.month_charges_fen += order.monthly_fee_fen
                balance = account.balance_fen
            product = products()[order.product_code]
            language = subscriber.language
            outbox_id = _notify(
                session,
                settings,
                now,
                subscriber,
                "vas.deduction",
                {"balance": written_money(balance, language), **_product_params(product, language)},
                due=outbox.quiet_until(now, settings),
            )
            session.execute(
                sa.update(VasCharge)
                .where(VasCharge.order_id == order.id, VasCharge.period == period)
                .values(outbox_id=outbox_id)
            )
            log_event(
                logger,
                "vas.charged",
                order_id=order.id,
                period=period,
                amount_fen=order.monthly_fee_fen,
            )
            charged += 1
    return ChargeRun(charged, already)
