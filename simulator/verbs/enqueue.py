"""``<Enqueue>``: the caller joins a queue and waits (:mod:`~simulator.verbs.hold`) until
something takes it out: an agent's ``<Dial><Queue>`` (then they talk), the REST API, the
caller, or the wait music. The ``<Enqueue action>`` request then says how (``QueueResult``).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator import twiml
from simulator.bridge import BridgeFailed
from simulator.control import BridgeTo
from simulator.queues import Member
from simulator.verbs.context import (
    AppError,
    Bridged,
    CallContext,
    CallEnded,
    Document,
    Redirected,
)
from simulator.verbs.hold import Left, QueueHold
from simulator.verbs.talk import talk

_QUEUE_URL_VERBS = frozenset({"Play", "Say", "Pause"})


def run(call: CallContext, verb: twiml.Enqueue, document: Document) -> Document | None:
    started = call.elapsed
    member = Member(call.sid, call.control, lambda: call.elapsed - started)
    queue_sid, joined = call.network.queues.enqueue(verb.queue_name, member)
    action = _Action(call, verb, document, queue_sid)
    if not joined:
        return action.request("queue-full", 0.0)
    hold = call.hold = QueueHold(call, verb.queue_name, started)
    try:
        outcome = _stay(call, verb, document, hold)
    except Bridged as bridged:
        queue_time = member.waited()
        _leave(call, verb, member)
        outcome = _talk_to_agent(call, bridged.command, queue_sid, queue_time)
        if outcome == "hangup":
            action.notify("bridged", queue_time)
            raise CallEnded("caller") from None
        return action.request(outcome, queue_time)
    except Redirected:
        action.notify("redirected", member.waited())
        raise
    except CallEnded:
        action.notify("hangup", member.waited())
        raise
    finally:
        _leave(call, verb, member)
        call.control.cancel_bridges()
    return action.request(outcome, member.waited())


@dataclass(frozen=True)
class _Action:
    """The ``<Enqueue action>`` of one stay in a queue."""

    call: CallContext
    verb: twiml.Enqueue
    document: Document
    queue_sid: str

    def request(self, outcome: str, waited: float) -> Document | None:
        """Fetch the action's TwiML; without an action the document goes on."""
        if self.verb.action is None:
            return None
        url = self.document.resolve(self.verb.action)
        return self.call.fetch(url, self.verb.method, self._params(outcome, waited))

    def notify(self, outcome: str, waited: float) -> None:
        """Tell the action how the stay ended when the call goes no further here (a
        redirect, a hang-up): its answer is ignored."""
        if self.verb.action is None:
            return
        url = self.document.resolve(self.verb.action)
        params = self.call.params() | self._params(outcome, waited)
        self.call.notify(self.verb.method, url, params, "<Enqueue> action")

    def _params(self, outcome: str, waited: float) -> dict[str, str]:
        return {"QueueResult": outcome, "QueueSid": self.queue_sid, "QueueTime": str(round(waited))}


def _stay(call: CallContext, verb: twiml.Enqueue, document: Document, hold: QueueHold) -> str:
    """Wait in the queue; ``leave`` or ``error`` when the caller comes out by itself."""
    try:
        hold.wait(verb, document)
    except Left:
        return "leave"
    except AppError as failure:
        error = failure.error
        call.warn(f"waitUrl: {error.message}", error.url, error.code)
        return "error"


def _leave(call: CallContext, verb: twiml.Enqueue, member: Member) -> None:
    call.hold = None
    call.network.queues.leave(verb.queue_name, member)


def _talk_to_agent(call: CallContext, command: BridgeTo, queue_sid: str, waited: float) -> str:
    """Dequeued by an agent: hear the ``<Queue url>`` TwiML, then talk. The queue result:
    ``bridged``, ``hangup`` (the caller hung up while bridged) or ``error``."""
    try:
        if command.url:
            params = {
                "QueueSid": queue_sid,
                "QueueTime": str(round(waited)),
                "DequeingCallSid": command.dequeuer,
            }
            document = call.fetch(command.url, command.method, params)
            call.run_document(document.allowing_only(_QUEUE_URL_VERBS, "a <Queue url> document"))
    except (AppError, CallEnded):
        command.bridge.cancel()
        raise
    try:
        caller_hung_up = talk(call, command.bridge)
    except BridgeFailed as failure:
        call.warn(f"bridge with {command.dequeuer}: {failure}")
        return "error"
    return "hangup" if caller_hung_up else "bridged"
