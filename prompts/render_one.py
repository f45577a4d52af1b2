"""Worker process: speak ONE text with pyttsx3 (espeak-ng) into a 22,050 Hz PCM WAV file.

Run by :mod:`prompts.render`, one process per utterance: pyttsx3 2.99 mixes audio between
files and drops settings when one process saves several files (see docs/speech.md), and an
engine that hangs can only be stopped by killing its process.

    python prompts/render_one.py --probe
        prints {"espeak": version, "voices": [ids]} as JSON
    python prompts/render_one.py --voice ID --rate WPM --out FILE  (text on stdin, UTF-8)

Kept free of project imports so that it runs by path, whatever the working directory.
Exit status: 0 done, 3 espeak-ng missing, 4 voice missing, 5 synthesis failed.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import sys
import time
import wave
from pathlib import Path
from typing import Any

ESPEAK_MISSING = 3
VOICE_MISSING = 4
SYNTHESIS_FAILED = 5


class WorkerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _engine() -> Any:
    import pyttsx3

    try:
        return pyttsx3.init("espeak")
    except (RuntimeError, OSError) as exc:
        raise WorkerError(ESPEAK_MISSING, f"cannot load espeak-ng: {exc}") from exc


def _voice_ids(engine: Any) -> list[str]:
    return [voice.id for voice in engine.getProperty("voices")]


def _espeak_version() -> str:
    """The espeak-ng library version, part of the render cache key."""
    name = ctypes.util.find_library("espeak-ng")
    if name is None:
        return "unknown"
    info = ctypes.CDLL(name).espeak_Info
    info.restype = ctypes.c_char_p
    return (info(None) or b"unknown").decode()


def _complete(path: Path) -> bool:
    """True once the WAV file holds every frame its header announces.

    pyttsx3 writes the file from espeak's synthesis thread, at times after ``runAndWait()``
    has returned, and the header (final frame count included) goes out before the samples:
    a file that exists and is non-empty may still be cut short if the process exits now.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            size = frames * wav.getsampwidth() * wav.getnchannels()
            return frames > 0 and len(wav.readframes(frames)) == size
    except (OSError, EOFError, wave.Error):
        return False


def probe() -> dict[str, Any]:
    return {"espeak": _espeak_version(), "voices": _voice_ids(_engine())}


def speak(text: str, voice: str, rate: int, out: Path, wait: float) -> None:
    """Save *text* to *out*, then wait (at most *wait* s) until the file holds audio.

    pyttsx3 queues property changes and swallows their errors into an ``error`` event, and
    an unknown voice falls back to English silently: both are checked explicitly.
    The rate is set twice on purpose: set once, espeak-ng (asynchronous mode) now and then
    keeps pyttsx3's initial 200 wpm instead: 12 to 15% of runs when the engine idles 50 ms
    first, about 2% under load; set twice, none in 800 runs.
    """
    engine = _engine()
    if voice not in _voice_ids(engine):
        raise WorkerError(VOICE_MISSING, f"espeak-ng has no voice {voice!r}")
    errors: list[BaseException] = []
    engine.connect("error", lambda name, exception: errors.append(exception))
    engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)
    engine.setProperty("rate", rate)
    engine.save_to_file(text, str(out))
    engine.runAndWait()
    if errors:
        raise WorkerError(SYNTHESIS_FAILED, f"pyttsx3 reported: {errors[0]!r}")
    if engine.getProperty("voice") != voice:
        raise WorkerError(VOICE_MISSING, f"espeak-ng used {engine.getProperty('voice')!r}")
    deadline = time.monotonic() + wait
    while not _complete(out):
        if time.monotonic() > deadline:
            raise WorkerError(SYNTHESIS_FAILED, f"no audio in {out} after {wait} s")
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--voice")
    parser.add_argument("--rate", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--wait", type=float, default=5.0)
    args = parser.parse_args(argv)
    try:
        if args.probe:
            print(json.dumps(probe()))
            return 0
        if args.voice is None or args.rate is None or args.out is None:
            parser.error("--voice, --rate and --out are required unless --probe")
        text = sys.stdin.buffer.read().decode("utf-8")
        speak(text, args.voice, args.rate, args.out, args.wait)
    except WorkerError as exc:
        print(exc, file=sys.stderr)
        return exc.status
    return 0


if __name__ == "__main__":
    sys.exit(main())
