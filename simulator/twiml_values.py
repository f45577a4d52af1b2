"""The values Twilio accepts for the speech attributes of TwiML, as data, for
:mod:`simulator.twiml` to refuse what a real account refuses.

Where they come from (looked up in November 2026; Twilio adds voices and languages, so add
them here when the app needs one that is missing):

* ``<Say voice>``: the basic voices ``man``, ``woman`` and ``alice``; Amazon Polly voices as
  ``Polly.<Id>``, ``Polly.<Id>-Neural`` or ``Polly.<Id>-Generative``; Google voices as
  ``Google.<locale>-<model>-<variant>`` (twilio.com/docs/voice/twiml/say and its
  text-speech page). The Polly voice ids are Amazon's (the ``VoiceId`` enumeration of the
  Polly API, botocore 1.43), each with the languages Amazon's "available voices" table gives
  it (docs.aws.amazon.com/polly/latest/dg/available-voices.html).
* ``<Say language>``: the languages of those voices: Polly's ``LanguageCode`` enumeration,
  the locales of Twilio's Google voices, and alice's languages.
* ``<Gather language>``: Twilio's table of speech recognition languages
  (twilio.com/docs/voice/twiml/gather#language); ``en`` is not one, ``en-US`` is.
* ``<Gather hints>``: at most 500 comma-separated entries of at most 100 characters each
  (Twilio's warning 13330).

What Twilio does with a value outside these (its error and warning dictionary,
twilio.com/docs/api/errors): 13511 "Say: Invalid voice value" (13321 for a ``<Say>`` nested
in a ``<Gather>``), 13331 "Gather: Invalid language value", 13330 "Gather: Invalid hints
value". Twilio has no code of its own for a ``<Say language>`` that no voice speaks; its
``<Say>`` reference says an invalid combination of voice and language fails the ``<Say>``,
so the simulator reports it as the voice's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


def _tags(text: str) -> frozenset[str]:
    """The words of *text*: a list of language tags or names, written as a block."""
    return frozenset(text.split())


SAY_INVALID_VOICE: Final = "13511"
GATHER_SAY_INVALID_VOICE: Final = "13321"
GATHER_INVALID_HINTS: Final = "13330"
GATHER_INVALID_LANGUAGE: Final = "13331"

BASIC_VOICES: Final = frozenset({"man", "woman", "alice"})
POLLY_ENGINES: Final = ("-Neural", "-Generative")
"""The suffixes of ``Polly.<Id>`` for its neural and generative voice (none: the standard)."""
GOOGLE_MODELS: Final = _tags(
    "Standard Wavenet Neural2 News Studio Polyglot Journey Chirp-HD Chirp3-HD"
)

POLLY_VOICES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        voice: _tags(languages)
        for voice, languages in {
            "Zeina": "arb",
            "Hala": "ar-AE",
            "Zayd": "ar-AE",
            "Lisa": "nl-BE",
            "Arlet": "ca-ES",
            "Jitka": "cs-CZ",
            "Hiujin": "yue-CN",
            "Zhiyu": "cmn-CN",
            "Naja": "da-DK",
            "Mads": "da-DK",
            "Sofie": "da-DK",
            "Laura": "nl-NL",
            "Lotte": "nl-NL",
            "Ruben": "nl-NL",
            "Nicole": "en-AU",
            "Olivia": "en-AU",
            "Russell": "en-AU",
            "Amy": "en-GB",
            "Emma": "en-GB",
            "Brian": "en-GB",
            "Arthur": "en-GB",
            "Aditi": "en-IN hi-IN",
            "Raveena": "en-IN",
            "Kajal": "en-IN hi-IN",
            "Niamh": "en-IE",
            "Aria": "en-NZ",
            "Jasmine": "en-SG",
            "Ayanda": "en-ZA",
            "Danielle": "en-US",
            "Gregory": "en-US",
            "Ivy": "en-US",
            "Joanna": "en-US",
            "Kendra": "en-US",
            "Kimberly": "en-US",
            "Salli": "en-US",
            "Joey": "en-US",
            "Justin": "en-US",
            "Kevin": "en-US",
            "Matthew": "en-US",
            "Ruth": "en-US",
            "Stephen": "en-US",
            "Tiffany": "en-US",
            "Geraint": "en-GB-WLS",
            "Gwyneth": "cy-GB",
            "Suvi": "fi-FI",
            "Isabelle": "fr-BE",
            "Chantal": "fr-CA",
            "Gabrielle": "fr-CA",
            "Liam": "fr-CA",
            "Celine": "fr-FR",
            "Lea": "fr-FR",
            "Mathieu": "fr-FR",
            "Remi": "fr-FR",
            "Ambre": "fr-FR",
            "Florian": "fr-FR",
            "Marlene": "de-DE",
            "Vicki": "de-DE",
            "Hans": "de-DE",
            "Daniel": "de-DE",
            "Lennart": "de-DE",
            "Hannah": "de-AT",
            "Sabrina": "de-CH",
            "Dora": "is-IS",
            "Karl": "is-IS",
            "Carla": "it-IT",
            "Bianca": "it-IT",
            "Giorgio": "it-IT",
            "Adriano": "it-IT",
            "Beatrice": "it-IT",
            "Lorenzo": "it-IT",
            "Mizuki": "ja-JP",
            "Takumi": "ja-JP",
            "Kazuha": "ja-JP",
            "Tomoko": "ja-JP",
            "Seoyeon": "ko-KR",
            "Jihye": "ko-KR",
            "Liv": "nb-NO",
            "Ida": "nb-NO",
            "Ewa": "pl-PL",
            "Maja": "pl-PL",
            "Jacek": "pl-PL",
            "Jan": "pl-PL",
            "Ola": "pl-PL",
            "Camila": "pt-BR",
            "Vitoria": "pt-BR",
            "Ricardo": "pt-BR",
            "Thiago": "pt-BR",
            "Ines": "pt-PT",
            "Cristiano": "pt-PT",
            "Carmen": "ro-RO",
            "Tatyana": "ru-RU",
            "Maxim": "ru-RU",
            "Conchita": "es-ES",
            "Lucia": "es-ES",
            "Enrique": "es-ES",
            "Sergio": "es-ES",
            "Mia": "es-MX",
            "Andres": "es-MX",
            "Lupe": "es-US",
            "Penelope": "es-US",
            "Miguel": "es-US",
            "Pedro": "es-US",
            "Astrid": "sv-SE",
            "Elin": "sv-SE",
            "Filiz": "tr-TR",
            "Burcu": "tr-TR",
        }.items()
    }
)

GOOGLE_LOCALES: Final = _tags(
    """
    af-ZA ar-XA bg-BG bn-IN ca-ES cmn-CN cmn-TW cs-CZ da-DK de-DE el-GR en-AU en-GB en-IN
    en-US es-ES es-US eu-ES fi-FI fil-PH fr-CA fr-FR gl-ES gu-IN he-IL hi-IN hu-HU id-ID
    is-IS it-IT ja-JP kn-IN ko-KR lt-LT lv-LV ml-IN mr-IN ms-MY nb-NO nl-BE nl-NL pa-IN
    pl-PL pt-BR pt-PT ro-RO ru-RU sk-SK sr-RS sv-SE ta-IN te-IN th-TH tr-TR uk-UA vi-VN
    yue-HK
    """
)

ALICE_LANGUAGES: Final = _tags(
    """
    ca-ES da-DK de-DE en-AU en-CA en-GB en-IN en-US es-ES es-MX fi-FI fr-CA fr-FR it-IT
    ja-JP ko-KR nb-NO nl-NL pl-PL pt-BR pt-PT ru-RU sv-SE zh-CN zh-HK zh-TW
    """
)

SAY_LANGUAGES: Final = frozenset().union(*POLLY_VOICES.values()) | GOOGLE_LOCALES | ALICE_LANGUAGES

GATHER_LANGUAGES: Final = _tags(
    """
    af-ZA am-ET hy-AM az-AZ id-ID ms-MY bn-BD bn-IN ca-ES cs-CZ da-DK de-DE en-AU en-CA
    en-GH en-GB en-IN en-IE en-KE en-NZ en-NG en-PH en-ZA en-TZ en-US es-AR es-BO es-CL
    es-CO es-CR es-EC es-SV es-ES es-US es-GT es-HN es-MX es-NI es-PA es-PY es-PE es-PR
    es-DO es-UY es-VE eu-ES fil-PH fr-CA fr-FR gl-ES ka-GE gu-IN hr-HR zu-ZA is-IS it-IT
    jv-ID kn-IN km-KH lo-LA lv-LV lt-LT hu-HU ml-IN mr-IN nl-NL ne-NP nb-NO pl-PL pt-BR
    pt-PT ro-RO si-LK sk-SK sl-SI su-ID sw-TZ sw-KE fi-FI sv-SE ta-IN ta-SG ta-LK ta-MY
    te-IN vi-VN tr-TR ur-PK ur-IN el-GR bg-BG ru-RU sr-RS uk-UA he-IL ar-IL ar-JO ar-AE
    ar-BH ar-DZ ar-SA ar-IQ ar-KW ar-MA ar-TN ar-OM ar-PS ar-QA ar-LB ar-EG fa-IR hi-IN
    th-TH ko-KR cmn-Hant-TW yue-Hant-HK ja-JP cmn-Hans-HK cmn-Hans-CN
    """
)

HINTS_MAX_ENTRIES: Final = 500
HINT_MAX_CHARS: Final = 100
