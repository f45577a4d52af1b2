"""``<Say>``, ``<Play>`` and ``<Pause>``: what the caller hears, and how long it lasts.

``loop="0"`` repeats until something interrupts it (an agent, the REST API); inside a
``<Gather>`` that is the caller's input, so there it is heard once.
"""

from __future__ import annotations

import math
from urllib.parse import unquote

from simulator import twiml
from simulator.result import Heard
from simulator.timing import KEY_SECONDS, speech_seconds
from simulator.verbs.context import CallContext, Document
from simulator.wav import wav_seconds
from simulator.webhook import FetchError

_DEFAULT_PLAY_SECONDS = 3.0  # media whose length cannot be read (not WAV)


def run(call: CallContext, verb: twiml.Prompt, document: Document, *, in_gather: bool) -> None:
    """Any of the three, as a ``<Gather>`` nests them."""
    if isinstance(verb, twiml.Say):
        say(call, verb, in_gather=in_gather)
    elif isinstance(verb, twiml.Play):
        play(call, verb, document, in_gather=in_gather)
    else:
        pause(call, verb)


def say(call: CallContext, verb: twiml.Say, *, in_gather: bool = False) -> None:
    heard = Heard("say", verb.text, verb.language, verb.voice, at=call.elapsed)
    _repeat(call, heard, speech_seconds(verb.text), verb.loop, in_gather)


def play(
    call: CallContext, verb: twiml.Play, document: Document, *, in_gather: bool = False
) -> None:
    """The ``digits`` tones, then the media at ``url``; media that cannot be fetched is
    skipped, as Twilio does, with a warning."""
    if verb.digits:
        call.hear(Heard("digits", verb.digits, at=call.elapsed))
        call.spend(KEY_SECONDS * len(verb.digits))
    if not verb.url:
        return
    media = _media(call, document.resolve(verb.url))
    if media is not None:
        heard, seconds = media
        _repeat(call, heard, seconds, verb.loop, in_gather)


def pause(call: CallContext, verb: twiml.Pause) -> None:
    call.spend(verb.length)


def _repeat(call: CallContext, heard: Heard, seconds: float, loop: int, in_gather: bool) -> None:
    for _ in range(max(loop, 1)):
        call.hear(heard)
        call.spend(seconds)
    if loop == 0 and not in_gather:
        call.spend(math.inf)


def _media(call: CallContext, url: str) -> tuple[Heard, float] | None:
    """What the caller hears at ``url`` (the prompt's text when the server sends
    ``X-Prompt-Text``) and how long it lasts; None when it cannot be fetched."""
    try:
        fetched = call.download(url)
    except FetchError as error:
        call.warn(f"<Play> media: {error.message}; skipped", error.url, error.code)
        return None
    prompt_text = fetched.headers.get("X-Prompt-Text")
    text = unquote(prompt_text) if prompt_text else url
    language = fetched.headers.get("Content-Language", "")
    seconds = wav_seconds(fetched.body) or _DEFAULT_PLAY_SECONDS
    return Heard("play", text, language, url=url, at=call.elapsed), seconds
