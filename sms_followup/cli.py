"""Operator commands of the SMS side, attached to the `ivr` command line:
`ivr sms ...`, `ivr ports ...`, `ivr reminders run`, `ivr usage ingest`, `ivr vas ...`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from ivr.clock import SERVICE_TZ, local_stamp
from ivr.db import transaction
from ivr.services import Core, command_core
from sms_followup.settings import SmsSettings


def _now(value: str | None, hotline: Core) -> dt.datetime:
    """``--now`` as naive UTC (a time without a zone is Asia/Shanghai time), else the
    hotline's clock."""
    if not value:
        return hotline.clock.now()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint="--now") from None
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=SERVICE_TZ)
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


NOW_HELP = "Take this time as now (ISO 8601; without a zone, Asia/Shanghai time)."


# -- ivr sms ------------------------------------------------------------------------------


@click.group()
def sms() -> None:
    """The SMS outbox, message histories and the local handset."""


@sms.command("outbox")
@click.option("--limit", default=20, show_default=True)
@click.option("--status", help="Only messages in this status (pending, sent, dead, ...).")
def sms_outbox(limit: int, status: str | None) -> None:
    """Latest outbox messages: recipient, sender, status, attempts, segments, text; first,
    if sending is paused, why and what to fix."""
    from sms_followup import pause
    from sms_followup.models import OutboxMessage

    with command_core().sessions() as session:
        paused = pause.health(session)
        if paused:
            click.echo(f"SMS sending {paused}")
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxMessage.status == status)
        rows = session.scalars(query).all()
        if not rows:
            click.echo("the outbox is empty")
        for m in rows:
            notes = "".join(
                f"  {label}: {value}"
                for label, value in (
                    ("error code", m.error_code),
                    ("refused", m.refused_reason),
                    ("last error", m.last_error),
                )
                if value
            )
            click.echo(
                f"#{m.id} to {m.to_number} from {m.from_number} [{m.status}] "
                f"attempts {m.attempts} segments {m.segments} sid {m.provider_sid or '-'}"
                f"{notes}\n    {m.body}"
            )


@sms.command("history")
@click.argument("outbox_id", type=int)
def sms_history(outbox_id: int) -> None:
    """Every step of one outbox message: attempts, retries, SID, status callbacks."""
    from sms_followup.models import OutboxMessage, StatusEvent

    with command_core().sessions() as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None:
            raise click.ClickException(f"no outbox message #{outbox_id}")
        click.echo(
            f"#{message.id} {message.kind} to {message.to_number} from {message.from_number}: "
            f"[{message.status}] {message.segments} segment(s)"
        )
        click.echo(f"{local_stamp(message.created_at)} created")
        for e in session.scalars(StatusEvent.history(message.id, message.provider_sid)):
            parts = [local_stamp(e.at), f"{e.status:<13}", e.source]
            parts += [x for x in (e.message_sid, e.error_code and f"error {e.error_code}") if x]
            if e.detail:
                parts.append(e.detail)
            click.echo(" ".join(parts))


@sms.command("retry")
@click.argument("outbox_id", type=int)
def sms_retry(outbox_id: int) -> None:
    """Give a dead-lettered message another round of attempts."""
    from sms_followup.models import OutboxMessage, OutboxStatus
    from sms_followup.outbox import record

    hotline = command_core()
    with transaction(hotline.sessions) as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None or message.status != "dead":
            raise click.ClickException(f"#{outbox_id} is not a dead-lettered message")
        message.status, message.attempts = OutboxStatus.PENDING, 0
        message.next_attempt_at = hotline.clock.now()
        record(session, message.id, "pending", source="operator", detail="retry requested")
    click.echo(f"#{outbox_id} is due again")


