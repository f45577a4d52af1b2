"""One voice per spoken line: figures said from pre-rendered building blocks, joined at
request time with the fixed words around them into one audio file (Asterisk's
``SayNumber`` / ``SayDigits`` do the same).

At render time (``ivr prompts render``) every *clip* is synthesised like a catalog prompt
(pyttsx3 + espeak-ng, 8 kHz μ-law, cached by hash) into ``<audio dir>/clips``:

* the building blocks of spoken figures: zh 零…九, 两, 幺, 十/百/千/万/亿, 元/角/分, 点,
  年/月/日/号, 凌晨/早上/上午/中午/下午/晚上, 兆, G, 小时, 负, 不足一兆;
  en the numbers (one … nineteen, twenty … ninety, hundred, thousand, million), ordinals
  (first … thirty-first), point, oh, yuan, fen, megabytes, gigabytes, months, AM/PM
  and the digit words of phone numbers;
* the fixed words of every prompt with placeholders (the text between them).

At request time :func:`plan` cuts a filled-in line into those pieces (a value that is the text
of a static catalog prompt, such as a desk topic or a bill category, is that prompt's audio),
and :func:`join` concatenates their μ-law samples under a new WAV header: no text-to-speech
while a caller waits. The text of the joined line is exactly :func:`prompts.catalog.text`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prompts.catalog import _counted_and_ordinal, prompts
from prompts.spoken import integer

ZH: Final = "zh-CN"
EN: Final = "en-US"

ZH_WORDS: Final = (
    "不足一兆", "凌晨", "早上", "上午", "中午", "下午", "晚上", "小时", "分钟",
)  # fmt: skip
ZH_CHARS: Final = "零一二两三四五六七八九幺十百千万亿元角分点负年月日号兆G"
_ZH_LONGEST_FIRST: Final = sorted(ZH_WORDS, key=len, reverse=True)

_EN_ONES: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_EN_TENS: Final = (
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)  # fmt: skip
_EN_ORDINALS: Final = (
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
    "sixteenth", "seventeenth", "eighteenth", "nineteenth",
)  # fmt: skip
_EN_TENTHS: Final = {2: "twentieth", 3: "thirtieth"}
_EN_SCALES: Final = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# Words of English figures, as written in the value -> the text the clip speaks.
EN_WORDS: Final[Mapping[str, str]] = {
    **{word: word for word in ("yuan", "fen", "and", "on", "minus", "less", "than")},
    **{word: word for word in ("megabyte", "megabytes", "gigabyte", "gigabytes")},
    **{word: word for word in ("hour", "hours", "hundred", "point", "oh")},
    **{month: month for month in _EN_MONTHS},
    "AM": "A M",
    "PM": "P M",
}

_EN_NUMBER: Final = re.compile(r"\d+")
_EN_ORDINAL: Final = re.compile(r"(\d+)(?:st|nd|rd|th)")
_EN_CLOCK: Final = re.compile(r"(\d+):(\d\d)")
_EN_DECIMAL: Final = re.compile(r"(\d+)\.(\d+)")
_ARABIC: Final = re.compile(r"\d+")
_SPEAKABLE: Final = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


class MissingClip(LookupError):
    """A piece of a line has no pre-rendered clip: the line cannot be played in one voice."""


@dataclass(frozen=True)
class Piece:
    """One stretch of a line's audio: a catalog prompt (``prompt`` is its key) or a clip."""

    text: str
    prompt: str | None = None


@functools.lru_cache(maxsize=4096)
def clip_key(text: str) -> str:
    """The manifest key of the clip that speaks *text* (file-safe, stable; a figure line
    asks for a dozen, so each is hashed once)."""
    return "clip." + hashlib.sha256(text.encode()).hexdigest()[:20]


# -- the building blocks ------------------------------------------------------------------


