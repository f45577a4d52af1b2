"""Pre-render the catalog's static prompts, and the clips lines with figures are joined from
(:mod:`prompts.voice`), into telephone audio: 8 kHz mono μ-law WAV; and the hold music
(:mod:`prompts.music`), synthesised by sox alone.

Every utterance is synthesised by pyttsx3 + espeak-ng in a process of its own
(``prompts/render_one.py``; docs/speech.md explains why), converted with sox, and listed in the
manifest. A prompt is rendered again only when its cache key changes: the spoken text, the
voices and rates, the engine versions or the converter settings (the music: its notes and
sox).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Final

from prompts import music
from prompts.catalog import LANGUAGES, prompts
from prompts.manifest import ManifestEntry, PromptId, read_manifest, write_manifest
from prompts.tts_text import Segment, spoken_segments
from prompts.voice import clip_catalog

INSTALL_HINT: Final = "install them with: apt-get install espeak-ng sox"
WORKER: Final = Path(__file__).with_name("render_one.py")
SOX_OPTIONS: Final = ("-G", "-D")
"""sox global options: ``-G`` guards against clipping when resampling; ``-D`` turns off the
automatic dither, which is random, so that a render is reproducible byte for byte."""
TELEPHONE_FORMAT: Final = ("-r", "8000", "-c", "1", "-e", "mu-law")
_FILE_SAFE_KEY: Final = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Voice:
    id: str
    """A pyttsx3 voice id as ``engine.getProperty("voices")`` lists it."""
    rate: int
    """Words per minute as pyttsx3 takes it (espeak-ng's rate). For Mandarin, 210 gives a
    hotline's 4 to 5 characters a second (docs/speech.md); 150 gave 3.2."""


DEFAULT_VOICES: Final[Mapping[str, Voice]] = MappingProxyType(
    {"zh-CN": Voice("sit/cmn-latn-pinyin", 210), "en-US": Voice("gmw/en-us", 160)}
)


@dataclass(frozen=True)
class RenderSettings:
    voices: Mapping[str, Voice] = field(default_factory=lambda: DEFAULT_VOICES)
    sox: str = "sox"
    python: str = sys.executable
    """Interpreter that runs the worker; it needs pyttsx3."""
    timeout: float = 20.0
    """Seconds any one subprocess may take before it counts as hung and is killed."""
    attempts: int = 2
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)


class RenderEnvironmentError(RuntimeError):
    """Something rendering needs (espeak-ng, a voice, sox, pyttsx3) is missing or broken."""


class PromptRenderError(RuntimeError):
    """One prompt could not be rendered."""


