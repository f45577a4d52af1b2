"""Direct codes answer with the service at once: the figure comes right after one greeting."""

from __future__ import annotations

import pytest

from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, Caller


def test_1001011_speaks_balance_before_any_menu(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH)
    said = [el.text for el in caller.gather.iter("Say")]
    assert said[0] == "中国联通自助查询。"
    assert said[1] == "您的账户余额为一百二十三元四角五分。"
    assert "本月已产生话费五十六元七角" in said[2]
    assert said[-2].startswith("重听请按井号键")
    assert said[-1] == "For English, press 2."
    assert caller.gather[-1].get("language") == "en-US"


def test_english_subscriber_hears_balance_in_english(caller: Caller) -> None:
    caller.dial("1001011", DEMO_EN)
    assert "Your account balance is 87 yuan and 6 fen." in caller.last_heard
    say = caller.gather.find("Say")
    assert (say.get("voice"), say.get("language")) == ("Polly.Joanna", "en-US")


def test_negative_balance_is_spoken_as_arrears(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ARREARS)
    assert "您已欠费二十三元五角" in caller.last_heard
    assert "余额为" not in caller.last_heard


def test_mandarin_prompts_use_a_mandarin_voice(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH)
    say = caller.gather.find("Say")
    assert (say.get("voice"), say.get("language")) == ("Polly.Zhiyu", "cmn-CN")
    assert caller.gather.get("language") == "cmn-Hans-CN"
    assert caller.gather.get("input") == "dtmf speech"


def test_1001012_reads_data_voice_and_sms_usage(caller: Caller) -> None:
    caller.dial("1001012", DEMO_ZH)
    heard = caller.last_heard
    assert "本月国内流量已使用二点二G，剩余二点八G，套餐共五G。" in heard
    assert "通话已使用一百二十二分钟，剩余一百七十八分钟。" in heard
    assert "短信已使用十二条，剩余八十八条。" in heard


def test_1001012_says_how_far_over_the_data_plan_a_heavy_user_is(caller: Caller) -> None:
    caller.dial("1001012", "18500185000")
    assert (
        "You have used 55.2 gigabytes of domestic data this month, 15.2 gigabytes more than "
        "your plan's 40 gigabytes." in caller.last_heard
    )


def test_1001013_reads_recent_bills_and_itemises_the_latest(caller: Caller) -> None:
    caller.dial("1001013", DEMO_ZH)
    heard = caller.last_heard
    assert heard.count("账单合计") == 3
    assert "账单合计九十三元" in heard  # 76 + 12 + 5 yuan
    assert "套餐月费七十六元。" in heard
    assert "增值业务费五元。" in heard


@pytest.mark.parametrize("dialed", ["1001011", "+861001011", "008610 010 11", "86-1001011"])
def test_direct_code_is_recognised_with_country_prefixes_and_separators(
    caller: Caller, dialed: str
) -> None:
    caller.dial(dialed, DEMO_ZH)
    assert "余额为" in caller.last_heard


def test_after_the_report_pound_repeats_it(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH).press("#")
    assert caller.last_heard.startswith("您的账户余额为一百二十三元四角五分。")


def test_after_the_report_2_repeats_it_in_the_other_language(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH).press("2")
    assert caller.last_heard.startswith("Your account balance is 123 yuan and 45 fen.")
    caller.press("2")
    assert caller.last_heard.startswith("您的账户余额为")


def test_after_the_report_9_goes_to_the_main_menu(caller: Caller) -> None:
    caller.dial("1001012", DEMO_ZH).press("9")
    assert caller.last_heard.startswith("查询业务请按1")


def test_after_the_report_0_reaches_the_agents_line_which_offers_a_callback_when_nobody_is_in(
    caller: Caller,
) -> None:
    caller.dial("1001013", DEMO_ZH).press("0")
    assert caller.said == ["抱歉，目前没有人工客服在线。", "如需回电，并为您保留排队位置，请按1。"]
    assert caller.gather is not None and caller.enqueued is None


def test_1001015_offers_the_service_password_menu_at_once(caller: Caller) -> None:
    caller.dial("1001015", DEMO_ZH)
    assert caller.last_heard == "中国联通自助查询。 " + (
        "修改服务密码请按1，忘记服务密码请按2。返回上一级请按星号键，人工服务请按0。"
    )
    assert caller.gather is not None
