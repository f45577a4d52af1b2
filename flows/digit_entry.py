"""States where the caller keys in a whole number: a password, a phone number."""

from __future__ import annotations

import re
from typing import ClassVar

from ivr.flow import CallContext, Goto, State
from ivr.reply import Line, Listen, Reply


class DigitEntry(State):
    """Ask for exactly ``length`` digits, ended by ``#`` or by the last digit.

    The engine hands the whole entry to :meth:`entered` (never one key at a time) and
    records only its length. A lone ``*`` goes back, a lone ``0`` reaches an agent; an entry
    of the wrong length or with other keys counts as a wrong choice.
    """

    collects_digits = True
    prompt_key: ClassVar[str]
    length: ClassVar[int]

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line(self.prompt_key),), Listen(digits=self.length))

    def collect(self, ctx: CallContext, digits: str) -> Reply | Goto | None:
        if re.fullmatch(f"[0-9]{{{self.length}}}", digits) is None:
            return None
        return self.entered(ctx, digits)

    def entered(self, ctx: CallContext, digits: str) -> Reply | Goto:
        """A well-formed entry: where it leads, or what to say about it."""
        raise NotImplementedError
