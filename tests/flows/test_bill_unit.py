"""The bills (flows.bill), on the bench: the last three months' totals, newest first, then the
latest bill item by item, with each category's name in the caller's language."""

from __future__ import annotations

from tests.support.caller import DEMO_ZH
from tests.support.flow_context import FlowBench

BILLS = (
    ("2030-11", (("plan", 7600),)),
    ("2031-02", (("plan", 7600), ("data", 1200), ("value_added", 500))),
    ("2030-12", (("plan", 7600),)),
    ("2031-01", (("plan", 7600), ("voice", 830))),
)
"""Four months of bills, given out of order: three are read, the newest first."""


def test_the_last_three_months_are_read_newest_first_with_their_totals(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH, bills=BILLS)

    heard = bench.call(DEMO_ZH).at("bill").enter()

    assert heard.keys[:3] == ["report.bill.month"] * 3
    assert heard.said[:3] == [
        "2月账单合计九十三元。",  # 76 + 12 + 5 yuan
        "1月账单合计八十四元三角。",
        "12月账单合计七十六元。",
    ]


def test_the_latest_bill_is_itemised_by_category(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, bills=BILLS)

    heard = bench.call(DEMO_ZH).at("bill").enter()

    assert heard.said[3:7] == [
        "最近一期2月账单明细：",
        "套餐月费七十六元。",
        "上网流量费十二元。",
        "增值业务费五元。",
    ]


def test_in_english_with_a_category_the_catalog_does_not_name(bench: FlowBench) -> None:
    bench.subscriber(
        DEMO_ZH, language="en-US", bills=(("2031-02", (("plan", 10600), ("lottery", 150))),)
    )

    heard = bench.call(DEMO_ZH).at("bill").enter()

    assert heard.said[:4] == [
        "Your bill for February totals 107 yuan and 50 fen.",
        "Your latest bill, for February, itemised:",
        "Monthly plan fee: 106 yuan.",  # a sentence starts with a capital (issue 24)
        "Other charges: 1 yuan and 50 fen.",
    ]


def test_no_bills_are_said_so_and_recorded_as_none(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH)
    call = bench.call(DEMO_ZH).at("bill")

    assert call.enter().said[0] == "您暂时没有账单记录。"
    assert call.queries == {"bill": {"bills": [], "items": []}}
