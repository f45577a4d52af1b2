"""Prompt audio works whatever directory the service starts in (issue 11).

``PROMPT_AUDIO_DIR`` is resolved once, by ``load_settings``, against the directory the process
starts in: the app looks for the files and serves them from the same absolute directory,
which is also where ``ivr prompts render`` writes them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from hotline.settings import load_settings
from prompts.audio import PromptAudio
from prompts.catalog import LANGUAGES, prompts
from prompts.cli import default_audio_dir
from prompts.manifest import ManifestEntry, write_manifest
from tests.support.caller import STRANGER, Caller, TwilioClient

AUDIO = b"RIFF rendered greeting"


def test_prompt_audio_plays_when_the_service_starts_in_another_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    rendered = {  # every fixed prompt "rendered": a reply is played only when all of it is
        (language, key): ManifestEntry(f"{language}/{key}-0123456789abcdef.wav", text, "0")
        for language in LANGUAGES
        for key, text in prompts(language).items()
    }
    for language in LANGUAGES:
        (elsewhere / "audio" / language).mkdir(parents=True)
    for entry in rendered.values():
        (elsewhere / "audio" / entry.file).write_bytes(AUDIO)
    write_manifest(elsewhere / "audio", rendered)
    greeting = rendered[("zh-CN", "greeting.hotline")]
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PROMPT_AUDIO_DIR", "audio")
    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "public_base_url": "http://hotline.test",
            "prompt_audio": True,
        }
    )
    try:
        client = app.test_client()
        caller = Caller(TwilioClient(client, app.extensions["hotline"].settings), STRANGER)
        caller.dial("10010")
        assert caller.twiml is not None
        plays = [play.text for play in caller.twiml.iter("Play")]
        url = f"http://hotline.test/voice/prompts/{greeting.file}"  # under PUBLIC_BASE_URL
        assert caller.said == [] and plays[0] == url
        with client.get(f"/voice/prompts/{greeting.file}") as response:
            assert response.status_code == 200
            assert response.mimetype == "audio/wav"
            assert response.data == AUDIO
    finally:
        app.extensions["hotline"].db.dispose()


@pytest.mark.parametrize("environ", [{}, {"PROMPT_AUDIO_DIR": "audio"}])
def test_the_service_reads_prompt_audio_where_the_render_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    directory = load_settings(environ).prompt_audio_dir
    assert Path(directory).is_absolute()
    assert Path(directory) == default_audio_dir().absolute()


def test_an_absolute_prompt_audio_dir_is_kept() -> None:
    assert load_settings({"PROMPT_AUDIO_DIR": "/srv/audio"}).prompt_audio_dir == "/srv/audio"


def test_prompt_audio_refuses_a_relative_directory() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        PromptAudio(Path("var/prompts"))
