"""Optional: speak what the caller hears through the machine's speakers (``--audio``).

Kept apart so the simulator works on machines without a sound device or TTS engine; the
service's own audio rendering lives elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.result import Heard


def make_speaker(note: Callable[[str], None]) -> Callable[[Heard], None] | None:
    """A callback that speaks each ``Say`` line, or None after ``note``-ing why not."""
    try:
        import sounddevice  # type: ignore[import-not-found,unused-ignore]

        if not sounddevice.query_devices(kind="output"):
            raise OSError("no output device")
        import pyttsx3  # type: ignore[import-not-found,unused-ignore]

        engine = pyttsx3.init()
    except Exception as error:  # any failure here only means: no sound
        note(f"audio: no sound device or speech engine ({error}); continuing with text only")
        return None

    def speak(heard: Heard) -> None:
        if heard.kind == "say" and heard.text:
            engine.say(heard.text)
            engine.runAndWait()

    return speak