@sms.command("inbox")
@click.argument("number")
@click.option("--limit", default=20, show_default=True)
def sms_inbox(number: str, limit: int) -> None:
    """What the local handset NUMBER received (SMS_SENDER=local)."""
    from sms_followup.models import LocalDelivery

    with command_core().sessions() as session:
        rows = session.scalars(
            sa.select(LocalDelivery)
            .where(LocalDelivery.to_number == number)
            .order_by(LocalDelivery.id.desc())
            .limit(limit)
        ).all()
        if not rows:
            click.echo(f"no SMS for {number}")
        for d in reversed(rows):
            click.echo(f"{local_stamp(d.at)} from {d.from_number}: {d.body}")


@sms.command("spam-reports")
@click.option("--limit", default=50, show_default=True)
def sms_spam_reports(limit: int) -> None:
    """Spam numbers reported by SMS (举报), most reporters first; a subscriber who reports
    the same number again counts once."""
    from sms_followup.models import SpamReport

    with command_core().sessions() as session:
        reporters = sa.func.count(sa.distinct(SpamReport.reporter))
        rows = session.execute(
            sa.select(SpamReport.reported_number, reporters, sa.func.max(SpamReport.at))
            .group_by(SpamReport.reported_number)
            .order_by(reporters.desc(), SpamReport.reported_number)
            .limit(limit)
        ).all()
        if not rows:
            click.echo("no spam reports")
        for number, by, last in rows:
            click.echo(f"{number:<20} {by:>5} reporter(s), last {local_stamp(last)}")


# -- ivr ports ----------------------------------------------------------------------------


@click.group()
def ports() -> None:
    """Industry SMS ports (10655021..., 10655877...): rejections, review, closing."""


@ports.command("report")
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Flag ports whose rejection rate (%) is at least this [PORT_REVIEW_THRESHOLD_PCT].",
)
@click.option(
    "--min-sent", default=0, show_default=True, help="Flag only ports that sent this many."
)
@click.option(
    "--min-reporters",
    default=3,
    show_default=True,
    help="Also flag ports reported as spam (举报) by this many distinct subscribers (0: never).",
)
def ports_report(threshold: float | None, min_sent: int, min_reporters: int) -> None:
    """Ports by rejection rate (0000/TD unsubscribes per message sent), highest first; a port
    reported as spam (举报) says by how many distinct subscribers, apart from the rate."""
    from sms_followup.ports import report

    hotline = command_core()
    limit = (
        SmsSettings.of(hotline.settings).port_review_threshold_pct
        if threshold is None
        else threshold
    )
    with hotline.sessions() as session:
        lines = report(session, limit, min_sent, min_reporters)
    if not lines:
        click.echo("no industry ports yet")
        return
    click.echo(
        f"{'port':<20} {'status':<7} {'sent':>7} {'refused':>8} {'unsubscribed':>12} {'rate':>7}"
    )
    for line in lines:
        flag = "  REVIEW" if line.review else ""
        reported = f"  reported by {line.reporters}" if line.reporters else ""
        click.echo(
            f"{line.port:<20} {line.status:<7} {line.sent:>7} {line.refused:>8} "
            f"{line.rejections:>12} {line.rate * 100:>6.1f}%{flag}{reported}"
        )
    flagged = sum(line.review for line in lines)
    many = min_reporters > 0 and any(line.reporters >= min_reporters for line in lines)
    also = f" or reported by {min_reporters}+ subscribers" if many else ""
    click.echo(f"{flagged} port(s) at or over {limit:g}%{also} flagged for review")


@ports.command("close")
@click.argument("port")
@click.option("--reason", default="closed by operator after review", show_default=True)
def ports_close(port: str, reason: str) -> None:
    """Stop PORT entirely: its queued and future messages are refused (and logged)."""
    from sms_followup.ports import close

    hotline = command_core()
    with transaction(hotline.sessions) as session:
        closed = close(session, port, reason, hotline.clock.now())
    click.echo(f"port {port} closed" if closed else f"port {port} was already closed")


@ports.command("open")
@click.argument("port")
def ports_open(port: str) -> None:
    """Let a closed PORT send again (subscribers who answered 0000 stay unsubscribed)."""
    from sms_followup.ports import reopen

    with transaction(command_core().sessions) as session:
        opened = reopen(session, port)
    click.echo(f"port {port} open" if opened else f"port {port} was not closed")


