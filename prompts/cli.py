"""``ivr prompts ...``: operator commands for the prompt audio."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import click

from prompts.catalog import LANGUAGES
from prompts.render import RenderEnvironmentError, RenderProgress, render_all

AUDIO_ENABLED: Final = "prompts.audio_enabled"
"""Where the ``ivr`` command keeps the function that tells whether the service plays prompt
audio (``PROMPT_AUDIO``; click's meta, set by the composition root). Without one, it does."""
PROGRESS_EVERY_S: Final = 3.0
"""Least time between two progress lines of a render."""


def default_audio_dir() -> Path:
    """``$PROMPT_AUDIO_DIR``, else ``var/prompts`` under the working directory."""
    return Path(os.environ.get("PROMPT_AUDIO_DIR") or Path.cwd() / "var" / "prompts")


@dataclass
class ProgressLines:
    """Tells someone waiting on a render into *out* how it goes: how many files it makes and
    that they are kept, then the count and the file just made, at most once every *every_s*
    seconds of *monotonic*, and after the last file."""

    out: Path
    echo: Callable[[str], None] = click.echo
    every_s: float = PROGRESS_EVERY_S
    monotonic: Callable[[], float] = time.monotonic
    _said_at: float = field(default=-math.inf, init=False)

    def __call__(self, progress: RenderProgress) -> None:
        now = self.monotonic()
        if progress.file is None:
            self.echo(
                f"Rendering {progress.total} prompt audio files into {self.out}: they are "
                "kept, so only the first start waits for this; later ones reuse them."
            )
        elif progress.done == progress.total or now - self._said_at >= self.every_s:
            self.echo(f"  {progress.done}/{progress.total} {progress.file.relative_to(self.out)}")
        else:
            return
        self._said_at = now


def _audio_enabled(ctx: click.Context) -> bool:
    enabled: Callable[[], bool] | None = ctx.find_root().meta.get(AUDIO_ENABLED)
    return enabled is None or enabled()


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
@click.option(
    "--if-enabled",
    is_flag=True,
    help="Only if the service plays prompt audio (PROMPT_AUDIO, on unless set to false), "
    "as `make run` does.",
)
@click.pass_context
def render(
    ctx: click.Context, out: Path | None, force: bool, language: str | None, if_enabled: bool
) -> None:
    """Render the static prompts of the catalog, and the clips figures are said with, to
    8 kHz μ-law WAV files. The first render takes a while; later ones reuse the files and
    render only what changed."""
    if if_enabled and not _audio_enabled(ctx):
        click.echo("PROMPT_AUDIO is off: the service says every prompt, nothing to render")
        return
    out = out or default_audio_dir()
    try:
        report = render_all(
            out,
            languages=(language,) if language else LANGUAGES,
            force=force,
            progress=ProgressLines(out),
        )
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
