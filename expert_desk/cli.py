"""Operators' commands: ``ivr agents add|list|passwd|signout`` and ``ivr desk sweep|report``."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click
import sqlalchemy as sa

from expert_desk import agents as agent_service
from expert_desk import desk as desk_module
from expert_desk import phone as phones
from expert_desk import reports
from expert_desk.errors import DeskError
from expert_desk.models import DeskAgent
from expert_desk.settings import DeskSettings
from ivr.clock import local_date
from ivr.db import transaction
from ivr.services import command_core


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@click.group("agents")
def agents() -> None:
    """Expert desk agents: accounts, skills, passwords."""


@agents.command("add")
@click.argument("username")
@click.option("--skill", "skills", multiple=True, help="SKILL:LEVEL, e.g. ios:3 (repeatable).")
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option("--phone", default="", help="A number calls ring (+86...); default: the browser.")
@click.option("--supervisor", is_flag=True, help="May open the supervisor view.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def agents_add(
    username: str,
    skills: tuple[str, ...],
    display_name: str,
    phone: str,
    supervisor: bool,
    password_stdin: bool,
) -> None:
    """Create an agent (offline until they sign in and go available)."""
    hotline = command_core()
    if not phone and not phones.can_ring(DeskSettings.of(hotline.settings)):
        raise click.ClickException(
            f"calls to {username} would ring the browser phone in the console, but "
            f"{phones.NOT_SET_UP}; or give the agent a number with --phone +86..."
        )
    try:
        levels = dict(agent_service.parse_skill(spec) for spec in skills)
        password = _password(password_stdin)
        with transaction(hotline.sessions) as session:
            agent = agent_service.create_agent(
                session,
                username,
                password,
                display_name=display_name,
                phone=phone,
                skills=levels,
                supervisor=supervisor,
                now=hotline.clock.now(),
            )
            click.echo(f"agent {agent.username} created; calls ring {phones.ring_target(agent)}")
    except DeskError as error:
        raise click.ClickException(error.detail) from error


@agents.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def agents_passwd(username: str, password_stdin: bool) -> None:
    """Set an agent's password (ends their open sessions)."""
    hotline = command_core()
    try:
        password = _password(password_stdin)
        with transaction(hotline.sessions) as session:
            agent = session.scalar(DeskAgent.by_username(username))
            if agent is None:
                raise click.ClickException(f"no agent {username}")
            agent_service.set_password(agent, password)
    except DeskError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"password of {username} changed")


@agents.command("signout")
@click.argument("username")
def agents_signout(username: str) -> None:
    """End every console session of an agent now (they go offline, a call goes on)."""
    hotline = command_core()
    with transaction(hotline.sessions) as session:
        agent = session.scalar(DeskAgent.by_username(username))
        if agent is None:
            raise click.ClickException(f"no agent {username}")
        agent_service.set_status(session, agent.id, "offline", None, hotline.clock.now())
        agent_service.end_sessions(agent)
    click.echo(f"{username} signed out everywhere")


@agents.command("list")
def agents_list() -> None:
    """Every agent: status, state, skills."""
    with command_core().sessions() as session:
        rows = session.scalars(sa.select(DeskAgent).order_by(DeskAgent.username)).all()
        if not rows:
            click.echo("no agents yet: ivr agents add NAME --skill ios:3")
        for a in rows:
            skills = ",".join(f"{s.skill}:{s.level}" for s in a.skills) or "-"
            role = " supervisor" if a.is_supervisor else ""
            active = "" if a.active else " (deactivated)"
            click.echo(
                f"{a.username:<16} {a.status:<9} {a.state:<8} {skills:<40} "
                f"{phones.ring_target(a)}{role}{active}"
            )


@click.group("desk")
def desk() -> None:
    """The smart-device expert desk: reconciliation and reports."""


@desk.command("sweep")
@click.option("--every", type=float, default=0.0, help="Repeat every N seconds (0: once).")
def desk_sweep(every: float) -> None:
    """Lapse expired offers, end wrap-ups, drop callers who hung up, free stuck agents, route."""
    the_desk = command_core().feature(desk_module.Desk)
    while True:
        result = the_desk.sweep()
        click.echo(
            f"offers {len(result.tick.offers)}, lapsed {len(result.tick.lapsed)}, "
            f"abandoned {len(result.tick.abandoned) + len(result.abandoned)}, "
            f"returned {len(result.returned)}, finished {len(result.finished)}, "
            f"agents freed {len(result.freed)}"
        )
        if every <= 0:
            return
        time.sleep(every)


@desk.command("report")
@click.option("--day", help="YYYY-MM-DD (Asia/Shanghai); default today.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path))
def desk_report(day: str | None, csv_file: Path | None) -> None:
    """The day's figures per skill: answered, abandoned, service level, handle time."""
    hotline = command_core()
    try:
        when = dt.date.fromisoformat(day) if day else local_date(hotline.clock.now())
    except ValueError as error:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--day") from error
    with hotline.sessions() as session:
        lines = reports.day_report(
            session, when, DeskSettings.of(hotline.settings).desk_service_level_s
        )
    text = reports.report_csv(when, lines)
    if csv_file is not None:
        csv_file.write_text(text, encoding="utf-8")
        click.echo(f"wrote {csv_file}")
        return
    click.echo(text, nl=False)
