"""Pre-rendered prompt audio for the app: which prompts have audio, and serving the files.

The app asks :meth:`PromptAudio.path_for` for a static prompt and :meth:`PromptAudio.line_path`
for a line with figures (joined from pre-rendered clips, see :mod:`prompts.voice`), and plays
the files when every line of a reply has one; it speaks the whole reply with ``<Say>`` when
any is missing or no longer matches the catalog text. The hold music is served beside them
(:meth:`PromptAudio.hold_music`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from flask import Blueprint, Response, abort, send_from_directory

from prompts.catalog import prompts
from prompts.manifest import MANIFEST_NAME, ManifestEntry, PromptId, read_manifest
from prompts.music import HOLD_MUSIC, MUSIC_DIR
from prompts.voice import (
    LINE_FILE,
    AudioFormatError,
    MissingClip,
    clip_key,
    filled,
    join,
    line_name,
    mulaw_samples,
    plan,
    trimmed,
    write_atomically,
)

logger = logging.getLogger(__name__)
CLIPS_DIR: Final = "clips"
"""Subdirectory of the building blocks of spoken figures and the fixed words around them."""
LINES_DIR: Final = "lines"
"""Subdirectory of joined lines, made at request time; safe to delete at any time."""
LINE_TTL_SECONDS: Final = 24 * 3600
"""Joined lines older than this are removed: Twilio fetches a <Play> as the call plays it."""
PRUNE_EVERY: Final = 500
"""Look for old joined lines after this many new ones (a scan of ``lines/`` takes a few ms)."""
CLIP_CACHE: Final = 2048
"""Clips kept in memory (trimmed samples, a few kB each)."""

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
        self._prompts = _Watched(directory)
        self._clips = _Watched(directory / CLIPS_DIR)
        self._music = _Watched(directory / MUSIC_DIR)
        self._samples: OrderedDict[str, bytes] = OrderedDict()
        self._samples_lock = threading.Lock()
        self._joined = 0

    def path_for(self, key: str, language: str) -> str | None:
        """The audio file of prompt *key*, relative to the directory, or None.

        None when the prompt was not rendered (dynamic prompts never are), its file is gone,
        or the catalog text changed since it was rendered.
        """
        entry = self._prompts.current().entries.get((language, key))
        if entry is None or self._catalog(language).get(key) != entry.text:
            return None
        return entry.file if (self.directory / entry.file).is_file() else None

    def hold_music(self) -> str | None:
        """The hold music (:mod:`prompts.music`), relative to the directory, or None when it
        was not rendered or its file is gone."""
        entry = self._music.current().entries.get(HOLD_MUSIC)
        if entry is None:
            return None
        file = f"{MUSIC_DIR}/{entry.file}"
        return file if (self.directory / file).is_file() else None

    def line_path(self, key: str, params: Mapping[str, str], language: str) -> str | None:
        """The audio of line *key* with its figures *params*, joined from clips, or None.

        The joined file is made once per text (and set of clips) and kept in ``lines/``;
        None, with a warning logged, when a clip (or a prompt a value names) is missing.
        """
        try:
            pieces = plan(key, params, language, self._catalog)
        except MissingClip as exc:
            logger.warning("prompt audio: no clip for %s in %s; the reply is said", exc, key)
            return None
        clips = self._clips.current()
        files = []
        for piece in pieces:
            if piece.prompt is not None:
                file = self.path_for(piece.prompt, language)
            else:
                file = _clip_file(clips, piece.text, language)
            if file is None:
                logger.warning(
                    "prompt audio: clip %r of %s (%s) not rendered; the reply is said",
                    piece.text,
                    key,
                    language,
                )
                return None
            files.append(file)
        text = filled(key, params, language, self._catalog)
        name = line_name(language, text, files)
        target = self.directory / name
        try:
            os.utime(target)  # joined before, and still in use: not for pruning
        except OSError:  # not joined yet (or its folder cannot hold it: the write says so)
            pass
        else:
            return name
        try:
            audio = join(self._samples_of(file) for file in files)
        except (OSError, AudioFormatError) as exc:
            logger.warning("prompt audio: cannot join %s (%s): %s", key, language, exc)
            return None
        # The text first: a file the route can find always has its transcript.
        sidecar = json.dumps({"language": language, "text": text}, ensure_ascii=False)
        try:
            write_atomically(target.with_suffix(".json"), sidecar.encode())
            write_atomically(target, audio)
        except OSError as exc:  # a read-only or full disk: the reply is said
            logger.warning("prompt audio: cannot write %s: %s; the reply is said", name, exc)
            return None
        with self._samples_lock:
            self._joined += 1
            prune = self._joined % PRUNE_EVERY == 0
        if prune:
            self.prune_lines()
        return name

    def prune_lines(self, max_age: float = LINE_TTL_SECONDS) -> int:
        """Remove joined lines (and their texts) older than *max_age* seconds; how many."""
        cutoff = time.time() - max_age
        removed = 0
        for path in (self.directory / LINES_DIR).glob("*/*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += path.suffix == ".wav"
            except FileNotFoundError:  # another worker pruned it first
                continue
        return removed

    def prompt_in(self, filename: str) -> RenderedPrompt | None:
        """The prompt, joined line or music whose audio *filename* is, or None when it is
        neither a file a manifest lists nor a joined line."""
        if filename.startswith(f"{MUSIC_DIR}/"):
            return self._music.current().by_file.get(filename.removeprefix(f"{MUSIC_DIR}/"))
        if LINE_FILE.fullmatch(filename):
            try:
                raw = json.loads((self.directory / filename).with_suffix(".json").read_bytes())
                return RenderedPrompt(raw["language"], "line", raw["text"])
            except (OSError, ValueError, KeyError, TypeError):
                return None
        return self._prompts.current().by_file.get(filename)

    def _samples_of(self, file: str) -> bytes:
        """The trimmed samples of *file*, from memory once read (names never change content)."""
        with self._samples_lock:
            if file in self._samples:
                self._samples.move_to_end(file)
                return self._samples[file]
        samples = trimmed(mulaw_samples((self.directory / file).read_bytes()))  # espeak pads
        with self._samples_lock:
            self._samples[file] = samples
            while len(self._samples) > CLIP_CACHE:
                self._samples.popitem(last=False)
        return samples


def _clip_file(clips: _Manifest, text: str, language: str) -> str | None:
    """The clip saying *text*, as *clips* lists it. Not looked for on disk (a clip read
    once is kept in memory): one that went missing fails the join, and the reply is said."""
    entry = clips.entries.get((language, clip_key(text)))
    if entry is None or entry.text != text:
        return None
    return f"{CLIPS_DIR}/{entry.file}"


class _Watched:
    """The manifest of one directory, read again when it is replaced."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._manifest = _Manifest({})

    def current(self) -> _Manifest:
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
    """``GET /voice/prompts/<filename>``: a rendered prompt, or the hold music, for Twilio's
    ``<Play>``.

    Only the files the manifests list, and joined lines, are served. ``X-Prompt-Text``
    carries the spoken text, percent-encoded UTF-8, for the local call simulator; Twilio
    ignores it.
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
