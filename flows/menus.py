"""The 10010 menu tree: language, main menu, queries. Four levels to the balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ivr.flow import CallContext, Goto, Menu, State
from ivr.intents import Heard
from ivr.reply import Line, Listen, Reply

BILINGUAL = ("zh-CN", "en-US")


class ChoosingLanguage(State):
    """Level 1: Mandarin (1) or English (2), each offered in its own language.

    A ``<Gather>`` hears speech in one language only: the call's (Mandarin, or English for a
    known English subscriber). Only that language's offer also invites the caller to say
    the choice, naming both languages in it; the other offers its key alone, for a caller
    who said it in their own language would not be understood.
    """

    name = "language"
    type_ahead = True

    def enter(self, ctx: CallContext) -> Reply:
        return self._offer(ctx, greeting=True)

    def prompt(self, ctx: CallContext) -> Reply:
        return self._offer(ctx, greeting=False)

    @staticmethod
    def _offer(ctx: CallContext, *, greeting: bool) -> Reply:
        listening = ctx.language
        lines = []
        for lang in BILINGUAL:
            if greeting:
                lines.append(Line("greeting.hotline", language=lang))
            lines.append(Line("menu.language", language=lang))
            if lang == listening:
                lines.append(Line("menu.language_by_speech", language=lang))
        return Reply(tuple(lines), Listen(speech_language=listening))

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        languages = {"1": "zh-CN", "2": "en-US"}
        return Goto("main", language=languages[key]) if key in languages else None

    def on_silence(self, ctx: CallContext) -> Goto:
        """Nothing said: a known subscriber goes on in their stored language, anyone else in
        Mandarin (the call's language is set so when it comes in). Never a hang-up here."""
        language = ctx.subscriber.language if ctx.subscriber else "zh-CN"
        return Goto("main", language=language)

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        if heard.intent in ("mandarin", "english"):
            return Goto("main", language="zh-CN" if heard.intent == "mandarin" else "en-US")
        return None


class MainMenu(Menu):
    """Level 2: queries, services, faults and complaints, the expert desk, an agent."""

    name = "main"
    parent = "language"
    prompt_key = "menu.main"
    options: ClassVar[Mapping[str, str]] = {
        "1": "queries",
        "2": "services",
        "3": "complaints",
        "4": "expert_desk",
    }


class QueriesMenu(Menu):
    """Level 3: balance, data and package usage, bills."""

    name = "queries"
    parent = "main"
    prompt_key = "menu.queries"
    options: ClassVar[Mapping[str, str]] = {"1": "balance", "2": "usage", "3": "bill"}
