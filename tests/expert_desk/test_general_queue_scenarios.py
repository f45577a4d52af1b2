"""The general agents' line through the simulated telephone network: the scenario files in
``scenarios/general-queue/`` (each needs agents or hours set up here), the app on a loopback
port, the REST stand-in taking the desk's redirects and callbacks as Twilio would. The test
clock starts at 10:00 in Shanghai (tests.support.clocks)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from expert_desk.demo import DEMO_AGENTS
from expert_desk.desk import Desk
from expert_desk.models import DeskCall
from simulator.scenario import Scenario, run_scenario
from tests.support.clocks import TestClock
from tests.support.desk import (
    HoldingCaller,
    answering_in_browser,
    available,
    desk_call,
    desk_of,
    offer_of,
    pending_offers,
)
from tests.support.live import LiveHotline, live_hotline
from tests.support.paths import ROOT
from tests.support.polling import PATIENCE_S, wait_for
from tests.support.simulator import SERVICE_NUMBER

SCENARIOS = ROOT / "scenarios" / "general-queue"
HOLD_S = PATIENCE_S  # real seconds a simulated caller holds: only a broken desk lasts it
SUPERVISOR = "chen.jing"  # a demo agent with the general skill (level 2)


@contextmanager
def served(database_url: str, clock: TestClock, **settings: Any) -> Iterator[LiveHotline]:
    config = {"env": "test", "database_url": database_url, "prompt_audio": False, **settings}
    with live_hotline(config, clock) as hotline:
        network = hotline.network
        network.config = dataclasses.replace(network.config, hold_timeout=HOLD_S)
        # The agents' browser phones pick up what they accept, and talk as a phone would.
        talk_s = network.config.party_talk_seconds
        names = (a.username for a in DEMO_AGENTS)
        answering_in_browser(network, desk_of(hotline.app), *names, talk_s=talk_s)
        yield hotline


def general_calls(desk: Desk) -> list[int]:
    with desk.sessions() as session:
        return list(session.scalars(DeskCall.__table__.select().with_only_columns(DeskCall.id)))


def test_zero_with_an_agent_available_is_connected(database_url: str) -> None:
    """The scenario's call, played by a caller who decides by the moment (as the desk's
    simulator tests do): a script in a fixed order races the agent's quick accept against
    the caller's first hold in the line, and loses it now and then on a loaded machine."""
    scenario = Scenario.load(SCENARIOS / "zero-with-an-agent.yaml")
    keys = [step.action() for step in scenario.steps if step.kind == "press"]
    expected = [str(step.value) for step in scenario.steps if step.kind == "expect"]
    with served(database_url, TestClock()) as live:
        desk = desk_of(live.app)
        agent_id = available(desk, SUPERVISOR)
        call = live.network.start(
            live.network.inbound_spec(scenario.to, scenario.from_),
            HoldingCaller(
                keys, talk_s=live.network.config.party_talk_seconds * 2
            ),  # the agent ends it
        )
        wait_for(lambda: desk.tick() is not None and pending_offers(desk), "the offer")
        [(desk_call_id, offered_to)] = pending_offers(desk)
        assert offered_to == agent_id
        assert desk_call(desk, desk_call_id).topic == "general"
        desk.accept(agent_id, offer_of(desk, agent_id))
        result = call.result(timeout=HOLD_S + 10)

        heard = [h.text for h in result.transcript]
        where = [next((n for n, text in enumerate(heard) if line in text), -1) for line in expected]
        assert -1 not in where and where == sorted(where), (expected, heard)
        assert (result.errors, result.status) == ([], scenario.expect_status)
        wait_for(lambda: desk_call(desk, desk_call_id).status == "completed", "the end")


def test_zero_with_nobody_signed_in(database_url: str) -> None:
    with served(database_url, TestClock()) as live:
        result = run_scenario(live.network, Scenario.load(SCENARIOS / "zero-with-none.yaml"))
        assert result.passed, result.message


def test_after_hours(database_url: str) -> None:
    with served(database_url, TestClock(), agent_hours="12:00-13:00") as live:
        available(desk_of(live.app), SUPERVISOR)  # signed in, but the line is closed
        result = run_scenario(live.network, Scenario.load(SCENARIOS / "after-hours.yaml"))
        assert result.passed, result.message


def test_a_callback_is_kept_through_an_app_restart_and_placed_when_an_agent_is_free(
    database_url: str,
) -> None:
    clock = TestClock()
    with served(database_url, clock) as live:
        result = run_scenario(live.network, Scenario.load(SCENARIOS / "callback-kept.yaml"))
        assert result.passed, result.message
    [booked] = general_calls(desk_of(live.app))

    with served(database_url, clock) as restarted:  # a new app process, the same database
        desk = desk_of(restarted.app)
        row = desk_call(desk, booked)
        assert (row.topic, row.mode, row.status) == ("general", "callback", "waiting")
        agent_id = available(desk, SUPERVISOR)
        wait_for(lambda: desk.tick() is not None and pending_offers(desk), "the offer")
        desk.accept(agent_id, offer_of(desk, agent_id))
        created = [
            r
            for r in restarted.standin.requests
            if r.method == "POST" and r.path.endswith("/Calls.json")
        ]
        assert [(r.form["To"], r.form["From"], r.status) for r in created] == [
            ("+8613800138000", SERVICE_NUMBER, 201)  # from the account's number for 10010
        ]
        assert created[0].form["Url"].endswith(f"/voice/desk/callback/{booked}/answer")
