"""Services menu 3: international roaming, as the article's cruise passenger met it.

The caller hears whether roaming is on (and the trip we know of), switches it on or off
(confirmed by key 1), names the destination (keys for the commonest, or its name spoken)
and says whether the trip is by sea. What was set is recorded with the call (service
``roaming``): after hangup the summary SMS carries the destination's tariffs, the daily
10 MB reminder's promise and, for a trip by sea, the maritime-satellite warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from flows.password import DONE
from ivr.clock import local_date
from ivr.flow import CallContext, Goto, State
from ivr.intents import Heard
from ivr.models import Subscriber
from ivr.reply import Line, Listen, Reply
from prompts import catalog, spoken
from sms_followup import roaming
from sms_followup.reminders import load_rules, rules_for
from sms_followup.settings import SmsSettings

SERVICE = "roaming"
MENU = "roaming"
SWITCH = "roaming.switch"
DESTINATION = "roaming.destination"
SAY_DESTINATION = "roaming.destination_other"
BY_SEA = "roaming.sea"

DESTINATION_KEYS: Mapping[str, str] = {"1": "JP", "2": "KR", "3": "TH", "4": "US"}
"""The commonest destinations, by key; key 5 is any other, by its name spoken."""

SPOKEN_DESTINATIONS = ("JP", "KR", "TH", "US", "HK", "MO", "TW", "SG", "GB", "AU")
"""Destinations a caller may name (intents ``destination_<code>``); each has its name in
the prompt catalog (``country.<code>``), so that the voice says it from audio."""

_INTENT = "destination_"


def _destination(heard: Heard) -> str | None:
    if not heard.intent.startswith(_INTENT):
        return None
    code = heard.intent.removeprefix(_INTENT).upper()
    return code if code in SPOKEN_DESTINATIONS else None


def _country(code: str, language: str) -> str:
    return catalog.text(f"country.{code}", language)


def _record(ctx: CallContext, subscriber: Subscriber) -> None:
    """What the caller set, for the SMS after the call; the reminder step comes from the
    subscriber's reminder rules, so the promise is the one the reminders job keeps."""
    rules = rules_for(subscriber, load_rules(SmsSettings.of(ctx.settings)))
    ctx.record_query(SERVICE, roaming.facts(subscriber, rules.roaming_step_mb))


def _trip_lines(subscriber: Subscriber, language: str) -> tuple[Line, ...]:
    code, since = subscriber.roaming_destination, subscriber.roaming_since
    if not subscriber.roaming_on or code not in SPOKEN_DESTINATIONS or since is None:
        return ()
    said = {"country": _country(code, language), "since": spoken.date(local_date(since), language)}
    return (Line("roaming.trip_by_sea" if subscriber.roaming_by_sea else "roaming.trip", said),)


def _by_sms(ctx: CallContext, subscriber: Subscriber, what: str) -> Line:
    """The one line saying what comes by SMS after hangup (*what*: ``tariffs`` for a trip,
    ``result`` for switching off), and where: the caller's phone, or the number verified."""
    if ctx.on_own_phone:
        return Line(f"roaming.{what}_by_sms")
    number = spoken.phone_number(subscriber.msisdn, ctx.language)
    return Line(f"roaming.{what}_by_sms_to_number", {"number": number})