@ports.command("send")
@click.argument("port")
@click.argument("msisdn")
@click.argument("body")
def ports_send(port: str, msisdn: str, body: str) -> None:
    """Queue an industry SMS from PORT to MSISDN (refused if closed or unsubscribed)."""
    from ivr.models import Subscriber
    from sms_followup.outbox import enqueue
    from sms_followup.ports import is_industry_port

    hotline = command_core()
    settings = SmsSettings.of(hotline.settings)
    if not is_industry_port(port, settings):
        raise click.ClickException(
            f"{port} is not an industry port ({settings.industry_port_prefixes})"
        )
    with transaction(hotline.sessions) as session:
        subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
        language = subscriber.language if subscriber else "zh-CN"
        message = enqueue(
            session,
            SmsSettings.of(hotline.settings),
            kind="industry",
            to=msisdn,
            body=body,
            language=language,
            now=hotline.clock.now(),
            port=port,
        )
        status, reason, outbox_id = message.status, message.refused_reason, message.id
    click.echo(f"#{outbox_id} {status}" + (f" ({reason})" if reason else ""))


# -- ivr reminders / usage / vas ------------------------------------------------------------


@click.group()
def reminders() -> None:
    """Proactive SMS reminders from usage and roaming (run it from cron or a systemd timer)."""


@reminders.command("run")
@click.option("--now", "now_text", help=NOW_HELP)
def reminders_run(now_text: str | None) -> None:
    """Queue every reminder due now, each once per threshold and period (safe to rerun)."""
    from sms_followup.reminders import run

    hotline = command_core()
    result = run(hotline.sessions, SmsSettings.of(hotline.settings), _now(now_text, hotline))
    for kind, sent in sorted((result.sent + result.balance).items()):
        click.echo(f"{kind:<24} {sent}")
    click.echo(
        f"queued {result.total} reminder(s), {result.for_morning} held for the morning, "
        f"{result.refused} refused (opted out), {result.already_sent} already sent, "
        f"{result.waiting} for a later run (one SMS at a time)"
    )


@click.group()
def usage() -> None:
    """Usage records from billing."""


@usage.command("ingest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: guessed.")
@click.option("--no-reminders", is_flag=True, help="Do not check reminders afterwards.")
@click.option("--now", "now_text", help=NOW_HELP)
def usage_ingest(file: Path, fmt: str | None, no_reminders: bool, now_text: str | None) -> None:
    """Import usage events (CSV or JSON lines); bad rows are reported by line, good ones kept.

    Columns: msisdn, at, kind (data KB, voice min, sms, roaming_data KB, roaming_attach),
    amount, and optionally event_id, country, network, maritime; data rows also duration_s,
    access (5G, 4G, 3G, 2G, WLAN) and location. Rows in the future or older than three
    months (before the first of the month three months back) are rejected.
    """
    from sms_followup import reminders as reminder_job
    from sms_followup.usage import ingest, read_rows

    hotline = command_core()
    with file.open(encoding="utf-8-sig", newline="") as stream:
        report = ingest(
            hotline.sessions, read_rows(stream, fmt), file.name, _now(now_text, hotline)
        )
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(
        f"ingested {report.ingested} row(s), {report.duplicates} already ingested, "
        f"{len(report.errors)} rejected"
    )
    if report.subscriber_ids and not no_reminders:
        run = reminder_job.run(
            hotline.sessions,
            SmsSettings.of(hotline.settings),
            _now(now_text, hotline),
            report.subscriber_ids,
        )
        click.echo(f"queued {run.total} reminder(s)")
    if report.errors and not report.ingested and not report.duplicates:
        sys.exit(1)


