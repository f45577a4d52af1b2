"""ivr.numbers: one normalisation for every number stored, compared or sent (property tests
over mainland mobiles, landlines with area codes, 0086/86/+86 prefixes and separators)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.numbers import InvalidNumber, e164, is_mobile, normalize

MOBILE_PREFIXES = ["130", "133", "135", "138", "139", "150", "166", "177", "186", "199"]
# Area codes: Beijing, Shanghai, Guangzhou (two digits, 8-digit numbers) and a few three-digit
# ones (8-digit numbers); subscriber numbers begin 2-7 (in Beijing and Shanghai a leading 8
# is no subscriber's, and libphonenumber rightly refuses it as a landline).
AREA_CODES = {"10": 8, "21": 8, "20": 8, "755": 8, "571": 8, "591": 8}

mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(MOBILE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
)
landlines = st.sampled_from(sorted(AREA_CODES)).flatmap(
    lambda area: st.builds(
        lambda first, rest: (area, first + rest),
        st.sampled_from("234567"),
        st.text("0123456789", min_size=AREA_CODES[area] - 1, max_size=AREA_CODES[area] - 1),
    )
)
international = st.sampled_from(["+86", "0086", "86", "+86 ", "0086-", "(+86) "])
separators = st.sampled_from(["", " ", "-", ".", " - "])


def spaced(digits: str, separator: str, cut: int) -> str:
    return digits[:cut] + separator + digits[cut:] if separator else digits


@given(mobiles, international, separators, st.integers(1, 10))
def test_a_mobile_written_any_way_is_its_eleven_digits(
    mobile: str, prefix: str, separator: str, cut: int
) -> None:
    written = prefix + spaced(mobile, separator, cut)
    assert normalize(written) == mobile
    assert normalize(mobile) == mobile
    assert e164(written) == "+86" + mobile
    assert is_mobile(written)


@given(landlines, st.sampled_from(["+86", "0086", "+86 ", "0086 "]), separators)
def test_a_landline_keeps_its_area_code_and_goes_out_with_86(
    landline: tuple[str, str], prefix: str, separator: str
) -> None:
    area, subscriber = landline
    national = "0" + area + subscriber
    for written in (
        prefix + area + separator + subscriber,
        "0" + area + separator + subscriber,
        f"(0{area}) {subscriber}",
    ):
        assert normalize(written) == national
        assert e164(written) == "+86" + area + subscriber
        assert not is_mobile(written)


@given(st.one_of(mobiles, landlines.map(lambda a: "0" + a[0] + a[1])))
def test_normalising_is_idempotent_and_e164_round_trips(number: str) -> None:
    once = normalize(number)
    assert normalize(once) == once
    assert normalize(e164(once)) == once
    assert e164(e164(once)) == e164(once)


@pytest.mark.parametrize(
    ("raw", "national", "sent"),
    [
        ("+862161234567", "02161234567", "+862161234567"),
        ("+86 10 6123 4567", "01061234567", "+861061234567"),
        ("862161234567", "02161234567", "+862161234567"),
        ("+14155550100", "+14155550100", "+14155550100"),
        ("001 415 555 0100", "+14155550100", "+14155550100"),
    ],
)
def test_landlines_and_other_countries(raw: str, national: str, sent: str) -> None:
    assert normalize(raw) == national
    assert e164(raw) == sent


@pytest.mark.parametrize(
    ("raw", "national"),
    [
        ("10010", "10010"),
        ("+8610010", "10010"),
        ("008610010", "10010"),
        ("8610010", "10010"),
        ("+86 1001013", "1001013"),
        ("10655021", "10655021"),
        ("8610655021", "10655021"),
        ("106550211234", "106550211234"),
        ("95588", "95588"),
    ],
)
def test_service_codes_and_ports_stay_as_dialed_and_are_no_recipients(
    raw: str, national: str
) -> None:
    assert normalize(raw) == national
    with pytest.raises(InvalidNumber):
        e164(raw)


@pytest.mark.parametrize("raw", ["", "  ", "abc", "+", "+86", "0086", "10010#", "138 0013 800O"])
def test_what_is_not_a_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        normalize(raw)
