"""Parse and validate a TwiML voice document into verb objects.

The whole document is checked before any of it runs, as Twilio does: a document that is not
XML fails with 12100, a verb the simulator does not know or a verb in the wrong place fails
with 12200. Attribute defaults follow Twilio's documentation. Voices, languages and speech
hints are checked against what Twilio accepts (:mod:`simulator.twiml_values`), with
Twilio's codes. Twilio logs those as warnings and carries on as it can (a default voice, a
``<Gather>`` that hears nothing); the simulator refuses the document instead, so that a
caller who would hear the wrong voice, or not be heard, fails a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

from simulator import twiml_values as values

PARSE_FAILURE = "12100"
SCHEMA_ERROR = "12200"

_GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
# Valid TwiML the simulator does not execute: reported, never skipped silently.
_UNSUPPORTED_VERBS = frozenset(
    {"Connect", "Echo", "Message", "Pay", "Prompt", "Refer", "Sms", "Start", "Stop", "Stream"}
)
_UNSUPPORTED_DIAL_NOUNS = frozenset({"Conference", "Sip", "Sim", "Application", "WhatsApp"})
_SSML_TAGS = frozenset(
    {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w", "amazon"}
)
_DTMF_KEYS = "0123456789*#"


class TwimlError(Exception):
    """The document cannot be executed; ``code`` is Twilio's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Say:
    text: str
    voice: str = "man"
    language: str = "en-US"
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1
    digits: str = ""


@dataclass(frozen=True)
class Pause:
    length: int = 1


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    input_modes: frozenset[str] = frozenset({"dtmf"})
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    speech_timeout: str = "5"
    language: str = "en-US"
    hints: str = ""
    action: str | None = None
    method: str = "POST"
    action_on_empty_result: bool = False
    prompts: tuple[Prompt, ...] = ()


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Record:
    action: str | None = None
    method: str = "POST"
    timeout: int = 5
    finish_on_key: str = "1234567890*#"
    max_length: int = 3600
    play_beep: bool = True


@dataclass(frozen=True)
class Enqueue:
    queue_name: str
    action: str | None = None
    method: str = "POST"
    wait_url: str | None = None
    wait_url_method: str = "POST"


@dataclass(frozen=True)
class Leave:
    pass


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"


@dataclass(frozen=True)
class DialTarget:
    kind: str  # "number", "client" or "queue"
    value: str
    url: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class Dial:
    targets: tuple[DialTarget, ...]
    action: str | None = None
    method: str = "POST"
    timeout: int = 30
    caller_id: str | None = None


Verb = Say | Play | Pause | Gather | Redirect | Record | Enqueue | Leave | Hangup | Reject | Dial


