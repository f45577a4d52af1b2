"""The `ivr` command line: run, seed, import, deliver SMS, call the service, inspect calls."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import IO

import click
import sqlalchemy as sa

from complaints.cli import tickets_group
from expert_desk.cli import agents as desk_agents_group
from expert_desk.cli import desk as desk_group
from hotline.container import assemble_from_environment, command_hotline
from hotline.settings import HotlineSettings, load_settings
from ivr import logs
from ivr.config import ConfigError
from ivr.services import ASSEMBLE
from prompts.cli import AUDIO_ENABLED, prompts_group
from simulator.cli import commands as simulator_commands
from simulator.cli import sms_send_command
from sms_followup.cli import attach as attach_sms_commands
from sms_followup.cli import sms as sms_group


def _settings() -> HotlineSettings:
    try:
        return load_settings()
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from error


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """10010 hotline voice service."""
    logs.configure()
    ctx.meta[ASSEMBLE] = assemble_from_environment
    ctx.meta[AUDIO_ENABLED] = lambda: _settings().prompt_audio


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--prod", is_flag=True, help="Several gunicorn workers (deploy/gunicorn.conf.py).")
@click.option("--workers", type=int, help="Gunicorn worker processes (with --prod).")
@click.option("--check-port", is_flag=True, help="Only check that HOST:PORT is free, then exit.")
def serve(host: str, port: int, prod: bool, workers: int | None, check_port: bool) -> None:
    """Answer Twilio webhooks: a threaded server, or gunicorn with --prod.

    An address already in use stops it before anything starts, saying which port to choose.
    """
    from werkzeug.serving import run_simple

    from hotline.listen import address_problem
    from hotline.web import create_app

    problem = address_problem(host, port)
    if problem is not None:
        raise click.ClickException(problem)
    if check_port:
        return
    try:
        if prod:
            from hotline.production import serve as serve_production

            serve_production(host, port, workers)
            return
        app = create_app()
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from error
    _stop_on_sigterm()
    run_simple(host, port, app, threaded=True)


def _stop_on_sigterm() -> None:
    """Make SIGTERM stop this process as Ctrl-C does, by KeyboardInterrupt: cleanly, status 0.

    `kill`, systemd and scripts/run-local stop the server and the worker with SIGTERM; left
    to Python's default, they would die of it (exit status 143). Once stopping, it ignores
    SIGTERM: a second one (run-local's, when the whole process group had one) could otherwise
    arrive during interpreter shutdown, where the default action is back.
    """

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration not yet applied."""
    from ivr.migrate import upgrade

    upgrade(_settings().database_url)
    click.echo("database is up to date")


@db.command("where")
def db_where() -> None:
    """The database the service uses (DATABASE_URL), as a URL that works from any directory:
    a SQLite file's path made absolute, a password left out (***)."""
    url = sa.make_url(_settings().database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=os.path.abspath(url.database))
    if url.password is not None:
        click.echo("ivr db where: the password is left out (***)", err=True)
    click.echo(url.render_as_string(hide_password=True))


@main.command("seed-demo")
def seed_demo() -> None:
    """Create or refresh the demo subscribers (safe to run again)."""
    from hotline.demo import seed
    from ivr.db import transaction

    hotline = command_hotline()
    with transaction(hotline.sessions) as session:
        records = seed(session, hotline.clock.now())
    click.echo("Demo subscribers (call from these numbers):")
    for r in records:
        click.echo(f"  {r.msisdn}  {r.language}  balance {r.balance_fen / 100:.2f} yuan  {r.name}")


@main.command("import-accounts")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_accounts(csv_file: IO[str]) -> None:
    """Import subscribers from CSV (msisdn,balance_fen[,name,language,plan,data_quota_mb,...])."""
    from accounts.importer import import_csv
    from ivr.clock import local_date
    from ivr.db import transaction

    hotline = command_hotline()
    with transaction(hotline.sessions) as session:
        report = import_csv(session, csv_file, local_date(hotline.clock.now()).strftime("%Y-%m"))
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(f"imported {report.imported} account(s), {len(report.errors)} row(s) rejected")
    if report.errors and not report.imported:
        sys.exit(1)


@main.command()
@click.option("--once", is_flag=True, help="One pass over the outbox, then exit.")
@click.option("--idle-sleep", default=1.0, show_default=True, help="Seconds to wait when idle.")
@click.option("--batch", default=20, show_default=True, help="Most messages claimed at once.")
def worker(once: bool, idle_sleep: float, batch: int) -> None:
    """Deliver the SMS outbox; look up the status of calls and SMS whose status callback
    never came, and end calls whose hangup was never reported."""
    from hotline.worker import build_worker

    outbox = build_worker(command_hotline(), batch=batch)
    if once:
        result = outbox.run_once()
        click.echo(
            f"sent {result.sent}, retrying {result.retried}, dead {result.dead}, "
            f"refused {result.refused}, calls swept {result.swept_calls}"
        )
        return
    _stop_on_sigterm()
    click.echo("outbox worker running; Ctrl-C to stop", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        outbox.run_forever(idle_sleep)


@main.group()
def calls() -> None:
    """Recorded calls."""


@calls.command("list")
@click.option("--limit", default=20, show_default=True)
def calls_list(limit: int) -> None:
    """Latest calls: who called which number, when (Asia/Shanghai time), where they ended up."""
    from ivr.clock import local_stamp
    from ivr.models import Call

    with command_hotline().sessions() as session:
        for c in session.scalars(sa.select(Call).order_by(Call.id.desc()).limit(limit)):
            click.echo(
                f"{c.call_sid} {local_stamp(c.started_at)} from {c.from_number} to "
                f"{c.to_number} [{c.status}] state {c.state} queried "
                f"{','.join(q.service for q in c.queries) or '-'}"
            )


@calls.command("show")
@click.argument("call_sid")
def calls_show(call_sid: str) -> None:
    """Every recorded step of one call, at its Asia/Shanghai time."""
    from ivr.clock import local_datetime, local_stamp
    from ivr.models import Call

    with command_hotline().sessions() as session:
        call = session.scalar(Call.by_sid(call_sid))
        if call is None:
            raise click.ClickException(f"no call {call_sid}")
        click.echo(
            f"{call.call_sid} from {call.from_number} to {call.to_number}, started "
            f"{local_stamp(call.started_at)} (times below: Shanghai)"
        )
        for e in call.events:
            at = local_datetime(e.at)
            click.echo(f"{at:%H:%M:%S} {e.kind:<18} {e.state or '-':<14} {e.detail}")


for _command in simulator_commands:
    main.add_command(_command)
main.add_command(tickets_group)
main.add_command(prompts_group)
attach_sms_commands(main)
sms_group.add_command(sms_send_command)
main.add_command(desk_agents_group)
main.add_command(desk_group)
