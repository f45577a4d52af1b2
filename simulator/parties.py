"""The other phones on the network: numbers a call dials, and the callees of outbound calls.

Each number answers as its outcome says (``completed`` unless set otherwise) and then does
what its script says; without a script it talks for a while and hangs up.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

from simulator.inputs import Action, Hangup, Wait

OUTCOMES = ("completed", "busy", "no-answer", "failed")


class Parties:
    """Outcomes and scripts by number. ``talk_seconds`` is read whenever a default script is
    made, so that it follows the network's configuration (``party_talk_seconds``)."""

    def __init__(self, talk_seconds: Callable[[], float]) -> None:
        self._talk_seconds = talk_seconds
        self._lock = threading.Lock()
        self._outcomes: dict[str, str] = {}
        self._scripts: dict[str, list[Action]] = {}

    def set_outcome(self, number: str, status: str) -> None:
        """Calls to ``number`` end ``busy``, ``no-answer`` or ``failed`` (``completed`` resets)."""
        if status not in OUTCOMES:
            raise ValueError(f"unknown call outcome {status!r}")
        with self._lock:
            self._outcomes[number] = status

    def outcome_for(self, number: str) -> str:
        with self._lock:
            return self._outcomes.get(number, "completed")

    def set_script(self, number: str, actions: Sequence[Action]) -> None:
        """What the person at ``number`` does when called (default: talks, then hangs up)."""
        with self._lock:
            self._scripts[number] = list(actions)

    def script_for(self, number: str) -> list[Action]:
        with self._lock:
            script = self._scripts.get(number)
        return list(script) if script is not None else [Wait(self._talk_seconds()), Hangup()]

    def talk_seconds(self, number: str) -> float:
        """How long ``number`` talks once bridged: the ``Wait`` steps of its script until a
        ``Hangup`` (other steps are for a call's prompts, which a plain phone has none of);
        ``math.inf`` when its script never hangs up."""
        total = 0.0
        for action in self.script_for(number):
            if isinstance(action, Wait):
                total += action.seconds
            elif isinstance(action, Hangup):
                return total
        return math.inf
