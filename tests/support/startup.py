"""What an operator sees when a process refuses to start on its configuration."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hotline.cli import main


def refused_start(command: list[str], env: dict[str, str], tmp_path: Path) -> str:
    """The output of ``ivr <command>`` started with *env* on a database in *tmp_path*, which
    must have refused to start, with its line breaks and runs of spaces made single spaces."""
    result = CliRunner().invoke(
        main, command, env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}
    )
    assert result.exit_code != 0
    return " ".join(result.output.split())
