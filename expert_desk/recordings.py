"""Recorded questions: fetch the audio Twilio recorded, transcribe it with the configured
speech backend (:mod:`speech.recognition`). Any failure means no transcript, never a failed call:
the agent then sees that the question was recorded but not transcribed."""

from __future__ import annotations

import logging
from collections.abc import Callable

import requests

from expert_desk.settings import DeskSettings
from expert_desk.telephony import same_host
from ivr.logs import log_event
from speech.recognition import Recognizer, SpeechError

logger = logging.getLogger("expert_desk.recordings")
API_HOST = "https://api.twilio.com"
FETCH_TIMEOUT_S = 10
MAX_AUDIO_BYTES = 8 * 1024 * 1024

Transcriber = Callable[[bytes, str], str | None]
"""WAV bytes and the caller's language → the words, or None."""


def recording_allowed(settings: DeskSettings, url: str) -> bool:
    """Only recordings on Twilio's API host (or the configured stand-in) are fetched."""
    return same_host(url, settings.twilio_api_base_url or API_HOST)


def fetch(settings: DeskSettings, url: str) -> bytes | None:
    """The WAV Twilio recorded, or None (and a log line) when it cannot be had."""
    if not recording_allowed(settings, url):
        log_event(logger, "desk.recording_refused", logging.WARNING, url=url[:200])
        return None
    try:
        response = requests.get(
            url,
            auth=(settings.twilio_account_sid, settings.twilio_auth_token),
            timeout=FETCH_TIMEOUT_S,
        )
        response.raise_for_status()
    except requests.RequestException as error:
        log_event(logger, "desk.recording_unavailable", logging.WARNING, error=str(error)[:200])
        return None
    return response.content[:MAX_AUDIO_BYTES]


def transcriber(recognizer: Recognizer) -> Transcriber:
    """Recorded questions to text with *recognizer*; None (and a log line) when it fails."""

    def transcribe(wav: bytes, language: str) -> str | None:
        try:
            text = recognizer.transcribe(wav, language).text.strip()
        except (SpeechError, ValueError) as error:
            log_event(
                logger,
                "desk.transcription_failed",
                logging.INFO,
                language=language,
                reason=f"{type(error).__name__}: {str(error)[:160]}",
            )
            return None
        return text or None

    return transcribe
