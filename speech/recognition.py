"""Speech to text where Twilio does not do it: caller audio in the simulator, recorded questions.

A backend is anything with ``transcribe(wav, language) -> Transcript``; ``build_recognizer``
picks one by its configured name (``SPEECH_BACKEND``):

* ``sphinx-grammar`` (the default): English menu commands against a closed grammar, with
  pocketsphinx; the only thing that works well offline here (docs/speech.md).
* ``speechrecognition:<engine>``: any engine of the SpeechRecognition package
  (``Recognizer.recognize_<engine>``), e.g. ``speechrecognition:google`` (a cloud service,
  Mandarin included) or ``speechrecognition:whisper`` (a larger local model, once installed
  with its model). Offline with what is installed here only ``speechrecognition:sphinx`` runs:
  free-form pocketsphinx, en-US only and poor on telephone audio.

There is no offline Mandarin model; in production Twilio recognises Mandarin itself.

Audio goes through SpeechRecognition as well: ``sr.AudioFile`` reads a PCM WAV (any rate,
width, mono or stereo) into ``sr.AudioData``; the telephone's μ-law WAV, which ``AudioFile``
cannot read, is first converted to PCM by sox.
"""

from __future__ import annotations

import inspect
import io
import re
import subprocess
import threading
import warnings
import wave
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Protocol

from pocketsphinx import Config, Decoder, get_model_path

from prompts import intents

# SpeechRecognition 3.17 imports the standard library's ``aifc`` and ``audioop`` at import
# time; both are deprecated on Python 3.11 (removed in 3.13) and warn as they are imported,
# which the test suite (warnings are errors) and ``python -W error`` turn into failures. Exactly
# those two warnings are ignored, for this one import; any other warning still shows.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="'(aifc|audioop)' is deprecated", category=DeprecationWarning
    )
    import speech_recognition as sr

DEFAULT_RECOGNIZER: Final = "sphinx-grammar"
_WORDS: Final = re.compile(r"[a-z']+(?: [a-z']+)*")


@dataclass(frozen=True)
class Transcript:
    text: str
    """What was said, lower case; empty when nothing was recognised."""
    confidence: float | None = None
    """0..1 when the backend can tell, like Twilio's ``Confidence``."""


class SpeechError(Exception):
    """Speech could not be turned into text."""


class UnsupportedLanguage(SpeechError):
    """The backend cannot recognise this language."""


class AudioInputError(SpeechError):
    """The audio could not be read (or sox, which reads it, is missing)."""


class MicrophoneUnavailable(SpeechError):
    """No microphone can be used: PyAudio is missing, or there is no input device."""


class UnknownRecognizer(ValueError):
    """The configured speech backend name is not one of ``RECOGNIZERS``."""


class Recognizer(Protocol):
    def transcribe(self, wav: Path | bytes, language: str) -> Transcript:
        """Recognise the speech in *wav* (a WAV file or its bytes) spoken in *language*."""
        ...


