"""The manifest of rendered prompt audio: ``manifest.json`` in the audio directory.

Written by :mod:`prompts.render`, read by :mod:`prompts.audio`. It maps (language, key) to
the audio file (relative to the directory), the catalog text the audio speaks, and the render
cache key (a hash of everything that shaped the audio)::

    {"version": 1, "prompts": {"zh-CN": {"goodbye": {"file": "...", "text": "...",
                                                     "hash": "..."}}}}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

MANIFEST_NAME: Final = "manifest.json"
FORMAT_VERSION: Final = 1

PromptId = tuple[str, str]
"""(language, key)"""


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    text: str
    hash: str


def read_manifest(directory: Path) -> dict[PromptId, ManifestEntry]:
    """The entries of *directory*'s manifest.

    Empty when there is none yet or it cannot be understood (another format version, a
    hand-edited file): the app then speaks with ``<Say>`` and the next render rewrites it.
    """
    try:
        raw = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        if raw["version"] != FORMAT_VERSION:
            return {}
        return {
            (language, key): ManifestEntry(**entry)
            for language, entries in raw["prompts"].items()
            for key, entry in entries.items()
        }
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_manifest(directory: Path, entries: Mapping[PromptId, ManifestEntry]) -> None:
    """Replace the manifest atomically, so that a reader never sees half a file."""
    by_language: dict[str, dict[str, dict[str, str]]] = {}
    for (language, key), entry in sorted(entries.items()):
        by_language.setdefault(language, {})[key] = asdict(entry)
    payload = json.dumps(
        {"version": FORMAT_VERSION, "prompts": by_language}, ensure_ascii=False, indent=1
    )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(payload + "\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the app may run as another user
    os.replace(tmp, directory / MANIFEST_NAME)
