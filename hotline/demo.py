"""Demo subscribers for `ivr seed-demo`: one of each kind a hotline meets every day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from accounts.importer import AccountRecord, upsert
from accounts.passwords import seed_demo as seed_demo_passwords
from expert_desk.demo import seed_agents
from hotline.demo_trail import seed_sessions
from ivr.clock import local_date
from prompts.spoken import KB_PER_MB

MB = KB_PER_MB
GB = 1024 * MB


def _previous_periods(today: dt.date, count: int) -> list[str]:
    periods, year, month = [], today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        periods.append(f"{year:04d}-{month:02d}")
    return periods


def demo_records(today: dt.date) -> list[AccountRecord]:
    last, before, third = _previous_periods(today, 3)
    return [
        AccountRecord(
            msisdn="13800138000",
            name="王芳",
            language="zh-CN",
            plan="沃4G 76元套餐",
            phone_model="Huawei Mate 60",
            balance_fen=12345,
            month_charges_fen=5670,
            usage={"data": (5 * GB, 2 * GB + 300 * MB), "voice": (300, 122), "sms": (100, 12)},
            bills=(
                (last, (("plan", 7600), ("data", 1200), ("value_added", 500))),
                (before, (("plan", 7600), ("voice", 830))),
                (third, (("plan", 7600),)),
            ),
        ),
        AccountRecord(
            msisdn="13900139000",
            name="John Smith",
            language="en-US",
            plan="4G 106 plan",
            phone_model="iPhone 15",
            balance_fen=8706,
            month_charges_fen=10600,
            usage={"data": (10 * GB, 3 * GB + 512 * MB), "voice": (500, 61), "sms": (200, 3)},
            bills=((last, (("plan", 10600), ("roaming", 2350))),),
        ),
        AccountRecord(
            msisdn="13600136000",
            name="李强",
            language="zh-CN",
            plan="沃4G 56元套餐",
            phone_model="Xiaomi 14",
            balance_fen=-2350,
            month_charges_fen=8120,
            usage={"data": (2 * GB, 2 * GB + 700 * MB), "voice": (200, 200), "sms": (50, 50)},
            bills=((last, (("plan", 5600), ("data", 3000), ("voice", 420))),),
        ),
        AccountRecord(
            msisdn="18600186000",
            name="上网卡 Data card",
            language="zh-CN",
            plan="无线上网卡 20G",
            device_type="data_card",
            balance_fen=10000,
            month_charges_fen=5000,
            usage={"data": (20 * GB, 7 * GB + 100 * MB)},
            bills=((last, (("plan", 5000),)),),
        ),
        AccountRecord(
            msisdn="18500185000",
            name="Heavy data user",
            language="en-US",
            plan="Unlimited 199",
            phone_model="Samsung Galaxy S24",
            balance_fen=100,
            month_charges_fen=19900,
            usage={"data": (40 * GB, 55 * GB + 300 * MB), "voice": (1000, 20), "sms": (300, 0)},
            bills=((last, (("plan", 19900), ("data", 6000))),),
        ),
    ]


def seed(session: Session, now: dt.datetime) -> list[AccountRecord]:
    """Create or refresh the demo subscribers as of *now*; safe to run again."""
    today = local_date(now)
    records = demo_records(today)
    subscribers = [upsert(session, record, today.strftime("%Y-%m")) for record in records]
    # Sessions that add up to this month's data counters (hotline.demo_trail).
    used = {r.msisdn: r.usage["data"][1] for r in records if "data" in r.usage}
    seed_sessions(session, now, used)
    seed_demo_passwords(session, subscribers, now)  # service password 135790 (accounts.passwords)
    seed_agents(session, now)  # expert desk agents, password desk-demo-10010 (expert_desk.demo)
    return records