class GrammarSphinxRecognizer:
    """English menu commands, recognised by pocketsphinx against a closed JSGF grammar.

    The grammar is the en-US intent phrases (``prompts/intents.toml``), optionally wrapped
    in a few carrier words ("i want to ...", "check my ...", "... do i have left"). Free-form sphinx
    is useless on telephone audio and ``recognize_sphinx(grammar=...)`` breaks on its second
    call (docs/speech.md), so one pocketsphinx Decoder is built on first use and reused, one
    utterance at a time. Confidence is None: pocketsphinx's grammar search gives no
    posterior that tracks correctness.
    """

    LANGUAGE: Final = "en-US"
    LEADS: Final = ("i want", "i want to", "check", "check my")
    TAILS: Final = ("please", "do i have left")
    PRONUNCIATIONS: Final[Mapping[str, str]] = MappingProxyType(
        {"wechat": "W IY CH AE T", "putonghua": "P UW T AO NG HH W AA"}
    )
    """Grammar words missing from pocketsphinx's CMU dictionary (ARPAbet)."""
    LANGUAGE_WEIGHT: Final = 12.0
    """Weight of the grammar against the acoustics; pocketsphinx's default is 6.5. Measured on
    the 98 intent phrases spoken by espeak at 140, 160 and 185 wpm: 12 gets 6 to 8 more
    phrases right than 6.5 (fewer searches end inside a phrase); 11 to 15 are close."""

    def __init__(
        self, phrases: Iterable[str] | None = None, *, sox: str = "sox", timeout: float = 10.0
    ) -> None:
        if phrases is None:
            phrases = (p for words in intents.phrases(self.LANGUAGE).values() for p in words)
        self.phrases = tuple(sorted({" ".join(p.lower().split()) for p in phrases}))
        if odd := [p for p in self.phrases if not _WORDS.fullmatch(p)]:
            raise SpeechError(f"grammar phrases must be plain words: {odd}")
        self._sox = sox
        self._timeout = timeout
        self._lock = threading.Lock()
        self._decoder: Any = None
        options = (
            _alternatives(self.LEADS),
            _alternatives(self.phrases),
            _alternatives(self.TAILS),
        )
        self._sentence = re.compile(r"(?:(?:{}) )?(?:{})(?: (?:{}))?".format(*options))

    def transcribe(self, wav: Path | bytes, language: str) -> Transcript:
        if language != self.LANGUAGE:
            raise UnsupportedLanguage(
                f"the {DEFAULT_RECOGNIZER} backend recognises {self.LANGUAGE} only, not "
                f"{language}: no offline Mandarin model exists here; Twilio recognises "
                f"Mandarin itself, and the simulator can send typed text as SpeechResult"
            )
        audio = pcm16k(wav, sox=self._sox, timeout=self._timeout)
        with self._lock:
            if self._decoder is None:
                self._decoder = self._build_decoder()
            # Feature extraction (cepstral mean, noise floor, dither) carries state across
            # utterances; a fresh start makes every transcript independent of earlier calls.
            self._decoder.reinit_feat()
            self._decoder.start_utt()
            self._decoder.process_raw(audio, full_utt=True)
            self._decoder.end_utt()
            hypothesis = self._decoder.hyp()
        return Transcript(self._grammatical(hypothesis.hypstr if hypothesis else ""))

    def grammar(self) -> str:
        """The JSGF grammar the decoder uses."""
        return (
            "#JSGF V1.0;\ngrammar commands;\n"
            "public <command> = [<lead>] <phrase> [<tail>];\n"
            f"<lead> = {' | '.join(self.LEADS)};\n"
            f"<phrase> = {' | '.join(self.phrases)};\n"
            f"<tail> = {' | '.join(self.TAILS)};\n"
        )

    def _build_decoder(self) -> Any:
        config = Config(
            hmm=get_model_path("en-us/en-us"),
            dict=get_model_path("en-us/cmudict-en-us.dict"),
            lm=None,
            lw=self.LANGUAGE_WEIGHT,
            # Synthetic and μ-law audio has stretches of exact zeros, which throw the features
            # off (8 to 10 fewer phrases right); a little noise, from a fixed seed so that the
            # same audio always gives the same transcript.
            dither=True,
            seed=1,
            loglevel="FATAL",  # partial results are handled here, not logged per utterance
        )
        decoder = Decoder(config)
        for word, phones in self.PRONUNCIATIONS.items():
            decoder.add_word(word, phones)
        words = {
            word
            for sentence in (*self.LEADS, *self.phrases, *self.TAILS)
            for word in sentence.split()
        }
        if unknown := sorted(w for w in words if decoder.lookup_word(w) is None):
            raise SpeechError(f"no pronunciation for {unknown}: add them to PRONUNCIATIONS")
        decoder.add_jsgf_string("commands", self.grammar())
        decoder.activate_search("commands")
        return decoder

    def _grammatical(self, hypothesis: str) -> str:
        """The longest start of *hypothesis* that is a whole grammar sentence.

        When the audio does not reach the grammar's end (a cut-off or out-of-grammar
        utterance), pocketsphinx returns its best partial path, such as "main menu do" or a
        bare "i want"; the dangling words are dropped, a lone carrier yields "".
        """
        words = hypothesis.split()
        for end in range(len(words), 0, -1):
            candidate = " ".join(words[:end])
            if self._sentence.fullmatch(candidate):
                return candidate
        return ""


