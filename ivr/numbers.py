"""Phone numbers as callers dial them: normalising, and which service a dialed number reaches."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers


class Entry(StrEnum):
    """Where a dialed number lands: the full menu or one service directly."""

    HOTLINE = "hotline"
    BALANCE = "balance"
    USAGE = "usage"
    BILL = "bill"
    PASSWORD = "password"


HOTLINE_NUMBER = "10010"
DIRECT_CODES: dict[str, Entry] = {
    HOTLINE_NUMBER: Entry.HOTLINE,
    "1001011": Entry.BALANCE,
    "1001012": Entry.USAGE,
    "1001013": Entry.BILL,
    "1001015": Entry.PASSWORD,
}

_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"\+?[0-9]+")
CHINA = "CN"
CHINA_CODE = 86
# A bare "86" is also how some national numbers begin; it is read as China's country code
# only before a complete number (mobile or landline) or a carrier service code (100xx, 106xx).
_SERVICE_CODE = re.compile(r"1(0[0-9]{3,18}|[0-9]{4,6})|9[56][0-9]{3,6}")


class InvalidNumber(ValueError):
    """Not something a telephone network would deliver as a number."""


def _bare(number: str) -> str:
    bare = _SEPARATORS.sub("", number.strip())
    if not bare:
        raise InvalidNumber("empty number")
    if not _DIGITS.fullmatch(bare):
        raise InvalidNumber(f"not a phone number: {number!r}")
    return bare


def _chinese(digits: str) -> phonenumbers.PhoneNumber | None:
    """*digits* (national, with or without the trunk 0) as a valid Chinese number."""
    try:
        parsed = phonenumbers.parse(digits, CHINA)
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != CHINA_CODE or not phonenumbers.is_valid_number(parsed):
        return None
    return parsed


def _national_form(parsed: phonenumbers.PhoneNumber) -> str:
    """Mobiles as their 11 digits, landlines with the trunk 0 and area code (``02161234567``)."""
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[^0-9]", "", national)


@functools.lru_cache(maxsize=65536)
def normalize(number: str) -> str:
    """The one stored and compared form of a number: national for China, E.164 otherwise.

    Built on libphonenumber's rules (``phonenumbers``): ``+86 138-0013-8000``, ``0086…``,
    ``86…`` → ``13800138000``; ``+86 21 6123 4567`` / ``021-6123-4567`` → ``02161234567``;
    service codes and industry ports stay as dialed (``+8610010`` → ``10010``); numbers of
    other countries are E.164 (``+1 415 555 0100`` → ``+14155550100``).

    Kept per spelling (a pure function of it), since every webhook normalises its caller's
    number and libphonenumber's parse is costly.
    """
    bare = _bare(number)
    if bare.startswith("+") or bare.startswith("00"):
        digits = bare[1:] if bare.startswith("+") else bare[2:]
        if not digits:
            raise InvalidNumber(f"not a phone number: {number!r}")
        if not digits.startswith(str(CHINA_CODE)):
            try:
                foreign = phonenumbers.parse("+" + digits, None)
            except phonenumbers.NumberParseException as error:
                raise InvalidNumber(f"not a phone number: {number!r}") from error
            if not phonenumbers.is_possible_number(foreign):
                raise InvalidNumber(f"not a phone number: {number!r}")
            return phonenumbers.format_number(foreign, phonenumbers.PhoneNumberFormat.E164)
        rest = digits[len(str(CHINA_CODE)) :]
        if not rest:
            raise InvalidNumber(f"not a phone number: {number!r}")
        chinese = _chinese(rest)
        return _national_form(chinese) if chinese is not None else rest
    if bare.startswith(str(CHINA_CODE)):
        rest = bare[len(str(CHINA_CODE)) :]
        after_code = _chinese(rest) if not rest.startswith("0") else None
        if after_code is not None:
            return _national_form(after_code)
        if rest in DIRECT_CODES or _SERVICE_CODE.fullmatch(rest):
            return rest
    parsed = _chinese(bare)
    return _national_form(parsed) if parsed is not None else bare


def e164(number: str) -> str:
    """The form Twilio wants for a recipient: ``+86`` and the national significant number for
    Chinese mobiles and landlines alike (``+862161234567``); other countries' numbers as
    they are. Raises :class:`InvalidNumber` for what is not a callable subscriber number
    (a service code such as ``10010`` is not)."""
    national = normalize(number)
    if national.startswith("+"):
        return national
    parsed = _chinese(national)
    if parsed is None:
        raise InvalidNumber(f"{national} is not a Chinese mobile or landline number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(number: str) -> bool:
    """Whether *number* is a Chinese mobile number (any accepted spelling)."""
    try:
        parsed = _chinese(normalize(number))
    except InvalidNumber:
        return False
    return parsed is not None and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


@dataclass(frozen=True)
class VoiceNumbers:
    """The Twilio numbers that stand for the service's codes (``TWILIO_VOICE_NUMBERS``): no
    Twilio number is ``1001011``, so on a real account each code a caller can reach by
    number is a number of the account, and a call to it is a call to the code.
    *by_code* holds ``(code, number in E.164)`` pairs, checked by ``Settings.voice_numbers``.
    """

    by_code: tuple[tuple[str, str], ...] = ()

    def number_for(self, code: str) -> str | None:
        """The Twilio number of *code* (``10010``), or None when none stands for it."""
        return dict(self.by_code).get(code)

    def dialled(self, to: str) -> str:
        """What a call's ``To`` dialled, as the service speaks of it: the code a Twilio
        number of the map stands for (any spelling of it), else *to* as it is."""
        try:
            national = normalize(to)
        except InvalidNumber:
            return to
        return next((code for code, ours in self.by_code if normalize(ours) == national), to)


def entry_for(dialed: str) -> Entry | None:
    """The entry point a dialed number reaches, or None when it is not one of ours."""
    try:
        return DIRECT_CODES.get(normalize(dialed))
    except InvalidNumber:
        return None