def parse_document(body: bytes | str) -> list[Verb]:
    """The verbs of a ``<Response>`` document, validated; raises :class:`TwimlError`."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise TwimlError(PARSE_FAILURE, f"document is not well-formed XML ({error})") from None
    if root.tag != "Response":
        raise TwimlError(PARSE_FAILURE, f"root element is <{root.tag}>, expected <Response>")
    return [_verb(element) for element in root]


def require_only(verbs: list[Verb], allowed: frozenset[str], where: str) -> None:
    """Raise 12200 if a verb not in ``allowed`` (class names) appears; e.g. in a waitUrl."""
    for verb in verbs:
        name = type(verb).__name__
        if name not in allowed:
            raise TwimlError(SCHEMA_ERROR, f"<{name}> is not allowed in {where}")


def _verb(element: ElementTree.Element) -> Verb:
    tag = element.tag
    if tag == "Say":
        return _say(element, values.SAY_INVALID_VOICE)
    if tag == "Play":
        return _play(element)
    if tag == "Pause":
        return _pause(element)
    if tag == "Gather":
        return _gather(element)
    if tag == "Redirect":
        _no_children(element)
        return Redirect(url=_required_text(element), method=_method(element, "method"))
    if tag == "Record":
        return _record(element)
    if tag == "Enqueue":
        return _enqueue(element)
    if tag == "Dial":
        return _dial(element)
    if tag in ("Leave", "Hangup"):
        _no_children(element)
        return Leave() if tag == "Leave" else Hangup()
    if tag == "Reject":
        _no_children(element)
        reason = element.get("reason", "rejected")
        if reason not in ("rejected", "busy"):
            raise TwimlError(SCHEMA_ERROR, f'<Reject reason="{reason}"> must be rejected or busy')
        return Reject(reason=reason)
    if tag in _UNSUPPORTED_VERBS:
        raise TwimlError(SCHEMA_ERROR, f"<{tag}> is valid TwiML but the simulator cannot run it")
    raise TwimlError(SCHEMA_ERROR, f"unknown verb <{tag}> in <Response>")


def _say(element: ElementTree.Element, invalid_voice: str) -> Say:
    """A ``<Say>``; a voice or language Twilio would not speak fails with *invalid_voice*
    (its code differs inside a ``<Gather>``)."""
    for child in element.iter():
        if child is not element and child.tag not in _SSML_TAGS:
            raise TwimlError(SCHEMA_ERROR, f"<{child.tag}> cannot be nested in <Say>")
    text = " ".join("".join(element.itertext()).split())
    voice, language = element.get("voice", "man"), element.get("language")
    problem = _voice_problem(voice, language)
    if problem is not None:
        raise TwimlError(invalid_voice, f"<Say> {problem}")
    return Say(text=text, voice=voice, language=language or "en-US", loop=_int(element, "loop", 1))


def _voice_problem(voice: str, language: str | None) -> str | None:
    """Why Twilio would not say anything with *voice* in *language* (given or not), or None."""
    if language is not None and language not in values.SAY_LANGUAGES:
        return f'language="{language}" is not a language Twilio speaks'
    if voice in values.BASIC_VOICES:
        return None
    speaks = _languages_of(voice)
    if speaks is None:
        return f'voice="{voice}" is not a voice of Twilio\'s'
    if language is not None and language not in speaks:
        return f'voice="{voice}" does not speak language="{language}"'
    return None


def _languages_of(voice: str) -> frozenset[str] | None:
    """The languages of a ``Polly.`` or ``Google.`` voice; None for no such voice."""
    provider, _, name = voice.partition(".")
    if provider == "Polly":
        engine = next((e for e in values.POLLY_ENGINES if name.endswith(e)), "")
        return values.POLLY_VOICES.get(name.removesuffix(engine))
    if provider == "Google":
        for model in values.GOOGLE_MODELS:
            locale, marker, variant = name.partition(f"-{model}-")
            if marker and locale in values.GOOGLE_LOCALES and variant.isalnum():
                return frozenset({locale})
    return None


def _play(element: ElementTree.Element) -> Play:
    _no_children(element)
    url = (element.text or "").strip()
    digits = element.get("digits", "")
    if not url and not digits:
        raise TwimlError(SCHEMA_ERROR, "<Play> needs a URL or a digits attribute")
    if any(char not in _DTMF_KEYS + "w" for char in digits):
        raise TwimlError(SCHEMA_ERROR, f'<Play digits="{digits}"> may only hold 0-9 * # w')
    return Play(url=url, loop=_int(element, "loop", 1), digits=digits)


def _pause(element: ElementTree.Element) -> Pause:
    _no_children(element)
    return Pause(length=_int(element, "length", 1))


def _gather(element: ElementTree.Element) -> Gather:
    prompts: list[Prompt] = []
    for child in element:
        if child.tag not in _GATHER_CHILDREN:
            raise TwimlError(SCHEMA_ERROR, f"<{child.tag}> cannot be nested in <Gather>")
        nested = (
            _say(child, values.GATHER_SAY_INVALID_VOICE) if child.tag == "Say" else _verb(child)
        )
        assert isinstance(nested, Say | Play | Pause)
        prompts.append(nested)
    modes = frozenset(element.get("input", "dtmf").split())
    if not modes or not modes <= {"dtmf", "speech"}:
        raise TwimlError(SCHEMA_ERROR, f'<Gather input="{element.get("input")}"> is invalid')
    finish_on_key = element.get("finishOnKey", "#")
    if len(finish_on_key) > 1 or (finish_on_key and finish_on_key not in _DTMF_KEYS):
        raise TwimlError(SCHEMA_ERROR, f'<Gather finishOnKey="{finish_on_key}"> is invalid')
    timeout = _int(element, "timeout", 5)
    speech_timeout = element.get("speechTimeout", str(timeout))
    if speech_timeout != "auto" and not speech_timeout.isdigit():
        raise TwimlError(SCHEMA_ERROR, f'<Gather speechTimeout="{speech_timeout}"> is invalid')
    num_digits = _int(element, "numDigits", 0) or None
    language = element.get("language", "en-US")
    if language not in values.GATHER_LANGUAGES:
        raise TwimlError(
            values.GATHER_INVALID_LANGUAGE,
            f'<Gather language="{language}"> is not a language Twilio recognises',
        )
    hints = element.get("hints", "")
    _check_hints(hints)
    return Gather(
        input_modes=modes,
        num_digits=num_digits,
        finish_on_key=finish_on_key,
        timeout=timeout,
        speech_timeout=speech_timeout,
        language=language,
        hints=hints,
        action=element.get("action"),
        method=_method(element, "method"),
        action_on_empty_result=_bool(element, "actionOnEmptyResult", False),
        prompts=tuple(prompts),
    )


def _check_hints(hints: str) -> None:
    entries = [entry.strip() for entry in hints.split(",")] if hints else []
    longest = max(entries, key=len, default="")
    if len(entries) > values.HINTS_MAX_ENTRIES or len(longest) > values.HINT_MAX_CHARS:
        raise TwimlError(
            values.GATHER_INVALID_HINTS,
            f"<Gather hints> holds {len(entries)} entries, the longest of {len(longest)} "
            f"characters: at most {values.HINTS_MAX_ENTRIES} of at most "
            f"{values.HINT_MAX_CHARS} characters",
        )


def _record(element: ElementTree.Element) -> Record:
    _no_children(element)
    finish_on_key = element.get("finishOnKey", "1234567890*#")
    if any(char not in _DTMF_KEYS for char in finish_on_key):
        raise TwimlError(SCHEMA_ERROR, f'<Record finishOnKey="{finish_on_key}"> is invalid')
    return Record(
        action=element.get("action"),
        method=_method(element, "method"),
        timeout=_int(element, "timeout", 5),
        finish_on_key=finish_on_key,
        max_length=_int(element, "maxLength", 3600),
        play_beep=_bool(element, "playBeep", True),
    )


def _enqueue(element: ElementTree.Element) -> Enqueue:
    for child in element:
        raise TwimlError(SCHEMA_ERROR, f"<{child.tag}> in <Enqueue> is not supported")
    name = _required_text(element)
    if len(name) > 64:
        raise TwimlError(SCHEMA_ERROR, f"queue name longer than 64 characters: {name!r}")
    return Enqueue(
        queue_name=name,
        action=element.get("action"),
        method=_method(element, "method"),
        wait_url=element.get("waitUrl"),
        wait_url_method=_method(element, "waitUrlMethod"),
    )


def _dial(element: ElementTree.Element) -> Dial:
    targets: list[DialTarget] = []
    for child in element:
        if child.tag in _UNSUPPORTED_DIAL_NOUNS:
            raise TwimlError(SCHEMA_ERROR, f"<Dial><{child.tag}> is not supported by the simulator")
        if child.tag not in ("Number", "Client", "Queue"):
            raise TwimlError(SCHEMA_ERROR, f"<{child.tag}> cannot be nested in <Dial>")
        _no_children(child)
        targets.append(
            DialTarget(
                kind=child.tag.lower(),
                value=_required_text(child),
                url=child.get("url"),
                method=_method(child, "method"),
            )
        )
    text = (element.text or "").strip()
    if text:
        targets.insert(0, DialTarget(kind="number", value=text))
    if not targets:
        raise TwimlError(SCHEMA_ERROR, "<Dial> has nothing to dial")
    if any(target.kind == "queue" for target in targets) and len(targets) > 1:
        raise TwimlError(SCHEMA_ERROR, "<Dial><Queue> cannot be combined with other nouns")
    return Dial(
        targets=tuple(targets),
        action=element.get("action"),
        method=_method(element, "method"),
        timeout=_int(element, "timeout", 30),
        caller_id=element.get("callerId"),
    )


def _no_children(element: ElementTree.Element) -> None:
    for child in element:
        raise TwimlError(SCHEMA_ERROR, f"<{child.tag}> cannot be nested in <{element.tag}>")


def _required_text(element: ElementTree.Element) -> str:
    text = (element.text or "").strip()
    if not text:
        raise TwimlError(SCHEMA_ERROR, f"<{element.tag}> must not be empty")
    return text


def _int(element: ElementTree.Element, name: str, default: int) -> int:
    raw = element.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d+", raw.strip()):
        raise TwimlError(SCHEMA_ERROR, f'<{element.tag} {name}="{raw}"> is not a whole number')
    return int(raw)


def _bool(element: ElementTree.Element, name: str, default: bool) -> bool:
    raw = element.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise TwimlError(SCHEMA_ERROR, f'<{element.tag} {name}="{raw}"> is not true/false')
    return raw.lower() == "true"


def _method(element: ElementTree.Element, name: str) -> str:
    raw = element.get(name, "POST").upper()
    if raw not in ("GET", "POST"):
        raise TwimlError(SCHEMA_ERROR, f'<{element.tag} {name}="{raw}"> must be GET or POST')
    return raw
