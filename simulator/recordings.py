"""Recordings made by ``<Record>``, kept for the application to fetch from the REST stand-in."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.sids import new_sid


@dataclass(frozen=True)
class Recording:
    sid: str
    call_sid: str
    text: str  # what the caller said, served as X-Recording-Text
    duration: float
    audio: bytes = field(repr=False)
    date_created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Recordings:
    """Every recording by sid, and where it is served.

    ``account_sid`` is read whenever a URL is made, so that it follows the network's
    configuration; ``media_base_url`` is set by the REST stand-in that serves the audio.
    """

    def __init__(self, account_sid: Callable[[], str]) -> None:
        self.media_base_url: str | None = None
        self._account_sid = account_sid
        self._lock = threading.Lock()
        self._recordings: dict[str, Recording] = {}

    def store(self, call_sid: str, text: str, duration: float, audio: bytes) -> Recording:
        recording = Recording(new_sid("RE"), call_sid, text, duration, audio)
        with self._lock:
            self._recordings[recording.sid] = recording
        return recording

    def get(self, sid: str) -> Recording | None:
        with self._lock:
            return self._recordings.get(sid)

    def url(self, sid: str) -> str | None:
        """Where the app can fetch a recording (WAV), or None without a media endpoint."""
        if self.media_base_url is None:
            return None
        base = self.media_base_url.rstrip("/")
        return f"{base}/2010-04-01/Accounts/{self._account_sid()}/Recordings/{sid}"
