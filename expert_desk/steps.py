"""The caller's path as the console shows it: each state of the call flows named in words an
agent reads ("Main menu › Queries › Balance"), never the flows' internal state names.

Every state of the hotline has a label here (a test holds it to ``flows.states()``); a state
a newer release no longer has, still named in an older call's events, is shown as its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

STEP_LABELS: Final[Mapping[str, str]] = {
    "language": "Language menu",
    "main": "Main menu",
    "queries": "Queries",
    "balance": "Balance",
    "usage": "Usage",
    "usage_trail": "Data trail",
    "bill": "Bills",
    "unknown_caller": "Not a subscriber's phone",
    "agent": "Asked for an agent",
    "services": "Services",
    "complaints": "Complaints",
    "complaint.category": "Complaints",
    "complaint.payment_not_reopened": "Complaint: paid, line not reopened",
    "complaint.abnormal_suspension": "Complaint: line suspended for no reason",
    "complaint.network": "Complaint: signal or data",
    "complaint.billing": "Complaint: charges",
    "complaint.other": "Complaint: other",
    "complaint.recording": "Describing the complaint",
    "complaint.add_offer": "Same complaint already open",
    "complaint.adding": "Adding to the open ticket",
    "complaint.added": "Added to the open ticket",
    "complaint.filed": "Ticket filed",
    "expert_desk": "Expert desk",
    "expert_desk.question": "Recording the question",
    "expert_desk.joining": "Waiting in line",
    "expert_desk.offer": "Turned away from the line",
    "expert_desk.callback_confirm": "Callback number read back",
    "expert_desk.callback_booked": "Callback booked",
    "password": "Service password",
    "password.change": "Changing the password",
    "password.current": "Current password",
    "password.new": "New password",
    "password.confirm": "New password again",
    "password.forgot": "Forgotten password",
    "service.done": "Service done",
    "roaming": "Roaming",
    "roaming.switch": "Roaming on or off",
    "roaming.destination": "Roaming destination",
    "roaming.destination_other": "Roaming destination (said)",
    "roaming.sea": "Travelling by sea?",
    "verify": "Another number",
    "verify.number": "Another number: the number",
    "verify.password": "Another number: its password",
    "payment": "Asked to pay (not by phone)",
    "keep_number": "Asked to keep the number (not by phone)",
}


QUERY_LABELS: Final[Mapping[str, str]] = {
    "balance": "Balance",
    "usage": "Usage",
    "trail": "Data trail",
    "bill": "Bills",
    "roaming": "Roaming",
}
"""What the caller queried in the call (the services whose figures they heard)."""

LINE_LABELS: Final[Mapping[str, str]] = {
    "active": "open",
    "suspended_arrears": "suspended for arrears",
}
"""A subscriber's line status, as the card shows it."""


def caller_path(states: Iterable[str]) -> tuple[str, ...]:
    """The states a caller entered, in order, as labels; a label repeated in a row (the
    complaints menu reached through its entry state) is shown once."""
    path: list[str] = []
    for state in states:
        label = STEP_LABELS.get(state, state)
        if not path or path[-1] != label:
            path.append(label)
    return tuple(path)
