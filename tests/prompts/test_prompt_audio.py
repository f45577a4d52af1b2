"""Pre-rendered prompt audio: rendering, caching, the manifest lookup and the HTTP route."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from prompts.audio import PromptAudio, audio_blueprint
from prompts.cli import ProgressLines, default_audio_dir, prompts_group
from prompts.manifest import ManifestEntry, read_manifest, write_manifest
from prompts.music import HOLD_MUSIC, HOLD_MUSIC_TEXT, MUSIC_DIR
from prompts.render import (
    DEFAULT_VOICES,
    RenderEnvironmentError,
    RenderProgress,
    RenderSettings,
    Voice,
    render_catalog,
    render_hold_music,
)
from prompts.tts_text import Segment, spoken_segments

CATALOG: Mapping[str, Mapping[str, str]] = {
    "zh-CN": {
        "greeting.hotline": "您好，欢迎致电中国联通10010客户服务热线。",
        "desk.topic.ios": "苹果iOS系统",
        "goodbye": "感谢您的来电，再见。",
        "report.balance": "您的账户余额为{amount}。",
    },
    "en-US": {
        "greeting.hotline": "Welcome to the China Unicom 10010 customer hotline.",
        "menu.switch_language": "普通话请按1。",
        "goodbye": "Thank you for calling. Goodbye.",
        "report.balance": "Your account balance is {amount}.",
    },
}
STATIC = sorted(
    (language, key)
    for language, texts in CATALOG.items()
    for key, text in texts.items()
    if "{" not in text
)
INSTALL_HINT = "apt-get install espeak-ng sox"


def catalog(language: str) -> Mapping[str, str]:
    return CATALOG[language]


@dataclass(frozen=True)
class WavFormat:
    encoding: int  # WAVE format tag: 1 PCM, 7 μ-law
    channels: int
    rate: int
    bits: int
    data_bytes: int


def wav_format(path: Path) -> WavFormat:
    """The fmt and data chunks of a RIFF WAVE file (``wave`` cannot read μ-law)."""
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw):
        name, size = raw[pos : pos + 4], int.from_bytes(raw[pos + 4 : pos + 8], "little")
        chunks[name] = raw[pos + 8 : pos + 8 + size]
        pos += 8 + size + size % 2
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    return WavFormat(encoding, channels, rate, bits, len(chunks[b"data"]))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prompts")
    report = render_catalog(out, catalog=catalog)
    assert report.failed == {}
    assert sorted(report.rendered) == STATIC
    return out


@pytest.fixture
def rendered_copy(rendered: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(rendered, tmp_path / "prompts"))


# -- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "key"), STATIC)
def test_static_prompt_renders_to_8khz_mono_mulaw_wav(
    rendered: Path, language: str, key: str
) -> None:
    entry = read_manifest(rendered)[(language, key)]
    audio = wav_format(rendered / entry.file)
    assert (audio.encoding, audio.channels, audio.rate, audio.bits) == (7, 1, 8000, 8)
    assert audio.data_bytes > 8000 * 0.5  # at least half a second of speech
    assert entry.text == CATALOG[language][key]


def test_prompts_with_placeholders_are_not_rendered(rendered: Path) -> None:
    assert ("zh-CN", "report.balance") not in read_manifest(rendered)
    assert ("en-US", "report.balance") not in read_manifest(rendered)


def test_second_render_reuses_every_prompt(rendered_copy: Path) -> None:
    before = {path: path.stat().st_mtime_ns for path in rendered_copy.rglob("*.wav")}
    report = render_catalog(rendered_copy, catalog=catalog)
    assert (report.rendered, sorted(report.reused), report.failed) == ([], STATIC, {})
    assert {path: path.stat().st_mtime_ns for path in rendered_copy.rglob("*.wav")} == before


def test_changed_text_rerenders_only_that_prompt(rendered_copy: Path) -> None:
    old = read_manifest(rendered_copy)[("zh-CN", "goodbye")]
    changed = {**CATALOG, "zh-CN": {**CATALOG["zh-CN"], "goodbye": "再见。"}}
    report = render_catalog(rendered_copy, catalog=changed.__getitem__)
    assert report.rendered == [("zh-CN", "goodbye")]
    assert len(report.reused) == len(STATIC) - 1
    new = read_manifest(rendered_copy)[("zh-CN", "goodbye")]
    assert (new.text, new.file != old.file) == ("再见。", True)
    assert not (rendered_copy / old.file).exists()


def test_force_rerenders_every_prompt_of_the_language(rendered_copy: Path) -> None:
    report = render_catalog(rendered_copy, languages=("en-US",), force=True, catalog=catalog)
    assert sorted(report.rendered) == [p for p in STATIC if p[0] == "en-US"]
    assert ("zh-CN", "goodbye") in read_manifest(rendered_copy)


def test_progress_is_told_before_the_first_file_and_after_each(rendered_copy: Path) -> None:
    told: list[RenderProgress] = []
    render_catalog(
        rendered_copy, languages=("en-US",), force=True, catalog=catalog, progress=told.append
    )
    english = {
        entry.file
        for (language, _), entry in read_manifest(rendered_copy).items()
        if language == "en-US"
    }
    assert told[0] == RenderProgress(0, len(english), None)
    assert [(p.done, p.total) for p in told[1:]] == [
        (n, len(english)) for n in range(1, len(english) + 1)
    ]
    assert {p.file for p in told[1:]} == {rendered_copy / file for file in english}


def test_nothing_to_render_tells_no_progress(rendered_copy: Path) -> None:
    told: list[RenderProgress] = []
    render_catalog(rendered_copy, catalog=catalog, progress=told.append)
    assert told == []


def test_an_interrupted_render_keeps_the_files_it_finished(rendered_copy: Path) -> None:
    finished: list[Path] = []

    def interrupt(progress: RenderProgress) -> None:
        if progress.file is not None:
            finished.append(progress.file)
            raise KeyboardInterrupt  # Ctrl-C, as the first file is done

    with pytest.raises(KeyboardInterrupt):
        render_catalog(
            rendered_copy,
            languages=("en-US",),
            force=True,
            settings=RenderSettings(jobs=1),
            catalog=catalog,
            progress=interrupt,
        )
    kept = {
        prompt: rendered_copy / entry.file for prompt, entry in read_manifest(rendered_copy).items()
    }
    [(english, file)] = [(prompt, file) for prompt, file in kept.items() if prompt[0] == "en-US"]
    assert [file] == finished == sorted((rendered_copy / "en-US").glob("*.wav"))
    report = render_catalog(rendered_copy, catalog=catalog)
    assert english in report.reused
    assert sorted(report.rendered) == sorted(p for p in STATIC if p[0] == "en-US" and p != english)


def test_render_is_reproducible_byte_for_byte(rendered: Path, tmp_path: Path) -> None:
    """Guards the espeak rate race and sox's random dither (see render_one and render)."""
    render_catalog(tmp_path, catalog=catalog)
    first, second = read_manifest(rendered), read_manifest(tmp_path)
    assert first == second
    for entry in first.values():
        assert (rendered / entry.file).read_bytes() == (tmp_path / entry.file).read_bytes()


