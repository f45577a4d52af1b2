"""``<Dial>``: ring numbers or clients (the network's other parties), or take the first
caller out of a queue (an agent answering); talk until someone hangs up, then the
``<Dial action>`` request says how the dialled leg went."""

from __future__ import annotations

import math
from typing import NamedTuple

from simulator import twiml
from simulator.bridge import Bridge, BridgeFailed
from simulator.control import BridgeTo
from simulator.sids import new_sid
from simulator.verbs.context import CallContext, CallEnded, Document
from simulator.verbs.talk import talk

_UNANSWERED = "no-answer"
_NOT_ANSWERED_SECONDS = 1.0  # how long a busy or failed number takes to say so


class _Leg(NamedTuple):
    """The dialled leg: its status and sid, how long it talked, whether our caller hung up."""

    status: str
    sid: str
    seconds: float
    caller_hung_up: bool


def run(call: CallContext, verb: twiml.Dial, document: Document) -> Document | None:
    target = verb.targets[0]
    if target.kind == "queue":
        leg = _dial_queue(call, target, verb, document)
    else:
        leg = _dial_parties(call, verb)
    params = {
        "DialCallStatus": leg.status,
        "DialCallSid": leg.sid,
        "DialCallDuration": str(math.ceil(leg.seconds)),
    }
    url = document.resolve(verb.action) if verb.action else None
    if leg.caller_hung_up:
        if url:
            call.notify(verb.method, url, call.params() | params, "<Dial> action")
        raise CallEnded("caller")
    return call.fetch(url, verb.method, params) if url else None


def _dial_queue(
    call: CallContext, target: twiml.DialTarget, verb: twiml.Dial, document: Document
) -> _Leg:
    """Bridge with the first caller waiting in the queue, who first hears the ``<Queue url>``."""
    member = call.network.queues.dequeue_front(target.value)
    if member is None:
        call.spend(verb.timeout)
        return _Leg(_UNANSWERED, "", 0.0, False)
    bridge = Bridge(caller=member.call_sid, callee=call.sid)
    url = document.resolve(target.url) if target.url else None
    member.control.post(BridgeTo(bridge, call.sid, url, target.method))
    started = call.elapsed
    try:
        hung_up = talk(call, bridge)
    except BridgeFailed as failure:
        call.warn(f"<Dial><Queue>: {failure}")
        return _Leg(_UNANSWERED, member.call_sid, 0.0, False)
    return _Leg("completed", member.call_sid, call.elapsed - started, hung_up)


def _dial_parties(call: CallContext, verb: twiml.Dial) -> _Leg:
    """Ring the numbers/clients; the first that answers talks as its script says."""
    parties = call.network.parties
    outcomes = [(target, parties.outcome_for(target.value)) for target in verb.targets]
    answering = next((target for target, outcome in outcomes if outcome == "completed"), None)
    if answering is None:
        status = outcomes[0][1]
        call.spend(verb.timeout if status == _UNANSWERED else _NOT_ANSWERED_SECONDS)
        return _Leg(status, "", 0.0, False)
    dialled_sid = new_sid("CA")
    bridge = Bridge.with_phone(call.sid, dialled_sid, parties.talk_seconds(answering.value))
    started = call.elapsed
    hung_up = talk(call, bridge)
    return _Leg("completed", dialled_sid, call.elapsed - started, hung_up)
