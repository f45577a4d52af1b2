"""The desk's webhook paths, shared by the flow (TwiML it renders) and the blueprint."""

from __future__ import annotations

from typing import Final

from expert_desk.settings import DeskSettings
from ivr.reply import ToQueue

PREFIX: Final = "/voice/desk"
TOPIC: Final = PREFIX + "/topic"
QUESTION: Final = PREFIX + "/question"
WAIT: Final = PREFIX + "/wait"
WAIT_KEY: Final = PREFIX + "/wait/key"
DONE: Final = PREFIX + "/done"
CONNECT: Final = PREFIX + "/connect/{id}"
DIALED: Final = PREFIX + "/dialed/{id}"
CALLBACK_ANSWER: Final = PREFIX + "/callback/{id}/answer"
CALLBACK_STATUS: Final = PREFIX + "/callback/{id}/status"


def in_line(settings: DeskSettings) -> ToQueue:
    """Hold in the desk's queue, with its wait music and its way out."""
    return ToQueue(settings.desk_queue, wait_url=WAIT, action_url=DONE)