class SpeechRecognitionBackend:
    """Any engine of the SpeechRecognition package, named as ``Recognizer.recognize_<engine>``.

    Configured as ``speechrecognition:<engine>``: this is how a cloud engine (``google``,
    ``google_cloud``, ``azure``, ...) or a larger local one (``whisper``, ``faster_whisper``)
    is plugged in, Mandarin included. The engine gets the ``<Gather>``'s language as a plain
    BCP-47 tag (``zh-CN``, ``en-US``; Twilio's ``cmn-Hans-CN`` becomes ``zh-CN``), the
    Whisper family its ISO 639-1 code (``zh``, ``en``) as it expects; engines without a
    language parameter (``vosk``, ``wit``) get none. *options* go to the engine unchanged
    (keys, model names). When the engine offers a confidence (``google``), it is kept.

    Nothing heard (``sr.UnknownValueError``) is an empty transcript; an engine that cannot
    be reached or is not set up (``sr.RequestError``, a missing package) is a SpeechError.
    """

    PREFIX: Final = "speechrecognition:"
    ISO_639_1_ENGINES: Final = frozenset({"whisper", "faster_whisper", "openai", "groq"})
    LANGUAGE_PARAMETERS: Final[Mapping[str, str]] = MappingProxyType(
        {"google_cloud": "language_code"}
    )
    """Engines that take the language under another name (in ``**kwargs``)."""

    def __init__(
        self,
        engine: str,
        options: Mapping[str, Any] | None = None,
        *,
        sox: str = "sox",
        timeout: float = 10.0,
    ) -> None:
        if engine not in speechrecognition_engines():
            raise UnknownRecognizer(
                f"SpeechRecognition has no engine {engine!r} (no Recognizer.recognize_{engine}); "
                f"engines: {', '.join(speechrecognition_engines())}"
            )
        self.engine = engine
        self.options: Mapping[str, Any] = MappingProxyType(dict(options or {}))
        self._parameters = inspect.signature(self._method(sr.Recognizer())).parameters
        self._sox = sox
        self._timeout = timeout

    def transcribe(self, wav: Path | bytes, language: str) -> Transcript:
        audio = audio_data(wav, sox=self._sox, timeout=self._timeout)
        arguments = self._language_arguments(language)
        if "with_confidence" in self._parameters:
            arguments["with_confidence"] = True
        try:
            result = self._method(sr.Recognizer())(audio, **(arguments | dict(self.options)))
        except sr.UnknownValueError:
            return Transcript("")
        except sr.RequestError as error:
            raise SpeechError(
                f"speech engine {self.engine!r} failed or could not be reached: {error}"
            ) from error
        except (ImportError, sr.exceptions.SetupError) as error:
            raise SpeechError(f"speech engine {self.engine!r} is not set up: {error}") from error
        return self._transcript(result)

    def _method(self, recognizer: sr.Recognizer) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(recognizer, f"recognize_{self.engine}")
        return method

    def _language_arguments(self, language: str) -> dict[str, Any]:
        tag = plain_language_tag(language)
        if self.engine in self.ISO_639_1_ENGINES:
            return {"language": tag.split("-")[0]}
        if self.engine in self.LANGUAGE_PARAMETERS:
            return {self.LANGUAGE_PARAMETERS[self.engine]: tag}
        if "language" in self._parameters:
            return {"language": tag}
        return {}

    def _transcript(self, result: object) -> Transcript:
        text, confidence = result, None
        if isinstance(result, tuple) and len(result) == 2:  # with_confidence=True
            text, score = result
            if isinstance(score, int | float) and not isinstance(score, bool):
                confidence = min(max(float(score), 0.0), 1.0)
        if not isinstance(text, str):
            raise SpeechError(
                f"speech engine {self.engine!r} returned {type(result).__name__}, not text: "
                "leave its show_all / show_dict / verbose options off"
            )
        return Transcript(" ".join(text.lower().split()), confidence)


def speechrecognition_engines() -> tuple[str, ...]:
    """The engines SpeechRecognition offers: its ``Recognizer.recognize_<engine>`` methods."""
    return tuple(
        sorted(
            name.removeprefix("recognize_")
            for name in dir(sr.Recognizer)
            if name.startswith("recognize_") and callable(getattr(sr.Recognizer, name))
        )
    )


def plain_language_tag(language: str) -> str:
    """A BCP-47 tag as most engines want it: Twilio's ``cmn-Hans-CN`` → ``zh-CN``.

    The Mandarin macrolanguage code ``cmn`` becomes ``zh``; a script subtag is dropped.
    """
    primary, *rest = language.replace("_", "-").split("-")
    primary = {"cmn": "zh"}.get(primary.lower(), primary.lower())
    region = [part for part in rest if len(part) != 4]  # "Hans", "Hant": script subtags
    return "-".join([primary, *(part.upper() if len(part) == 2 else part for part in region)])


def audio_data(wav: Path | bytes, *, sox: str = "sox", timeout: float = 10.0) -> sr.AudioData:
    """*wav* (a file, or a WAV file's bytes) as SpeechRecognition's ``AudioData``.

    A PCM WAV (any rate and width, mono or stereo) is read by ``sr.AudioFile`` as it is.
    Anything else is converted by sox first: the telephone's μ-law WAV (``AudioFile``, like
    the standard library's ``wave``, reads PCM only), A-law, other formats sox reads from a
    file. sox converts straight to 16 kHz, the rate pocketsphinx needs: its resampler keeps
    2 more of the 98 intent phrases right than ``audioop.ratecv``, which ``AudioData`` uses.
    """
    try:
        data = wav if isinstance(wav, bytes) else wav.read_bytes()
    except OSError as error:
        raise AudioInputError(f"cannot read the audio: {error}") from None
    if not _plain_pcm_wav(data):
        data = _sox_pcm_wav(data if isinstance(wav, bytes) else wav, sox=sox, timeout=timeout)
    try:
        with sr.AudioFile(io.BytesIO(data)) as source:
            audio: sr.AudioData = sr.Recognizer().record(source)
    except (ValueError, EOFError, wave.Error) as error:
        raise AudioInputError(f"cannot read the audio: {error}") from None
    return audio


