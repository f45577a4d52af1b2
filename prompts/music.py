"""The hold music: a short melody the project writes itself, so that it may be shipped and
played anywhere, synthesised by sox at render time (:func:`prompts.render.render_hold_music`).

A caller waiting in a queue hears it between the announcements of their place. It is written
here as notes, not kept as a recording: the render makes the same file byte for byte from
the same notes and sox, and a change of the notes renders it again (they are in its hash).

Twilio plays its own hold music only when ``<Enqueue>`` has no ``waitUrl``; the desk's
lines have one, so without this music the wait is silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from prompts.manifest import PromptId

MUSIC_DIR: Final = "music"
"""Subdirectory of the audio directory with the music and its own manifest."""
HOLD_MUSIC: Final[PromptId] = ("zxx", "hold")
"""Its entry in that manifest: ``zxx`` is the language tag of content without language."""
HOLD_MUSIC_TEXT: Final = "(hold music)"
"""What the audio route says the file holds (``X-Prompt-Text``), for the call simulator."""

BEAT_S: Final = 0.5
"""Seconds a beat lasts: 120 beats a minute, unhurried."""


@dataclass(frozen=True)
class Voice:
    """One line of the music: its notes as ``pitch/beats`` (``A4/2``: A above middle C for
    two beats), and the sox effects that give each note its sound, formatted with the note's
    ``seconds`` and its ``decay``."""

    wave: str
    notes: str
    envelope: str

    def score(self) -> list[tuple[str, int]]:
        """The notes, as (pitch, beats)."""
        return [(pitch, int(beats)) for pitch, beats in (n.split("/") for n in self.notes.split())]


# A tune in the Chinese pentatonic gong mode (C D E G A), six phrases of eight beats: 24 s.
# The melody is a music box's (a quick attack, a long decay); the lower voice holds the
# harmony softly underneath. The melody lies within the telephone's band (300-3400 Hz); the
# lower voice's overtones do.
MELODY: Final = Voice(
    wave="sine",
    notes="""
        E5/1 G5/1 A5/2 G5/1 E5/1 D5/2
        C5/1 D5/1 E5/1 G5/1 E5/2 D5/2
        E5/1 G5/1 A5/1 C6/1 A5/2 G5/2
        E5/1 D5/1 C5/1 D5/1 E5/2 G5/2
        A5/1 G5/1 E5/1 D5/1 C5/2 D5/2
        E5/1 D5/1 C5/2 C5/4
    """,
    envelope="fade l 0.01 {seconds} {decay} vol 0.8",
)
HARMONY: Final = Voice(
    wave="triangle",
    notes="C4/4 A3/4 C4/4 G3/4 E4/4 C4/4 A3/4 D4/4 C4/4 A3/4 G3/4 C4/4",
    envelope="fade h 0.4 {seconds} 0.8 vol 0.35",
)
VOICES: Final = (MELODY, HARMONY)
MASTER: Final = "gain -n -6 fade q 0.3 -0 1.5"
"""Effects on the mixed voices: loud enough to be heard, gently in and out, so that the
music can start again after an announcement without a click."""

_NAMES: Final = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def frequency(pitch: str) -> float:
    """Hertz of a pitch such as ``A4`` (440 Hz), in equal temperament."""
    midi = 12 * (int(pitch[1:]) + 1) + _NAMES[pitch[0]]
    return 440.0 * 2 ** ((midi - 69) / 12)


def seconds(voice: Voice) -> float:
    """How long *voice* lasts."""
    return sum(beats for _, beats in voice.score()) * BEAT_S