def test_missing_voice_names_the_voice_and_the_install(tmp_path: Path) -> None:
    voices = {**DEFAULT_VOICES, "zh-CN": Voice("sit/no-such-voice", 150)}
    with pytest.raises(RenderEnvironmentError, match="sit/no-such-voice") as error:
        render_catalog(tmp_path, catalog=catalog, settings=RenderSettings(voices=voices))
    assert INSTALL_HINT in str(error.value)
    assert not (tmp_path / "manifest.json").exists()


def test_missing_sox_names_the_install(tmp_path: Path) -> None:
    settings = RenderSettings(sox=str(tmp_path / "no-sox"))
    with pytest.raises(RenderEnvironmentError, match=f"sox not found.*{INSTALL_HINT}"):
        render_catalog(tmp_path, catalog=catalog, settings=settings)


def test_missing_interpreter_is_a_clear_error(tmp_path: Path) -> None:
    settings = RenderSettings(python=str(tmp_path / "no-python"))
    with pytest.raises(RenderEnvironmentError, match=r"cannot run .*no-python"):
        render_catalog(tmp_path, catalog=catalog, settings=settings)


def test_hung_engine_times_out_instead_of_hanging(tmp_path: Path) -> None:
    hung = tmp_path / "hung-python"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    # The engine sleeps 30 s: only the 0.5 s timeout can produce this error.
    with pytest.raises(RenderEnvironmentError, match=r"did not answer within 0\.5 s") as error:
        render_catalog(
            tmp_path, catalog=catalog, settings=RenderSettings(python=str(hung), timeout=0.5)
        )
    assert INSTALL_HINT in str(error.value)


# -- the hold music ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hold_music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("music")
    report = render_hold_music(out)
    assert (report.rendered, report.failed) == ([HOLD_MUSIC], {})
    return out


def test_the_hold_music_is_telephone_audio_of_twenty_to_thirty_seconds(hold_music: Path) -> None:
    entry = read_manifest(hold_music / MUSIC_DIR)[HOLD_MUSIC]
    audio = wav_format(hold_music / MUSIC_DIR / entry.file)
    assert (audio.encoding, audio.channels, audio.rate, audio.bits) == (7, 1, 8000, 8)
    assert 20 <= audio.data_bytes / 8000 <= 30
    assert entry.text == HOLD_MUSIC_TEXT


