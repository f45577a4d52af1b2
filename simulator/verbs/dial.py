"""``<Dial>``: ring numbers (the network's other parties) or clients (Voice SDK endpoints
registered with the network: an identity nobody registered does not answer), or take the
first caller out of a queue (an agent answering); talk until someone hangs up, then the
``<Dial action>`` request says how the dialled leg went."""

from __future__ import annotations

import math
from typing import NamedTuple

from simulator import twiml
from simulator.bridge import Bridge, BridgeFailed
from simulator.clients import Ringing
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
    """Ring the numbers and clients, one after another in the document's order (Twilio rings
    them all at once; the service dials one); the first that answers talks."""
    statuses = []
    for target in verb.targets:
        rung = _ring_client(call, target, verb) if target.kind == "client" else _ring(call, target)
        if isinstance(rung, str):
            statuses.append(rung)
            continue
        sid, bridge = rung
        started = call.elapsed
        try:
            hung_up = talk(call, bridge)
        except BridgeFailed as failure:
            call.warn(f"<Dial> {target.kind} {target.value}: {failure}")
            return _Leg("completed", sid, call.elapsed - started, False)
        return _Leg("completed", sid, call.elapsed - started, hung_up)
    status = statuses[0]
    call.spend(verb.timeout if status == _UNANSWERED else _NOT_ANSWERED_SECONDS)
    return _Leg(status, "", 0.0, False)


def _ring(call: CallContext, target: twiml.DialTarget) -> tuple[str, Bridge] | str:
    """A number: it answers (the dialled leg's sid, a bridge to it) or ends as set."""
    parties = call.network.parties
    outcome = parties.outcome_for(target.value)
    if outcome != "completed":
        return outcome
    sid = new_sid("CA")
    return sid, Bridge.with_phone(call.sid, sid, parties.talk_seconds(target.value))


def _ring_client(
    call: CallContext, target: twiml.DialTarget, verb: twiml.Dial
) -> tuple[str, Bridge] | str:
    """A client identity: its registered endpoint answers within the dial's timeout, or it
    ends unanswered; an identity nobody registered is ``no-answer`` at once."""
    endpoint = call.network.clients.endpoint_for(target.value)
    if endpoint is None:
        call.warn(f"<Dial><Client>{target.value}: no Voice SDK client is registered as it")
        return _UNANSWERED
    sid = new_sid("CA")
    ringing = Ringing(
        call_sid=sid,
        from_=verb.caller_id or call.params()["From"],
        to=f"client:{target.value}",
        account_sid=call.network.config.account_sid,
    )
    answered = endpoint.ring(ringing, float(verb.timeout))
    if isinstance(answered, str):
        return answered
    bridge = Bridge(call.sid, sid)
    answered.join(bridge)
    return sid, bridge
