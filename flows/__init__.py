"""The caller-facing flows: every state of the hotline, by name, and where each number enters."""

from __future__ import annotations

from collections.abc import Mapping

from flows.agent import TransferringToAgent
from flows.balance import ReadingBalance
from flows.bill import ReadingBill
from flows.complaints import complaint_states
from flows.elsewhere import states as elsewhere_states
from flows.expert_desk import states as expert_desk_states
from flows.menus import ChoosingLanguage, MainMenu, QueriesMenu
from flows.password import (
    ChangingPassword,
    ChoosingNewPassword,
    ConfirmingNewPassword,
    EnteringCurrentPassword,
    FinishedService,
    PasswordMenu,
    SendingTemporaryPassword,
    ServicesMenu,
)
from flows.roaming import roaming_states
from flows.unknown_caller import UnknownCaller
from flows.usage import ReadingTrail, ReadingUsage
from flows.verification import (
    EnteringServicePassword,
    EnteringSubscriberNumber,
    StartingVerification,
)
from ivr.flow import CallFlows, State
from ivr.numbers import Entry


def call_flows() -> CallFlows:
    """The hotline's flows as the engine runs them."""
    return CallFlows(states(), ENTRIES, AGENT, SPEECH_ROUTES)


AGENT = "agent"
"""The state that puts a caller through to an agent (key 0 anywhere, the last wrong key)."""

SPEECH_ROUTES: Mapping[str, str] = {
    "balance": "balance",
    "usage": "usage",
    "bill": "bill",
    "agent": AGENT,
    "queries": "queries",
    "main_menu": "main",
    "services": "services",
    "complaint": "complaints",
    "expert": "expert_desk",
    "password": "password",
    "roaming": "roaming",
    "usage_trail": ReadingTrail.name,
    "payment": "payment",
    "keep_number": "keep_number",
}
"""The state each service named by voice leads to, from any menu (payment and keep_number:
the answer that they are not done by phone, and where they are)."""

ENTRIES: Mapping[Entry, str] = {
    Entry.HOTLINE: "language",
    Entry.BALANCE: "balance",
    Entry.USAGE: "usage",
    Entry.BILL: "bill",
    Entry.PASSWORD: "password",
}


def states() -> dict[str, State]:
    """Every state of the hotline, keyed by the name stored with each call."""
    all_states: list[State] = [
        ChoosingLanguage(),
        MainMenu(),
        QueriesMenu(),
        ReadingBalance(),
        ReadingUsage(),
        ReadingTrail(),
        ReadingBill(),
        UnknownCaller(),
        TransferringToAgent(),
        ServicesMenu(),
        *complaint_states(),
        *expert_desk_states(),
        PasswordMenu(),
        ChangingPassword(),
        EnteringCurrentPassword(),
        ChoosingNewPassword(),
        ConfirmingNewPassword(),
        SendingTemporaryPassword(),
        FinishedService(),
        *roaming_states(),
        *elsewhere_states(),
        StartingVerification(),
        EnteringSubscriberNumber(),
        EnteringServicePassword(),
    ]
    return {state.name: state for state in all_states}