def test_the_hold_music_needs_only_sox_renders_the_same_bytes_and_is_then_reused(
    hold_music: Path, tmp_path: Path
) -> None:
    """No pyttsx3 here (no interpreter at all): the music is sox's alone. Rendered again
    elsewhere it is the same file, byte for byte; rendered again in place, it is kept."""
    settings = RenderSettings(python=str(tmp_path / "no-python"))
    assert render_hold_music(tmp_path, settings=settings).rendered == [HOLD_MUSIC]
    first, second = read_manifest(hold_music / MUSIC_DIR), read_manifest(tmp_path / MUSIC_DIR)
    assert first == second
    file = first[HOLD_MUSIC].file
    made = tmp_path / MUSIC_DIR / file
    assert made.read_bytes() == (hold_music / MUSIC_DIR / file).read_bytes()
    before = made.stat().st_mtime_ns
    again = render_hold_music(tmp_path, settings=settings)
    assert (again.rendered, again.reused) == ([], [HOLD_MUSIC])
    assert made.stat().st_mtime_ns == before


def test_the_route_serves_the_hold_music_and_nothing_else_of_its_folder(hold_music: Path) -> None:
    library = PromptAudio(hold_music, catalog=catalog)
    music = library.hold_music()
    assert music is not None and music.startswith(f"{MUSIC_DIR}/")
    app = Flask(__name__)
    app.register_blueprint(audio_blueprint(library))
    client = app.test_client()
    with client.get(f"/voice/prompts/{music}") as response:
        assert response.status_code == 200 and response.mimetype == "audio/wav"
        assert response.data == (hold_music / music).read_bytes()
        assert unquote(response.headers["X-Prompt-Text"]) == HOLD_MUSIC_TEXT
    for other in ("manifest.json", "zxx/unlisted.wav", "../music/manifest.json"):
        assert client.get(f"/voice/prompts/{MUSIC_DIR}/{other}").status_code == 404


def test_there_is_no_hold_music_before_it_is_rendered(tmp_path: Path) -> None:
    assert PromptAudio(tmp_path, catalog=catalog).hold_music() is None


# -- text given to the engine ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "segments"),
    [
        ("欢迎致电10010。", "zh-CN", [Segment("zh-CN", "欢迎致电幺零零幺零。")]),
        ("Call 10010.", "en-US", [Segment("en-US", "Call 1 0 0 1 0.")]),
        ("普通话请按1。", "zh-CN", [Segment("zh-CN", "普通话请按1。")]),
        ("重听请按1，", "zh-CN", [Segment("zh-CN", "崇听请按1，")]),
        (
            "苹果iOS系统",
            "zh-CN",
            [Segment("zh-CN", "苹果"), Segment("en-US", "iOS"), Segment("zh-CN", "系统")],
        ),
        (
            "Press 1. 普通话请按2. Or hang up.",
            "en-US",
            [
                Segment("en-US", "Press 1."),
                Segment("zh-CN", "普通话请按2."),
                Segment("en-US", "Or hang up."),
            ],
        ),
        (
            "English please press 2，返回",
            "zh-CN",
            [Segment("en-US", "English please press 2,"), Segment("zh-CN", "返回")],
        ),
    ],
)
def test_engine_gets_the_spoken_form(text: str, language: str, segments: list[Segment]) -> None:
    assert list(spoken_segments(text, language)) == segments


# -- the command line ------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_renders_a_language_then_reuses_it(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PROMPT_AUDIO_DIR": str(tmp_path)}
    first = runner.invoke(prompts_group, ["render", "--language", "zh-CN"], env=env)
    assert first.exit_code == 0, first.output
    count = sum(len(read_manifest(tmp_path / sub)) for sub in ("", "clips", MUSIC_DIR))
    assert len(read_manifest(tmp_path / "clips")) > 100  # the clips figures are joined from
    assert f"{count} rendered, 0 reused, 0 failed" in first.output
    lines = first.output.splitlines()
    assert lines[0] == (
        f"Rendering {count} prompt audio files into {tmp_path}: they are kept, so only the "
        "first start waits for this; later ones reuse them."
    )
    assert lines[-2].startswith(f"  {count}/{count} ")
    second = runner.invoke(prompts_group, ["render", "--language", "zh-CN"], env=env)
    assert second.output.startswith(f"{tmp_path}: 0 rendered, {count} reused, 0 failed in ")


def test_progress_lines_come_every_few_seconds_and_after_the_last_file() -> None:
    said: list[str] = []
    seconds = iter([0.0, 1.0, 3.5, 4.0, 4.5])  # the monotonic clock at each report
    lines = ProgressLines(Path("/audio"), echo=said.append, every_s=3.0, monotonic=seconds.__next__)
    lines(RenderProgress(0, 4, None))
    for done in range(1, 5):
        lines(RenderProgress(done, 4, Path(f"/audio/clips/en-US/{done}.wav")))
    assert said == [
        "Rendering 4 prompt audio files into /audio: they are kept, so only the first start "
        "waits for this; later ones reuse them.",
        "  2/4 clips/en-US/2.wav",
        "  4/4 clips/en-US/4.wav",
    ]