@dataclass
class RenderReport:
    rendered: list[PromptId] = field(default_factory=list)
    reused: list[PromptId] = field(default_factory=list)
    failed: dict[PromptId, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Job:
    prompt: PromptId
    text: str
    segments: tuple[Segment, ...]
    hash: str

    @property
    def file(self) -> str:
        language, key = self.prompt
        return f"{language}/{key}-{self.hash[:16]}.wav"


def is_static(template: str) -> bool:
    """True when the prompt has no ``{placeholder}``, so its audio can be made in advance."""
    return all(name is None for _, name, _, _ in Formatter().parse(template))


@dataclass(frozen=True)
class RenderProgress:
    """How far a render has come: reported once before the first file, then after each."""

    done: int
    """Files rendered (or failed) so far."""
    total: int
    """Files this render makes: those missing or out of date; reused ones are not counted."""
    file: Path | None
    """The file just finished; None in the report before the first."""


ProgressCallback = Callable[[RenderProgress], None]


def render_catalog(
    out_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    force: bool = False,
    settings: RenderSettings | None = None,
    catalog: Callable[[str], Mapping[str, str]] = prompts,
    progress: ProgressCallback | None = None,
) -> RenderReport:
    """Render the static prompts of *languages* into *out_dir*, reusing unchanged audio.

    Raises RenderEnvironmentError before rendering anything when a tool is missing; a
    prompt that fails on its own is listed in the report and left out of the manifest.
    *progress* hears how far the render has come (nothing when everything is reused).
    """
    return _render([(out_dir, catalog)], languages, force, settings, progress)


def render_clips(
    out_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    force: bool = False,
    settings: RenderSettings | None = None,
    catalog: Callable[[str], Mapping[str, str]] = prompts,
    progress: ProgressCallback | None = None,
) -> RenderReport:
    """Render the clips lines with figures are joined from (:mod:`prompts.voice`) into
    ``<out_dir>/clips``, with the manifest of their own, reusing unchanged audio."""
    return _render([_clips(out_dir, catalog)], languages, force, settings, progress)


def render_all(
    out_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    force: bool = False,
    settings: RenderSettings | None = None,
    catalog: Callable[[str], Mapping[str, str]] = prompts,
    progress: ProgressCallback | None = None,
) -> RenderReport:
    """The static prompts and the clips of *languages*, and the hold music: everything the
    app plays, in one render whose *progress* counts the files of all three."""
    catalogs = [(out_dir, catalog), _clips(out_dir, catalog)]
    return _render(catalogs, languages, force, settings, progress, music_in=out_dir)


def render_hold_music(
    out_dir: Path, *, force: bool = False, settings: RenderSettings | None = None
) -> RenderReport:
    """Synthesise the hold music (:mod:`prompts.music`) with sox into ``<out_dir>/music``,
    with the manifest of its own, unless it is there already. Only sox is needed: the same
    notes and the same sox make the same file, byte for byte."""
    return _render([], (), force, settings, None, music_in=out_dir)


@dataclass(frozen=True)
class _MusicJob:
    """The hold music to synthesise (its id, file and hash as a prompt's)."""

    prompt: PromptId
    hash: str

    @property
    def file(self) -> str:
        language, key = self.prompt
        return f"{language}/{key}-{self.hash[:16]}.wav"


def _music_plan(
    out_dir: Path, force: bool, settings: RenderSettings, report: RenderReport
) -> _Plan:
    """The hold music's directory: its entry kept when its notes and sox are unchanged."""
    music_dir = out_dir / music.MUSIC_DIR
    music_dir.mkdir(parents=True, exist_ok=True)
    key = {
        "voices": [dataclasses.astuple(voice) for voice in music.VOICES],
        "beat": music.BEAT_S,
        "master": music.MASTER,
        "sox": _sox_version(settings),
        "converter": [*_MUSIC_SOX_OPTIONS, *TELEPHONE_FORMAT],
    }
    job = _MusicJob(
        music.HOLD_MUSIC, hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    )
    plan = _Plan(music_dir, (music.HOLD_MUSIC[0],), {}, [])
    entry = read_manifest(music_dir).get(job.prompt)
    if not force and entry and entry.hash == job.hash and _has_audio(music_dir / entry.file):
        plan.kept[job.prompt] = entry
        report.reused.append(job.prompt)
    else:
        plan.todo.append(job)
    return plan


def _render_music(job: _MusicJob, out_dir: Path, settings: RenderSettings) -> ManifestEntry:
    target = out_dir / job.file
    _synthesise_music(target, settings)
    return ManifestEntry(job.file, music.HOLD_MUSIC_TEXT, job.hash)


def _synthesise_music(target: Path, settings: RenderSettings) -> None:
    """Each note of each voice as a file of its own, the notes of a voice joined, the voices
    mixed, then made telephone audio: all by sox, at the telephone's 8 kHz throughout."""
    with tempfile.TemporaryDirectory(dir=target.parent.parent, prefix=".render-") as tmp:
        voices = []
        for v, voice in enumerate(music.VOICES):
            notes = []
            for n, (pitch, beats) in enumerate(voice.score()):
                seconds = beats * music.BEAT_S
                effects = voice.envelope.format(seconds=seconds, decay=round(seconds * 0.9, 3))
                note = Path(tmp) / f"v{v}n{n}.wav"
                tone = ["synth", str(seconds), voice.wave, f"{music.frequency(pitch):.3f}"]
                _sox([*_SILENT_8K, str(note), *tone, *effects.split()], note, settings)
                notes.append(str(note))
            joined = Path(tmp) / f"v{v}.wav"
            _sox([*notes, str(joined)], joined, settings)
            voices.append(str(joined))
        telephone = Path(tmp) / "telephone.wav"
        _sox(
            ["-m", *voices, *TELEPHONE_FORMAT, str(telephone), *music.MASTER.split()],
            telephone,
            settings,
        )
        target.parent.mkdir(exist_ok=True)
        os.replace(telephone, target)


_SILENT_8K: Final = ("-n", "-r", "8000", "-c", "1", "-b", "16")
"""sox's input for synthesis: nothing, at the telephone's rate, mono, 16-bit."""


_MUSIC_SOX_OPTIONS: Final = ("-D", "-R")
"""sox global options for the music: no dither and fixed seeds, so that it is rendered the
same byte for byte. Not ``-G``: the music's effects set its levels (``-G`` refuses
``gain -n``)."""


def _sox(arguments: list[str], out: Path, settings: RenderSettings) -> None:
    """Run sox to make *out*."""
    command = [settings.sox, *_MUSIC_SOX_OPTIONS, *arguments]
    try:
        done = subprocess.run(command, capture_output=True, timeout=settings.timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PromptRenderError(f"sox hung for {settings.timeout} s") from None
    if done.returncode != 0 or not _has_audio(out):
        raise PromptRenderError(f"sox failed: {done.stderr.decode(errors='replace').strip()}")


def _sox_version(settings: RenderSettings) -> str:
    done = subprocess.run(
        [settings.sox, "--version"], capture_output=True, timeout=settings.timeout, check=False
    )
    return done.stdout.decode(errors="replace").strip()


_Catalog = tuple[Path, Callable[[str], Mapping[str, str]]]
"""An output directory with its manifest, and the catalog rendered into it."""


def _clips(out_dir: Path, catalog: Callable[[str], Mapping[str, str]]) -> _Catalog:
    clips = {language: clip_catalog(language, catalog) for language in LANGUAGES}
    return out_dir / "clips", clips.__getitem__


@dataclass
class _Plan:
    """One output directory's render: the languages whose audio it holds, the entries its
    manifest keeps, and what to render."""

    out_dir: Path
    languages: Sequence[str]
    kept: dict[PromptId, ManifestEntry]
    todo: list[_Job | _MusicJob]


def _render(
    catalogs: Sequence[_Catalog],
    languages: Sequence[str],
    force: bool,
    settings: RenderSettings | None,
    progress: ProgressCallback | None,
    *,
    music_in: Path | None = None,
) -> RenderReport:
    """Render *catalogs*, and the hold music into *music_in* when given, in one pool of
    workers, then write each directory's manifest."""
    settings = settings or RenderSettings()
    unvoiced = {*LANGUAGES, *languages} - set(settings.voices)  # prompts mix both languages
    if catalogs and unvoiced:
        raise ValueError(f"no voice configured for {sorted(unvoiced)}")
    started = time.monotonic()
    # The hold music alone needs only sox; prompts need pyttsx3 and espeak-ng too.
    engine = check_environment(settings) if catalogs else _require_sox(settings)
    report = RenderReport()
    plans = [
        _plan(out_dir, catalog, languages, force, settings, engine, report)
        for out_dir, catalog in catalogs
    ]
    if music_in is not None:
        plans.append(_music_plan(music_in, force, settings, report))
    todo = [(plan, job) for plan in plans for job in plan.todo]
    if todo and progress is not None:
        progress(RenderProgress(0, len(todo), None))
    pool = ThreadPoolExecutor(max_workers=max(1, settings.jobs))
    try:
        futures = {
            pool.submit(_render_job, job, plan.out_dir, settings): (plan, job) for plan, job in todo
        }
        for done, future in enumerate(as_completed(futures), start=1):
            plan, job = futures[future]
            try:
                plan.kept[job.prompt] = future.result()
                report.rendered.append(job.prompt)
            except (PromptRenderError, OSError) as exc:
                report.failed[job.prompt] = str(exc)
            if progress is not None:
                progress(RenderProgress(done, len(todo), plan.out_dir / job.file))
    finally:
        # Interrupted (Ctrl-C), the render stops without starting another file, and keeps
        # those it finished: the next one renders only the rest.
        pool.shutdown(cancel_futures=True)
        for plan in plans:
            write_manifest(plan.out_dir, plan.kept)
            _remove_unlisted_audio(
                plan.out_dir, plan.languages, {entry.file for entry in plan.kept.values()}
            )
    report.seconds = time.monotonic() - started
    return report


def _render_job(job: _Job | _MusicJob, out_dir: Path, settings: RenderSettings) -> ManifestEntry:
    if isinstance(job, _MusicJob):
        return _render_music(job, out_dir, settings)
    return _render_one(job, out_dir, settings)


def _plan(
    out_dir: Path,
    catalog: Callable[[str], Mapping[str, str]],
    languages: Sequence[str],
    force: bool,
    settings: RenderSettings,
    engine: str,
    report: RenderReport,
) -> _Plan:
    """What *out_dir* keeps of its manifest and what it needs rendered; the reused prompts
    go into *report*."""
    out_dir.mkdir(parents=True, exist_ok=True)
    old = read_manifest(out_dir)
    kept = {prompt: entry for prompt, entry in old.items() if prompt[0] not in languages}
    todo: list[_Job | _MusicJob] = []
    for language in languages:
        for key, template in catalog(language).items():
            if not is_static(template):
                continue
            job = _job((language, key), template, settings.voices, engine)
            entry = old.get(job.prompt)
            if not force and entry and entry.hash == job.hash and _has_audio(out_dir / entry.file):
                kept[job.prompt] = entry
                report.reused.append(job.prompt)
            else:
                todo.append(job)
    return _Plan(out_dir, languages, kept, todo)


def check_environment(settings: RenderSettings) -> str:
    """Fail clearly unless sox, pyttsx3, espeak-ng and every voice are there.

    Returns the engine description that goes into the cache key.
    """
    _require_sox(settings)
    try:
        done = subprocess.run(
            [settings.python, str(WORKER), "--probe"],
            capture_output=True,
            timeout=settings.timeout,
            check=False,
        )
    except OSError as exc:
        raise RenderEnvironmentError(
            f"cannot run {settings.python!r} for pyttsx3: {exc.strerror}"
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderEnvironmentError(
            f"pyttsx3/espeak-ng did not answer within {settings.timeout} s; {INSTALL_HINT}"
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise RenderEnvironmentError(
            f"pyttsx3/espeak-ng unusable: {detail[-1] if detail else done.returncode}; "
            f"{INSTALL_HINT}"
        )
    probe = json.loads(done.stdout)
    for language, voice in settings.voices.items():
        if voice.id not in probe["voices"]:
            raise RenderEnvironmentError(
                f"espeak-ng has no voice {voice.id!r} (for {language}); {INSTALL_HINT}"
            )
    return f"pyttsx3 {version('pyttsx3')}, espeak-ng {probe['espeak']}"


def _require_sox(settings: RenderSettings) -> str:
    """Fail clearly unless sox is there; its version."""
    if shutil.which(settings.sox) is None:
        raise RenderEnvironmentError(f"sox not found (looked for {settings.sox!r}); {INSTALL_HINT}")
    return _sox_version(settings)


def _job(prompt: PromptId, text: str, voices: Mapping[str, Voice], engine: str) -> _Job:
    segments = spoken_segments(text, prompt[0])
    key = {
        "speech": [[voices[s.language].id, voices[s.language].rate, s.text] for s in segments],
        "engine": engine,
        "converter": ["sox", *SOX_OPTIONS, *TELEPHONE_FORMAT],
    }
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False, sort_keys=True).encode())
    return _Job(prompt, text, segments, digest.hexdigest())


def _render_one(job: _Job, out_dir: Path, settings: RenderSettings) -> ManifestEntry:
    if not _FILE_SAFE_KEY.fullmatch(job.prompt[1]):
        raise PromptRenderError(f"prompt key {job.prompt[1]!r} cannot name a file")
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-") as tmp:
        parts = [Path(tmp) / f"part{i}.wav" for i in range(len(job.segments))]
        for segment, part in zip(job.segments, parts, strict=True):
            _synthesise(segment, settings.voices[segment.language], part, settings)
        telephone = Path(tmp) / "telephone.wav"
        _convert(parts, telephone, settings)
        target = out_dir / job.file
        target.parent.mkdir(exist_ok=True)
        os.replace(telephone, target)
    return ManifestEntry(job.file, job.text, job.hash)


def _synthesise(segment: Segment, voice: Voice, out: Path, settings: RenderSettings) -> None:
    """Run the one-utterance worker, again if it hangs or fails (espeak is flaky)."""
    command = [settings.python, str(WORKER), "--voice", voice.id, "--rate", str(voice.rate)]
    failure = ""
    for _ in range(max(1, settings.attempts)):
        try:
            done = subprocess.run(
                [*command, "--out", str(out)],
                input=segment.text.encode(),
                capture_output=True,
                timeout=settings.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            failure = f"pyttsx3/espeak-ng hung for {settings.timeout} s"
            continue
        if done.returncode == 0 and _has_audio(out):
            return
        failure = done.stderr.decode(errors="replace").strip() or (
            f"worker exited with status {done.returncode} and no audio"
        )
    raise PromptRenderError(f"{failure} ({voice.id}: {segment.text!r}); {INSTALL_HINT}")


def _convert(parts: Iterable[Path], out: Path, settings: RenderSettings) -> None:
    """Concatenate the parts into one telephone-ready file."""
    command = [settings.sox, *SOX_OPTIONS, *map(str, parts), *TELEPHONE_FORMAT, str(out)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=settings.timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PromptRenderError(f"sox hung for {settings.timeout} s") from None
    if done.returncode != 0 or not _has_audio(out):
        raise PromptRenderError(f"sox failed: {done.stderr.decode(errors='replace').strip()}")


def _has_audio(path: Path) -> bool:
    """More than a bare 44-byte WAV header."""
    try:
        return path.stat().st_size > 44
    except FileNotFoundError:
        return False


def _remove_unlisted_audio(out_dir: Path, languages: Iterable[str], listed: set[str]) -> None:
    for language in languages:
        for path in (out_dir / language).glob("*.wav"):
            if path.relative_to(out_dir).as_posix() not in listed:
                path.unlink()
