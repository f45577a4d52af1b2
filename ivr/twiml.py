"""Render a :class:`~ivr.reply.Reply` as TwiML with the real ``twilio.twiml`` builders."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Protocol

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import intents
from ivr.config import Settings
from ivr.logs import log_event
from ivr.reply import Action, Dial, Hangup, Hold, Leave, Line, Listen, Record, Reply, ToQueue
from prompts import catalog

STEP_URL = "/voice/step"
NO_INPUT_URL = "/voice/no-input"
QUEUE_WAIT_URL = "/voice/queue/wait"
QUEUE_DONE_URL = "/voice/queue/done"
PROMPT_AUDIO_URL = "/voice/prompts/"
COMPLAINT_RECORDING_URL = "/voice/complaints/recording"

SAY_LANGUAGE = {"zh-CN": "cmn-CN", "en-US": "en-US"}
GATHER_LANGUAGE = {"zh-CN": "cmn-Hans-CN", "en-US": "en-US"}


logger = logging.getLogger(__name__)

RENDERED_REPLIES = 4096
"""Distinct replies whose TwiML a process keeps (menus, and recent figures)."""

_LinesKey = tuple[tuple[str, tuple[tuple[str, str], ...], str | None], ...]


class PromptAudioLookup(Protocol):
    def path_for(self, key: str, language: str) -> str | None: ...

    def line_path(self, key: str, params: Mapping[str, str], language: str) -> str | None: ...

    def hold_music(self) -> str | None: ...


class Renderer:
    """Turns replies into TwiML in one voice: with prompt audio on, every line ``<Play>``
    (static prompts pre-rendered, lines with figures joined from pre-rendered clips); with
    it off, or when any line of the reply has no audio, every line ``<Say>``.

    The URLs of ``<Play>`` and ``waitUrl`` are absolute, under ``PUBLIC_BASE_URL``: Twilio
    asks for fully qualified ones (error 14202). The setting is fixed for the process, so
    the TwiML of a reply still never changes and is built once.
    """

    def __init__(self, settings: Settings, audio: PromptAudioLookup | None) -> None:
        self._voices = {"zh-CN": settings.voice_zh, "en-US": settings.voice_en}
        self._gather_timeout = settings.gather_timeout_s
        self._audio = audio if settings.prompt_audio else None
        self._base_url = settings.public_base_url.rstrip("/")
        self._rendered = functools.lru_cache(maxsize=RENDERED_REPLIES)(self._build)

    def render(self, reply: Reply, language: str) -> str:
        """The TwiML of *reply* in *language*. The same reply always renders the same TwiML,
        so each distinct one is built once per process (a menu's, every time it is asked)."""
        lines = tuple((line.key, tuple(line.params.items()), line.language) for line in reply.lines)
        return self._rendered(lines, reply.action, language)

    def _build(self, lines: _LinesKey, action: Action, language: str) -> str:
        reply = Reply(tuple(Line(key, dict(params), lang) for key, params, lang in lines), action)
        response = VoiceResponse()
        if isinstance(action, Listen) and action.digits:
            gather = response.gather(
                input="dtmf",
                action=action.action or STEP_URL,
                method="POST",
                timeout=self._gather_timeout,
                num_digits=action.digits,
                finish_on_key="#",
            )
            self._speak(gather, reply.lines, language)
            response.redirect(NO_INPUT_URL, method="POST")
        elif isinstance(action, Listen):
            # One key answers a menu: with numDigits the step comes as the key is pressed,
            # not a timeout later. Keys typed on reach the next menus as they start.
            listen_language = action.speech_language or language
            gather = response.gather(
                input="dtmf speech",
                action=action.action or STEP_URL,
                method="POST",
                timeout=self._gather_timeout,
                num_digits=1,
                finish_on_key="",
                speech_timeout="auto",
                language=GATHER_LANGUAGE[listen_language],
                hints=intents.hints(listen_language),
            )
            self._speak(gather, reply.lines, language)
            response.redirect(NO_INPUT_URL, method="POST")
        elif isinstance(action, Hold):
            gather = response.gather(
                input="dtmf", num_digits=1, action=action.key_action, method="POST", timeout=1
            )
            self._speak(gather, reply.lines, language)
            music = self._hold_music(action)
            if music is not None:
                gather.play(music)
            else:
                gather.pause(length=action.seconds)
        else:
            self._speak(response, reply.lines, language)
            if isinstance(action, ToQueue):
                response.enqueue(
                    action.queue,
                    wait_url=self._base_url + (action.wait_url or QUEUE_WAIT_URL),
                    wait_url_method="POST",
                    action=action.action_url or QUEUE_DONE_URL,
                    method="POST",
                )
            elif isinstance(action, Hangup):
                response.hangup()
            elif isinstance(action, Record):
                response.record(
                    action=action.action,
                    method="POST",
                    max_length=action.max_length,
                    timeout=self._gather_timeout,
                    finish_on_key="#",
                    play_beep=True,
                )
                response.redirect(action.action, method="POST")
            elif isinstance(action, Dial):
                dial = response.dial(
                    action=action.action,
                    method="POST",
                    timeout=action.timeout,
                    caller_id=action.caller_id,
                )
                if action.to.startswith("client:"):
                    dial.client(action.to.removeprefix("client:"))
                else:
                    dial.number(action.to)
            elif isinstance(action, Leave):
                response.leave()
        return str(response)

    def _speak(
        self, target: VoiceResponse | Gather, lines: tuple[Line, ...], language: str
    ) -> None:
        files = self._audio_files(lines, language)
        if files is not None:
            for file in files:
                target.play(self._audio_url(file))
            return
        for line in lines:
            lang = line.language or language
            target.say(
                catalog.text(line.key, lang, line.params),
                voice=self._voices[lang],
                language=SAY_LANGUAGE[lang],
            )

    def _audio_url(self, file: str) -> str:
        return self._base_url + PROMPT_AUDIO_URL + file

    def _hold_music(self, action: Hold) -> str | None:
        """What plays while a caller holds: ``DESK_HOLD_MUSIC_URL`` when set, else the
        rendered hold music. None without either (no prompt audio, or not rendered yet):
        the caller then holds in silence, as Twilio plays its own music only without a
        waitUrl, and a warning says so."""
        if action.music_url:
            return action.music_url
        music = self._audio.hold_music() if self._audio is not None else None
        if music is None:
            log_event(logger, "hold_music.missing", logging.WARNING, seconds=action.seconds)
            return None
        return self._audio_url(music)

    def _audio_files(self, lines: tuple[Line, ...], language: str) -> list[str] | None:
        """The audio of every line, or None to say them all: one voice per reply."""
        if self._audio is None or not lines:
            return None
        files = []
        for line in lines:
            lang = line.language or language
            if line.static:
                file = self._audio.path_for(line.key, lang)
            else:
                file = self._audio.line_path(line.key, line.params, lang)
            if file is None:
                log_event(
                    logger,
                    "prompt_audio.missing",
                    logging.WARNING,
                    key=line.key,
                    language=lang,
                    said=[other.key for other in lines],
                )
                return None
            files.append(file)
        return files