@usage.command("trail")
@click.argument("msisdn")
@click.option("--month", help="Also list this month's days (YYYY-MM); default: the current one.")
@click.option("--now", "now_text", help=NOW_HELP)
def usage_trail(msisdn: str, month: str | None, now_text: str | None) -> None:
    """The data-usage trail of MSISDN, as the page and the voice give it: month totals over
    the last three months and this one, the busiest day, and a month's days by access type."""
    from ivr import numbers
    from ivr.clock import local_date
    from ivr.models import Subscriber
    from prompts.places import place_name
    from sms_followup import trail
    from sms_followup.templates import text

    hotline = command_core()
    try:
        number = numbers.normalize(msisdn)
    except numbers.InvalidNumber:
        raise click.BadParameter(f"{msisdn!r} is not a phone number", param_hint="MSISDN") from None
    today = local_date(_now(now_text, hotline))
    window = trail.months_of(today)
    wanted = month or trail.month_key(today)
    if wanted not in window:
        raise click.BadParameter(
            f"{wanted!r} is not one of {', '.join(window)}", param_hint="--month"
        )
    with hotline.sessions() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(number))
        if subscriber is None:
            raise click.ClickException(f"no subscriber {number}")
        figures = trail.trail(session, subscriber.id, today)
    mb = _megabytes
    click.echo(f"data usage trail of {number}, {figures.start} to {today} (Asia/Shanghai)")
    click.echo(f"last three months  {mb(figures.last_three_months_kb)}")
    click.echo(f"this month so far  {mb(figures.this_month_kb)}")
    for key, kb in figures.months.items():
        recorded = figures.recorded[key]
        pending = f"  (sessions {mb(recorded)}: not all in)" if recorded < kb else ""
        click.echo(f"  {key}          {mb(kb)}{pending}")
    top = figures.top
    if top is None:
        click.echo("busiest day        none")
    else:
        access = top.access or text("trail.other", "en-US")
        name = place_name(top.location, "en-US")
        place = f" in {name}" if name else ""
        click.echo(f"busiest day        {top.day} {mb(top.kb)} mostly {access}{place}")
    click.echo(f"sessions           {figures.sessions}")
    columns = [*trail.ACCESS_TYPES, "other"]
    click.echo(f"{wanted}: day        " + " ".join(f"{c:>10}" for c in columns) + f" {'total':>11}")
    for day, split in figures.days.items():
        if trail.month_key(day) != wanted:
            continue
        cells = " ".join(f"{mb(split.get(c, 0)):>10}" for c in columns)
        click.echo(f"  {day}      {cells} {mb(sum(split.values())):>11}")


def _megabytes(kb: int) -> str:
    """KB as megabytes with one decimal (exact enough to compare with the page)."""
    return f"{kb / 1024:.1f} MB"


@click.group()
def vas() -> None:
    """Value-added services: confirmed orders and announced monthly deductions."""


@vas.command("charge")
@click.option("--period", help="Month to charge (YYYY-MM); default: this month.")
@click.option("--now", "now_text", help=NOW_HELP)
def vas_charge(period: str | None, now_text: str | None) -> None:
    """Take each active subscription's monthly fee once, announcing each deduction by SMS."""
    from sms_followup.vas import charge

    hotline = command_core()
    result = charge(
        hotline.sessions, SmsSettings.of(hotline.settings), _now(now_text, hotline), period
    )
    click.echo(f"charged {result.charged} subscription(s), {result.already} already charged")


@vas.command("request")
@click.argument("msisdn")
@click.argument("code")
@click.option("--channel", default="operator", show_default=True)
def vas_request(msisdn: str, code: str, channel: str) -> None:
    """Ask MSISDN to confirm an order of CODE by SMS (nothing is ordered before the reply)."""
    from ivr.models import Subscriber
    from sms_followup.vas import request_order

    hotline = command_core()
    with transaction(hotline.sessions) as session:
        subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
        if subscriber is None:
            raise click.ClickException(f"no subscriber {msisdn}")
        order = request_order(
            session,
            SmsSettings.of(hotline.settings),
            subscriber,
            code,
            channel,
            hotline.clock.now(),
        )
        state = f"order #{order.id} {order.status}" if order else f"unknown product {code}"
    click.echo(state)


def attach(main: click.Group) -> None:
    """Add these groups to the `ivr` command line."""
    for group in (sms, ports, reminders, usage, vas):
        main.add_command(group)
