"""WAV audio as the network handles it: how long a file plays, and silence to stand in for a
recording when the caller gave no audio."""

from __future__ import annotations

import io
import wave


def wav_seconds(body: bytes) -> float | None:
    """How long a RIFF WAVE file plays, whatever its encoding; None if it is not one.

    Read from the header rather than with ``wave``, which knows PCM only: the app's prompts
    are 8 kHz μ-law. The ``data`` chunk's size over the ``fmt`` chunk's bytes per second;
    a data size of 0 or 0xFFFFFFFF (a WAV written to a pipe) or past the end of the body
    means "to the end of the body".
    """
    if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        return None
    bytes_per_second = 0
    offset = 12
    while offset + 8 <= len(body):
        chunk = body[offset : offset + 4]
        size = int.from_bytes(body[offset + 4 : offset + 8], "little")
        start = offset + 8
        if chunk == b"fmt " and size >= 16 and start + 16 <= len(body):
            rate = int.from_bytes(body[start + 4 : start + 8], "little")
            average = int.from_bytes(body[start + 8 : start + 12], "little")
            block_align = int.from_bytes(body[start + 12 : start + 14], "little")
            bytes_per_second = average or rate * block_align
        elif chunk == b"data":
            available = len(body) - start
            data_size = available if size in (0, 0xFFFFFFFF) else min(size, available)
            return data_size / bytes_per_second if bytes_per_second else None
        offset = start + size + (size & 1)
    return None


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """``seconds`` of silence as 16-bit mono PCM WAV at ``rate`` Hz."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()
