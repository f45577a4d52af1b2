"""Pre-rendered prompt audio for the app: which prompts have audio, and serving the files.

The app asks :meth:`PromptAudio.path_for` and plays the file when there is one, or falls back
to ``<Say>`` when there is none or it no longer matches the catalog text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from flask import Blueprint, Response, abort, send_from_directory

from prompts.catalog import prompts
from prompts.manifest import MANIFEST_NAME, ManifestEntry, PromptId, read_manifest

CACHE_SECONDS: Final = 365 * 24 * 3600
"""File names carry the render hash, so a name never changes its content."""


class PromptAudio:
    """The rendered audio in *directory*, as its manifest lists it.

    The manifest is read once and read again when its modification time changes, so that
    ``ivr prompts render`` takes effect in running processes. Safe to share between threads.

    *directory* must be absolute (``load_settings`` makes ``PROMPT_AUDIO_DIR`` so): a relative
    one would be looked up against the working directory here but served by Flask from the
    app's folder, and every ``<Play>`` would 404 when the two differ.
    """

    def __init__(
        self, directory: Path, catalog: Callable[[str], Mapping[str, str]] = prompts
    ) -> None:
        if not directory.is_absolute():
            raise ValueError(f"prompt audio directory must be absolute, not {directory}")
        self.directory = directory
        self._catalog = catalog
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._manifest = _Manifest({})

    def path_for(self, key: str, language: str) -> str | None:
        """The audio file of prompt *key*, relative to the directory, or None.

        None when the prompt was not rendered (dynamic prompts never are), its file is gone,
        or the catalog text changed since it was rendered.
        """
        entry = self._current().entries.get((language, key))
        if entry is None or self._catalog(language).get(key) != entry.text:
            return None
        return entry.file if (self.directory / entry.file).is_file() else None

    def prompt_in(self, filename: str) -> RenderedPrompt | None:
        """The prompt whose audio *filename* is, or None when the manifest does not list it."""
        return self._current().by_file.get(filename)

    def _current(self) -> _Manifest:
        try:
            stat = (self.directory / MANIFEST_NAME).stat()
            # The render replaces the manifest, so a new inode marks a new version even where
            # modification times are coarse.
            version: tuple[int, int] | None = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            version = None
        with self._lock:
            if version != self._version:
                self._manifest = _Manifest(read_manifest(self.directory) if version else {})
                self._version = version
            return self._manifest


@dataclass(frozen=True)
class RenderedPrompt:
    language: str
    key: str
    text: str
    """The catalog text the audio was rendered from."""


class _Manifest:
    def __init__(self, entries: dict[PromptId, ManifestEntry]) -> None:
        self.entries = entries
        self.by_file = {
            entry.file: RenderedPrompt(language, key, entry.text)
            for (language, key), entry in entries.items()
        }


def audio_blueprint(library: PromptAudio) -> Blueprint:
    """``GET /voice/prompts/<filename>``: a rendered prompt, for Twilio's ``<Play>``.

    Only files the manifest lists are served. ``X-Prompt-Text`` carries the spoken text,
    percent-encoded UTF-8, for the local call simulator; Twilio ignores it.
    """
    blueprint = Blueprint("prompt_audio", __name__)

    @blueprint.get("/voice/prompts/<path:filename>")
    def prompt_file(filename: str) -> Response:
        prompt = library.prompt_in(filename)
        if prompt is None:
            abort(404)
        response = send_from_directory(
            library.directory, filename, mimetype="audio/wav", max_age=CACHE_SECONDS
        )
        response.cache_control.public = True
        response.cache_control.immutable = True
        response.headers["X-Prompt-Text"] = quote(prompt.text, safe="")
        response.content_language.add(prompt.language)
        return response

    return blueprint