class RoamingMenu(State):
    """Whether roaming is on and the trip we know of; key 1 switches it, key 2 (when on)
    names the destination."""

    name = MENU
    parent = "services"
    type_ahead = True

    def enter(self, ctx: CallContext) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None:
            return Goto("unknown_caller")
        status = Line("roaming.status_on" if subscriber.roaming_on else "roaming.status_off")
        return self.prompt(ctx).after(status, *_trip_lines(subscriber, ctx.language))

    def prompt(self, ctx: CallContext) -> Reply:
        on = ctx.subscriber is not None and ctx.subscriber.roaming_on
        return Reply((Line("roaming.menu_on" if on else "roaming.menu_off"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        subscriber = ctx.subscriber
        if subscriber is None:
            return None
        if key == "1":
            return Goto(SWITCH)
        if key == "2" and subscriber.roaming_on:
            return Goto(DESTINATION)
        return None

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        subscriber = ctx.subscriber
        code = _destination(heard)
        if subscriber is not None and subscriber.roaming_on and code is not None:
            return _declare(ctx, subscriber, code)
        return None


class ConfirmingRoamingSwitch(State):
    """Switching roaming on or off, only once key 1 confirms it."""

    name = SWITCH
    parent = MENU

    def enter(self, ctx: CallContext) -> Reply | Goto:
        return self.prompt(ctx) if ctx.subscriber is not None else Goto(MENU)

    def prompt(self, ctx: CallContext) -> Reply:
        on = ctx.subscriber is not None and ctx.subscriber.roaming_on
        return Reply((Line("roaming.confirm_off" if on else "roaming.confirm_on"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        subscriber = ctx.subscriber
        if subscriber is None or key != "1":
            return None
        on = not subscriber.roaming_on
        roaming.switch(subscriber, on)
        ctx.event("roaming.switched", on=on)
        _record(ctx, subscriber)
        if on:
            return Goto(DESTINATION, preface=(Line("roaming.switched_on"),))
        return Goto(
            DONE, preface=(Line("roaming.switched_off"), _by_sms(ctx, subscriber, "result"))
        )


class ChoosingDestination(State):
    """Where to: keys for the commonest destinations, key 5 or a name for any other."""

    name = DESTINATION
    parent = MENU

    def enter(self, ctx: CallContext) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None or not subscriber.roaming_on:
            return Goto(MENU)
        return self.prompt(ctx)

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("roaming.destination_menu"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        subscriber = ctx.subscriber
        if subscriber is None:
            return None
        if key == "5":
            return Goto(SAY_DESTINATION)
        code = DESTINATION_KEYS.get(key)
        return _declare(ctx, subscriber, code) if code else None

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        subscriber = ctx.subscriber
        code = _destination(heard)
        return _declare(ctx, subscriber, code) if subscriber and code else None


class SayingDestination(ChoosingDestination):
    """Key 5: the destination's name, spoken."""

    name = SAY_DESTINATION
    parent = DESTINATION

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("roaming.say_destination"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        return None


def _declare(ctx: CallContext, subscriber: Subscriber, code: str) -> Goto:
    roaming.declare_trip(subscriber, code, ctx.now)
    ctx.event("roaming.trip", destination=code)
    _record(ctx, subscriber)
    saved = Line("roaming.trip_saved", {"country": _country(code, ctx.language)})
    return Goto(BY_SEA, preface=(saved,))


class AskingBySea(State):
    """By sea (a cruise, a ferry) or not: by sea, the maritime-satellite warning."""

    name = BY_SEA
    parent = MENU
    by_sea_keys: ClassVar[Mapping[str, bool]] = {"1": True, "2": False}

    def enter(self, ctx: CallContext) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None or subscriber.roaming_destination is None:
            return Goto(MENU)
        return self.prompt(ctx)

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("roaming.sea_question"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        by_sea = self.by_sea_keys.get(key)
        return None if by_sea is None else self._answer(ctx, by_sea)

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        return self._answer(ctx, True) if heard.intent == "by_sea" else None

    def _answer(self, ctx: CallContext, by_sea: bool) -> Goto | None:
        subscriber = ctx.subscriber
        if subscriber is None:
            return None
        subscriber.roaming_by_sea = by_sea
        ctx.event("roaming.by_sea", by_sea=by_sea)
        _record(ctx, subscriber)
        told = (Line("roaming.sea_warning"),) if by_sea else ()
        return Goto(DONE, preface=(*told, _by_sms(ctx, subscriber, "tariffs")))


def roaming_states() -> list[State]:
    return [
        RoamingMenu(),
        ConfirmingRoamingSwitch(),
        ChoosingDestination(),
        SayingDestination(),
        AskingBySea(),
    ]