def pcm16k(wav: Path | bytes, *, sox: str = "sox", timeout: float = 10.0) -> bytes:
    """*wav* as 16 kHz 16-bit mono raw PCM, what the en-US acoustic model wants.

    Its features reach 6.8 kHz, so pocketsphinx refuses to decode at the telephone's 8 kHz;
    upsampled telephone audio works.
    """
    audio = audio_data(wav, sox=sox, timeout=timeout)
    raw: bytes = audio.get_raw_data(convert_rate=16000, convert_width=2)
    return raw


def _plain_pcm_wav(data: bytes) -> bool:
    """Whether *data* is a RIFF WAVE of plain PCM (format 1), 1 or 2 channels: what
    ``sr.AudioFile`` reads without help."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return False
    offset = 12
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if data[offset : offset + 4] == b"fmt ":
            fields = data[offset + 8 : offset + 12]
            return (
                len(fields) == 4
                and int.from_bytes(fields[:2], "little") == 1
                and 1 <= int.from_bytes(fields[2:], "little") <= 2
            )
        offset += 8 + size + (size & 1)
    return False


def _sox_pcm_wav(wav: Path | bytes, *, sox: str, timeout: float) -> bytes:
    """*wav* (a file sox can read, or WAV bytes) as a 16 kHz 16-bit mono PCM WAV.

    ``-D``: sox would add random dither when resampling, making transcripts vary from run to
    run; ``-G`` guards against clipping.
    """
    source = ["-t", "wav", "-"] if isinstance(wav, bytes) else [str(wav)]
    target = ["-r", "16000", "-c", "1", "-e", "signed-integer", "-b", "16", "-t", "wav", "-"]
    try:
        done = subprocess.run(
            [sox, "-V1", "-G", "-D", *source, *target],
            input=wav if isinstance(wav, bytes) else None,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise AudioInputError(f"sox not found ({sox!r}); install it: apt-get install sox") from None
    except subprocess.TimeoutExpired:
        raise AudioInputError(f"sox did not convert the audio within {timeout} s") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        raise AudioInputError(f"cannot read the audio: {detail}")
    return done.stdout


def open_microphone() -> sr.Microphone:
    """The default microphone, through SpeechRecognition's ``sr.Microphone``.

    That needs PyAudio (with PortAudio) and a sound input device; PyAudio is not a
    dependency of this project. Without either, a MicrophoneUnavailable naming what to do.
    """
    try:
        return sr.Microphone()
    except AttributeError as error:  # SpeechRecognition's way of saying "no PyAudio"
        raise MicrophoneUnavailable(
            f"no microphone: {error} (SpeechRecognition's Microphone needs PyAudio: "
            "apt-get install portaudio19-dev, then pip install pyaudio); "
            "speak into a WAV file and pass it with --say-wav instead"
        ) from None
    except OSError as error:
        raise MicrophoneUnavailable(f"no microphone: no sound input device ({error})") from None


def listen(
    microphone: sr.Microphone, *, timeout: float = 10.0, phrase_limit: float = 15.0
) -> bytes | None:
    """One utterance from *microphone* as WAV bytes; None when nobody spoke within *timeout*."""
    recognizer = sr.Recognizer()
    with microphone as source:
        recognizer.adjust_for_ambient_noise(source, duration=0.5)
        try:
            audio = recognizer.listen(source, timeout=timeout, phrase_time_limit=phrase_limit)
        except sr.WaitTimeoutError:
            return None
    wav: bytes = audio.get_wav_data()
    return wav


RECOGNIZERS: Final[Mapping[str, Callable[[], Recognizer]]] = MappingProxyType(
    {DEFAULT_RECOGNIZER: GrammarSphinxRecognizer}
)
"""Backends by name; ``speechrecognition:<engine>`` names are resolved apart."""


def build_recognizer(name: str = DEFAULT_RECOGNIZER) -> Recognizer:
    """The speech backend configured as *name* (``SPEECH_BACKEND``); an unknown name, or an
    engine SpeechRecognition does not have, is an UnknownRecognizer right away."""
    if name.startswith(SpeechRecognitionBackend.PREFIX):
        return SpeechRecognitionBackend(name.removeprefix(SpeechRecognitionBackend.PREFIX))
    try:
        factory = RECOGNIZERS[name]
    except KeyError:
        raise UnknownRecognizer(
            f"unknown speech backend {name!r}; available: {', '.join(sorted(RECOGNIZERS))}, "
            f"or {SpeechRecognitionBackend.PREFIX}<engine> with a SpeechRecognition engine "
            f"({', '.join(speechrecognition_engines())})"
        ) from None
    return factory()


def _alternatives(options: Sequence[str]) -> str:
    return "|".join(re.escape(option) for option in options)
