"""``<Record>``: a beep, what the caller says until a finish key, a hang-up or silence; the
recording is kept on the network and the action request says where to fetch it."""

from __future__ import annotations

from simulator import twiml
from simulator.inputs import Hangup, Moment, Press, Speak
from simulator.result import Heard
from simulator.timing import speech_seconds
from simulator.verbs.context import CallContext, CallEnded, Document
from simulator.wav import silent_wav, wav_seconds

_RECORDING_LANGUAGE = "en-US"  # <Record> has no language; Twilio transcribes in English


def run(call: CallContext, verb: twiml.Record, document: Document) -> Document | None:
    if verb.play_beep:
        call.hear(Heard("beep", "(beep)", at=call.elapsed, origin="network"))
    action = call.ask(Moment.RECORD)
    if isinstance(action, Hangup):
        raise CallEnded("caller")
    if not isinstance(action, Speak):
        call.spend(verb.timeout)  # no audio: Twilio moves on to the next verb
        return None
    text, _ = call.speech(action, _RECORDING_LANGUAGE)
    audio = action.audio.read_bytes() if action.audio else b""
    seconds = min(float(verb.max_length), wav_seconds(audio) or speech_seconds(text))
    call.spend(seconds)
    params = _ending(call, verb)
    recordings = call.network.recordings
    recording = recordings.store(call.sid, text, seconds, audio or silent_wav(seconds))
    recording_url = recordings.url(recording.sid)
    if recording_url is None:
        call.warn("<Record>: no media endpoint serves recordings; start a RestStandin")
    params |= {
        "RecordingUrl": recording_url or "",
        "RecordingDuration": str(round(seconds)),
        "RecordingSid": recording.sid,
    }
    url = document.resolve(verb.action) if verb.action else document.url
    if params.get("Digits") == "hangup":
        call.notify(verb.method, url, call.params() | params, "<Record> action")
        raise CallEnded("caller")
    return call.fetch(url, verb.method, params)


def _ending(call: CallContext, verb: twiml.Record) -> dict[str, str]:
    """How the recording ended, as the action's ``Digits``: the finish key, ``hangup``, or
    nothing after ``timeout`` seconds of silence."""
    ending = call.ask(Moment.RECORD_END)
    if isinstance(ending, Press) and ending.digits[:1] and ending.digits[0] in verb.finish_on_key:
        return {"Digits": ending.digits[0]}
    if isinstance(ending, Hangup):
        return {"Digits": "hangup"}
    call.spend(verb.timeout)
    return {}
