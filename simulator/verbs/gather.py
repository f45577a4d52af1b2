"""``<Gather>``: play the nested prompts, listen for keys or speech, and request the action
with what the caller gave; on silence, fall through to the next verb (or request the action
anyway with ``actionOnEmptyResult``).

Keys a caller goes on pressing after a ``<Gather>`` has ended (it took ``numDigits``, or its
finish key came) are not lost when the next ``<Gather>`` listens for keys: they arrive while
its prompts start and interrupt them, as any key does (barge-in), so ``111`` typed at the
language menu answers three menus of one key each. Keys pressed while nothing listens (a
``<Say>`` outside a ``<Gather>``, a queue) are lost, as on Twilio
(:meth:`~simulator.verbs.context.CallContext.keys_ahead`).
"""

from __future__ import annotations

from simulator import twiml
from simulator.inputs import Action, Hangup, Moment, Press, Speak
from simulator.timing import KEY_SECONDS, speech_seconds
from simulator.verbs import prompt
from simulator.verbs.context import CallContext, CallEnded, Document

_SPEECH_END_SECONDS = 1.0  # the silence after speech that tells the recognizer it ended


def run(
    call: CallContext, verb: twiml.Gather, document: Document, *, listening: bool = True
) -> Document | None:
    """Without ``listening`` the caller's input is not for this ``<Gather>`` (a caller on
    hold who only waits): it plays its prompts and times out."""
    ahead = call.keys_ahead() if listening and "dtmf" in verb.input_modes else ""
    action: Action | None
    if ahead:
        action = Press(ahead)  # pressed as the first prompt starts: nothing of it is heard
    else:
        for nested in verb.prompts:
            prompt.run(call, nested, document, in_gather=True)
        action = call.ask(Moment.GATHER, verb) if listening else None
    if isinstance(action, Hangup):
        raise CallEnded("caller")
    params = _heard(call, verb, action)
    if not params:
        call.spend(verb.timeout)
        if not verb.action_on_empty_result:
            return None
    url = document.resolve(verb.action) if verb.action else document.url
    return call.fetch(url, verb.method, params)


def _collect(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str, str]:
    """Digits a ``<Gather>`` keeps from ``keys``, the finish key that ended it ("" if
    none), and the keys pressed after its end, which are not part of this Gather."""
    digits = ""
    for at, key in enumerate(keys):
        if finish_on_key and key == finish_on_key:
            return digits, key, keys[at + 1 :]
        digits += key
        if num_digits and len(digits) >= num_digits:
            return digits, "", keys[at + 1 :]
    return digits, "", ""


def _heard(call: CallContext, verb: twiml.Gather, action: Action | None) -> dict[str, str]:
    """The action request's parameters for what the caller did; empty for no input."""
    if isinstance(action, Press) and "dtmf" in verb.input_modes:
        return _keys(call, verb, action)
    if isinstance(action, Speak) and "speech" in verb.input_modes:
        return _speech(call, verb, action)
    return {}


def _keys(call: CallContext, verb: twiml.Gather, action: Press) -> dict[str, str]:
    digits, finished_on, after = _collect(action.digits, verb.num_digits, verb.finish_on_key)
    call.spend(KEY_SECONDS * (len(digits) + len(finished_on)))
    call.press_on(after)
    if not digits:
        return {}
    if not finished_on and len(digits) != verb.num_digits:
        call.spend(verb.timeout)  # the caller stopped short: the Gather waits for more
    return {"Digits": digits, "FinishedOnKey": finished_on}


def _speech(call: CallContext, verb: twiml.Gather, action: Speak) -> dict[str, str]:
    text, confidence = call.speech(action, verb.language)
    if not text:
        return {}
    call.spend(speech_seconds(text) + _SPEECH_END_SECONDS)
    params = {"SpeechResult": text}
    if confidence is not None:  # Twilio may omit it too; the app then has None
        params["Confidence"] = f"{confidence:.2f}"
    return params