def test_cli_fails_with_the_install_hint_when_sox_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(prompts_group, ["render", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert INSTALL_HINT in result.output


# -- the app's side: PromptAudio and the route -----------------------------------------------

GOODBYE = ManifestEntry("zh-CN/goodbye-0123456789abcdef.wav", "感谢您的来电，再见。", "0123")


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "audio"
    (directory / "zh-CN").mkdir(parents=True)
    (directory / GOODBYE.file).write_bytes(b"RIFF fake audio")
    (tmp_path / "secret.wav").write_bytes(b"not for callers")
    write_manifest(directory, {("zh-CN", "goodbye"): GOODBYE})
    return directory


@pytest.fixture
def library(audio_dir: Path) -> PromptAudio:
    return PromptAudio(audio_dir, catalog=catalog)


def test_path_for_a_rendered_prompt_is_its_file(library: PromptAudio) -> None:
    assert library.path_for("goodbye", "zh-CN") == GOODBYE.file


@pytest.mark.parametrize(
    ("key", "language"),
    [("goodbye", "en-US"), ("report.balance", "zh-CN"), ("no.such.key", "zh-CN")],
)
def test_path_for_an_unrendered_prompt_is_none(
    library: PromptAudio, key: str, language: str
) -> None:
    assert library.path_for(key, language) is None


def test_path_for_is_none_once_the_catalog_text_changed(audio_dir: Path) -> None:
    changed = {**CATALOG, "zh-CN": {**CATALOG["zh-CN"], "goodbye": "再见。"}}
    assert PromptAudio(audio_dir, catalog=changed.__getitem__).path_for("goodbye", "zh-CN") is None


def test_path_for_is_none_when_the_file_is_gone(library: PromptAudio, audio_dir: Path) -> None:
    (audio_dir / GOODBYE.file).unlink()
    assert library.path_for("goodbye", "zh-CN") is None


def test_path_for_is_none_without_a_manifest(tmp_path: Path) -> None:
    assert PromptAudio(tmp_path, catalog=catalog).path_for("goodbye", "zh-CN") is None


@pytest.mark.parametrize("content", ["{not json", '{"version": 99}', '{"version": 1}', "[]"])
def test_path_for_is_none_when_the_manifest_cannot_be_read(
    library: PromptAudio, audio_dir: Path, content: str
) -> None:
    (audio_dir / "manifest.json").write_text(content)
    assert library.path_for("goodbye", "zh-CN") is None


def test_a_new_manifest_is_picked_up_without_a_restart(
    library: PromptAudio, audio_dir: Path
) -> None:
    assert library.path_for("goodbye", "en-US") is None
    english = ManifestEntry("en-US/goodbye-fedcba9876543210.wav", CATALOG["en-US"]["goodbye"], "f")
    (audio_dir / "en-US").mkdir()
    (audio_dir / english.file).write_bytes(b"RIFF")
    write_manifest(audio_dir, {("zh-CN", "goodbye"): GOODBYE, ("en-US", "goodbye"): english})
    assert library.path_for("goodbye", "en-US") == english.file


@pytest.fixture
def client(library: PromptAudio) -> FlaskClient:
    app = Flask(__name__)
    app.register_blueprint(audio_blueprint(library))
    return app.test_client()


def test_route_serves_the_audio_with_its_text(client: FlaskClient) -> None:
    with client.get(f"/voice/prompts/{GOODBYE.file}") as response:  # closes the sent file
        assert response.status_code == 200
        assert response.data == b"RIFF fake audio"
        assert response.mimetype == "audio/wav"
        assert unquote(response.headers["X-Prompt-Text"]) == GOODBYE.text
        assert response.headers["Content-Language"] == "zh-CN"
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.immutable


@pytest.mark.parametrize(
    "path",
    [
        "zh-CN/unknown.wav",
        "manifest.json",
        "../secret.wav",
        "zh-CN/../../secret.wav",
        "%2e%2e/secret.wav",
        "/etc/passwd",
        "zh-CN/../manifest.json",
    ],
)
def test_route_404s_on_anything_but_a_listed_file(client: FlaskClient, path: str) -> None:
    response = client.get(f"/voice/prompts/{path}", follow_redirects=True)
    assert response.status_code == 404


def test_default_output_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPT_AUDIO_DIR", str(tmp_path))
    assert default_audio_dir() == tmp_path
    monkeypatch.delenv("PROMPT_AUDIO_DIR")
    monkeypatch.chdir(tmp_path)
    assert default_audio_dir() == Path(os.getcwd()) / "var" / "prompts"