def _en_number(n: int) -> list[str]:
    if n < 20:
        return [_EN_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_EN_TENS[tens]] + ([_EN_ONES[ones]] if ones else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return [_EN_ONES[hundreds], "hundred"] + (_en_number(rest) if rest else [])
    for size, name in _EN_SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            return _en_number(high) + [name] + (_en_number(rest) if rest else [])
    raise AssertionError(n)


def _en_ordinal(n: int) -> list[str]:
    if n < 20:
        return [_EN_ORDINALS[n]]
    if n < 100 and n % 10 == 0:
        return [_EN_TENTHS.get(n // 10, _EN_TENS[n // 10] + "th")]
    head = _en_number(n - n % 10 if n < 100 else n - n % 100)
    return head + _en_ordinal(n % 10 if n < 100 else n % 100)


def blocks(language: str) -> tuple[str, ...]:
    """The texts of the building-block clips of *language*."""
    if language == ZH:
        return (*ZH_WORDS, *ZH_CHARS)
    words = {
        *_EN_ONES,
        *_EN_TENS[2:],
        *_EN_ORDINALS[1:],
        *_EN_TENTHS.values(),
        *(name for _, name in _EN_SCALES),
        *EN_WORDS.values(),
    }
    return tuple(sorted(words))


def fixed_words(template: str) -> list[str]:
    """The literal text of *template* that carries speech, in order."""
    return [
        literal
        for literal, _, _, _ in string.Formatter().parse(template)
        if _SPEAKABLE.search(literal)
    ]


def clip_catalog(
    language: str, catalog: Callable[[str], Mapping[str, str]] = prompts
) -> dict[str, str]:
    """Every clip of *language*, keyed by :func:`clip_key`: what ``ivr prompts render``
    renders into ``clips/`` (see :func:`prompts.render.render_clips`)."""
    texts = set(blocks(language))
    for template in catalog(language).values():
        if "{" in template:
            texts.update(fixed_words(template))
    return {clip_key(text): text for text in sorted(texts)}


# -- cutting a line into pieces ------------------------------------------------------------


def _zh_value(value: str) -> list[str]:
    # Arabic figures in dates (11月25日) are said in Chinese numerals: 十一月二十五日, 二日.
    spoken = _ARABIC.sub(lambda m: integer(int(m.group()), ZH), value)
    pieces, pos = [], 0
    while pos < len(spoken):
        word = next((w for w in _ZH_LONGEST_FIRST if spoken.startswith(w, pos)), None)
        if word is None:
            char = spoken[pos]
            if char in ZH_CHARS:
                word = char
            elif _SPEAKABLE.match(char):
                raise MissingClip(f"{char!r} in {value!r} (zh-CN)")
            else:
                pos += 1  # punctuation and spaces carry no speech
                continue
        pieces.append(word)
        pos += len(word)
    return pieces


def _en_word(word: str) -> list[str]:
    if _EN_NUMBER.fullmatch(word):
        return _en_number(int(word))
    if match := _EN_ORDINAL.fullmatch(word):
        return _en_ordinal(int(match.group(1)))
    if match := _EN_CLOCK.fullmatch(word):
        hour, minute = int(match.group(1)), int(match.group(2))
        said = ["oh", _EN_ONES[minute]] if 0 < minute < 10 else _en_number(minute)
        return _en_number(hour) + (said if minute else [])
    if match := _EN_DECIMAL.fullmatch(word):
        decimals = [_EN_ONES[int(digit)] for digit in match.group(2)]
        return [*_en_number(int(match.group(1))), "point", *decimals]
    if word in EN_WORDS:
        return [EN_WORDS[word]]
    if word in _EN_ONES:
        return [word]
    raise MissingClip(f"{word!r} (en-US)")


def _en_value(value: str) -> list[str]:
    return [piece for word in value.replace(",", " ").split() for piece in _en_word(word)]


def filled(
    key: str,
    params: Mapping[str, str],
    language: str,
    catalog: Callable[[str], Mapping[str, str]] = prompts,
) -> str:
    """The text of line *key* with *params*: :func:`prompts.catalog.text` of *catalog*."""
    template = catalog(language)[key]
    if language == ZH:
        params = {**params, **_counted_and_ordinal(template, params)}
    return template.format_map(params)


@functools.lru_cache(maxsize=8)
def _phrases(catalog: Callable[[str], Mapping[str, str]], language: str) -> dict[str, str]:
    """Prompts without figures, by their text: a value that is one (a country's name) is
    played as that prompt."""
    return {
        text: prompt
        for prompt, text in catalog(language).items()
        if "{" not in text and _SPEAKABLE.search(text)
    }


def plan(
    key: str,
    params: Mapping[str, str],
    language: str,
    catalog: Callable[[str], Mapping[str, str]] = prompts,
) -> list[Piece]:
    """The pieces line *key* with *params* is said in, in order.

    Raises :class:`MissingClip` when a value holds a word no clip speaks.
    """
    template = catalog(language)[key]
    if language == ZH:
        params = {**params, **_counted_and_ordinal(template, params)}
    phrases = _phrases(catalog, language)
    pieces: list[Piece] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if _SPEAKABLE.search(literal):
            pieces.append(Piece(literal))
        if not field:
            continue
        value = str(params[field])
        if value in phrases:
            pieces.append(Piece(value, prompt=phrases[value]))
            continue
        words = _zh_value(value) if language == ZH else _en_value(value)
        pieces.extend(Piece(word) for word in words)
    return pieces


# -- joining μ-law WAV audio ---------------------------------------------------------------

SAMPLE_RATE: Final = 8000
MULAW: Final = 7
PAD_BYTES: Final = SAMPLE_RATE * 40 // 1000
"""Silence kept at each end of a trimmed clip: 40 ms."""
# μ-law bytes whose complement has exponent 0 decode to at most ±120 of 32,767 (-48 dBFS):
# the near-silence espeak pads each utterance with.
_QUIET: Final = frozenset(b for b in range(256) if (~b >> 4) & 7 == 0)


class AudioFormatError(ValueError):
    """Not an 8 kHz mono μ-law WAV file."""


def mulaw_samples(wav: bytes) -> bytes:
    """The samples of an 8 kHz mono μ-law WAV file (as ``prompts.render`` writes them)."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise AudioFormatError("not a RIFF WAVE file")
    fmt, data, pos = b"", None, 12
    while pos + 8 <= len(wav):
        name, size = wav[pos : pos + 4], int.from_bytes(wav[pos + 4 : pos + 8], "little")
        body = wav[pos + 8 : pos + 8 + size]
        if name == b"fmt ":
            fmt = body
        elif name == b"data":
            data = body
        pos += 8 + size + size % 2
    if len(fmt) < 16 or data is None:
        raise AudioFormatError("no fmt or data chunk")
    tag, channels, rate = (
        int.from_bytes(fmt[0:2], "little"),
        fmt[2],
        int.from_bytes(fmt[4:8], "little"),
    )
    if (tag, channels, rate) != (MULAW, 1, SAMPLE_RATE):
        raise AudioFormatError(f"format {tag}, {channels} channel(s), {rate} Hz")
    return data


def trimmed(samples: bytes) -> bytes:
    """*samples* without the near-silence at either end, but for :data:`PAD_BYTES`."""
    start = next((i for i, b in enumerate(samples) if b not in _QUIET), len(samples))
    end = next((i for i in range(len(samples), 0, -1) if samples[i - 1] not in _QUIET), start)
    return samples[max(0, start - PAD_BYTES) : min(len(samples), end + PAD_BYTES)]


def mulaw_wav(samples: bytes) -> bytes:
    """An 8 kHz mono μ-law WAV file of *samples* (fmt, fact and data chunks, as sox writes)."""
    fmt = (
        MULAW.to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + SAMPLE_RATE.to_bytes(4, "little")
        + SAMPLE_RATE.to_bytes(4, "little")  # bytes per second
        + (1).to_bytes(2, "little")  # block align
        + (8).to_bytes(2, "little")  # bits per sample
        + (0).to_bytes(2, "little")  # no extension
    )
    chunks = (
        b"fmt " + len(fmt).to_bytes(4, "little") + fmt
        + b"fact" + (4).to_bytes(4, "little") + len(samples).to_bytes(4, "little")
        + b"data" + len(samples).to_bytes(4, "little") + samples
        + (b"\x00" if len(samples) % 2 else b"")
    )  # fmt: skip
    return b"RIFF" + (4 + len(chunks)).to_bytes(4, "little") + b"WAVE" + chunks


def join(parts: Iterable[bytes]) -> bytes:
    """One WAV file of the samples of *parts* (each trimmed samples), one after the other."""
    return mulaw_wav(b"".join(parts))


def line_name(language: str, text: str, files: Iterable[str]) -> str:
    """The file of a joined line, by its text and the clips it is made of (a clip rendered
    again makes a new name)."""
    digest = hashlib.sha256("\n".join([language, text, *files]).encode()).hexdigest()[:32]
    return f"lines/{language}/{digest}.wav"


LINE_FILE: Final = re.compile(r"lines/(zh-CN|en-US)/[0-9a-f]{32}\.wav")


def write_atomically(path: Path, content: bytes) -> None:
    """Write *path* so that a reader (another worker serving it) never sees half a file.

    The temporary file is named for this process and thread, which no other writer shares
    (not ``tempfile.mkstemp``, whose random names cost more than joining the audio)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(tmp, path)
