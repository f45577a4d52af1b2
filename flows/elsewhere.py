"""What callers ask for by voice that the hotline cannot do on the phone: an honest answer
that says so and where it is done, rather than another service that merely shares a word
(asking to pay the phone bill is not asking for the balance; asking to suspend the line and
keep the number is not a complaint about a suspension)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ivr.flow import CallContext, Menu
from ivr.reply import Line, Reply


class NotByPhone(Menu):
    """Says :attr:`answer` on arrival (and again with ``#``), then offers its keys."""

    parent = "main"
    answer: ClassVar[tuple[str, ...]]

    def enter(self, ctx: CallContext) -> Reply:
        return self.prompt(ctx).after(*(Line(key) for key in self.answer))


class AskingToPay(NotByPhone):
    """Paying the phone bill: not by phone; where to pay, and 1 for what is owed."""

    name = "payment"
    answer = ("payment.not_by_phone", "payment.how")
    prompt_key = "menu.payment"
    options: ClassVar[Mapping[str, str]] = {"1": "balance", "9": "main"}


class AskingToKeepTheNumber(NotByPhone):
    """Suspending the line and keeping the number: done in person, at a shop."""

    name = "keep_number"
    answer = ("keep_number.not_by_phone",)
    prompt_key = "menu.service_done"
    options: ClassVar[Mapping[str, str]] = {"9": "main"}


def states() -> list[NotByPhone]:
    return [AskingToPay(), AskingToKeepTheNumber()]
