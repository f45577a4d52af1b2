"""``ivr prompts ...``: operator commands for the prompt audio."""

from __future__ import annotations

import os
from pathlib import Path

import click

from prompts.catalog import LANGUAGES
from prompts.render import RenderEnvironmentError, render_all


def default_audio_dir() -> Path:
    """``$PROMPT_AUDIO_DIR``, else ``var/prompts`` under the working directory."""
    return Path(os.environ.get("PROMPT_AUDIO_DIR") or Path.cwd() / "var" / "prompts")


@click.group(name="prompts")
def prompts_group() -> None:
    """Pre-rendered prompt audio."""


@prompts_group.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory [default: $PROMPT_AUDIO_DIR or ./var/prompts].",
)
@click.option("--force", is_flag=True, help="Render every prompt again, ignoring the cache.")
@click.option("--language", type=click.Choice(LANGUAGES), help="Only this language.")
def render(out: Path | None, force: bool, language: str | None) -> None:
    """Render the static prompts of the catalog, and the clips figures are said with, to
    8 kHz μ-law WAV files."""
    out = out or default_audio_dir()
    try:
        report = render_all(out, languages=(language,) if language else LANGUAGES, force=force)
    except RenderEnvironmentError as exc:
        raise click.ClickException(str(exc)) from exc
    for (lang, key), reason in sorted(report.failed.items()):
        click.echo(f"failed {lang} {key}: {reason}", err=True)
    click.echo(
        f"{out}: {len(report.rendered)} rendered, {len(report.reused)} reused, "
        f"{len(report.failed)} failed in {report.seconds:.1f} s"
    )
    if not report.ok:
        raise SystemExit(1)
