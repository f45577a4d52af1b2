"""The web console at ``/desk/``: agents log in, set their status, accept offered calls and
write notes; supervisors watch the lines and read the day report (CSV). Desk metrics are
served with the app's at ``/metrics``.

Server-rendered Jinja pages with autoescaping; a small script refreshes the live part and
sends the console's forms without leaving the page, so that the browser phone (Twilio's
Voice JS SDK, :mod:`expert_desk.phone`) keeps its call. Logins use werkzeug's password hashes
and Flask's signed session cookie; every POST carries a CSRF token (Flask-WTF); every response
carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect

from expert_desk import agents, phone, reports, views
from expert_desk.desk import Desk, current_desk
from expert_desk.errors import DeskError
from expert_desk.models import BREAK_REASONS, DISPOSITIONS, DeskAgent
from expert_desk.settings import DeskSettings
from ivr import params
from ivr.clock import local_date
from ivr.db import transaction

logger = logging.getLogger("expert_desk.console")
P = ParamSpec("P")
R = TypeVar("R")

SESSION_MAX_AGE = dt.timedelta(hours=12)
#: Where the browser phone connects besides the console: Twilio's signalling (WebSocket) and
#: its Voice Insights events, on hosts under twilio.com that depend on the edge.
TWILIO_CONNECT = "wss://*.twilio.com https://*.twilio.com"


@cache
def content_security_policy(signalling_host: str) -> str:
    """The console's policy: its own scripts, styles and requests only, and the browser
    phone's connections (to the stand-in's *signalling_host* instead of Twilio, if set)."""
    phone_connect = f"wss://{signalling_host}" if signalling_host else TWILIO_CONNECT
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {phone_connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


#: The only ``next`` targets followed after signing in.
SAFE_NEXT = re.compile(r"/desk/[A-Za-z0-9/_.-]{0,200}")
PUBLIC_ENDPOINTS = {"desk_console.login", "desk_console.static"}

csrf = CSRFProtect()
desk_console = Blueprint(
    "desk_console",
    __name__,
    url_prefix="/desk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
desk_console.record_once(params.use_id_converter)  # <id:...>: 1 … 2³¹−1, else 400


def init_console(app: Flask, settings: DeskSettings) -> None:
    """The console's needs of the app, set up by the app factory: CSRF checks for the
    console's forms only (Twilio's webhooks carry signatures, not tokens), cookie flags,
    template filters."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(SESSION_MAX_AGE.total_seconds()))
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if settings.public_base_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    csrf.init_app(app)
    filters = {
        "duration": views.duration,
        "percent": views.percent,
        "local_time": views.local_time,
        "topic_label": lambda t: views.TOPIC_LABELS.get(t, t),
        "skill_label": lambda s: views.SKILL_LABELS.get(s, s),
    }
    for name, function in filters.items():
        app.jinja_env.filters.setdefault(name, function)


@desk_console.before_request
def _guard() -> ResponseReturnValue | None:
    if request.method == "POST":
        csrf.protect()
    g.agent = None if request.endpoint == "desk_console.static" else _session_agent()
    if request.endpoint in PUBLIC_ENDPOINTS or g.agent is not None:
        return None
    if request.endpoint in (
        "desk_console.agent_live",
        "desk_console.supervisor_live",
        "desk_console.phone_token",
    ):
        return Response("login required\n", 401, mimetype="text/plain")
    return redirect(url_for("desk_console.login", next=request.path))


@desk_console.after_request
def _headers(response: Response) -> Response:
    settings = current_desk().settings
    policy = content_security_policy(settings.twilio_signalling_host)
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    # The microphone for the browser phone, on the console's own pages only.
    response.headers["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=()"
    if request.endpoint != "desk_console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@desk_console.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> ResponseReturnValue:
    return render_template("desk/error.html", message=error.description), 400


def supervisor_only(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not g.agent.is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return checked


# -- logging in ------------------------------------------------------------------------


@desk_console.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("desk/login.html")
    desk = current_desk()
    now = desk.now()
    address = request.remote_addr or "unknown"
    username = request.form.get("username", "")[:64]
    with transaction(desk.sessions) as db:
        wait = agents.login_throttled(db, address, now)
        if wait is None:
            agent = agents.authenticate(db, username, request.form.get("password", "")[:200], now)
            if agent is None:
                agents.login_failed(db, address, username, now)
            signed_in = (
                None if agent is None else (agent.id, agent.session_version, agent.is_supervisor)
            )
    if wait is not None:
        seconds = math.ceil(wait.total_seconds())
        flash(f"Too many sign-in attempts: try again in {seconds} s.", "error")
        page = render_template("desk/login.html", username=username)
        return page, 429, {"Retry-After": str(seconds)}
    if signed_in is None:
        flash("Wrong name or password (or too many tries: wait a minute).", "error")
        return render_template("desk/login.html", username=username), 401
    session.clear()
    session["desk_agent"], session["desk_version"], _ = signed_in
    session["desk_since"] = now.isoformat()
    return redirect(_next_page())


@desk_console.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: the agent goes offline and every session they have open ends on the
    server, so a copy of the cookie no longer works either."""
    desk = current_desk()
    with transaction(desk.sessions) as db:
        agents.set_status(db, g.agent.id, "offline", None, desk.now())
        agent = db.get(DeskAgent, g.agent.id)
        if agent is not None:
            agents.end_sessions(agent)
    session.clear()
    flash("Signed out; you are offline and get no calls.", "info")
    return redirect(url_for("desk_console.login"))


def _session_agent() -> views.AgentView | None:
    agent_id, version, since = (
        session.get(k) for k in ("desk_agent", "desk_version", "desk_since")
    )
    if not isinstance(agent_id, int) or not isinstance(since, str):
        return None
    desk = current_desk()
    now = desk.now()
    try:
        expired = now - dt.datetime.fromisoformat(since) > SESSION_MAX_AGE
    except ValueError:
        expired = True
    with desk.sessions() as db:
        agent = db.get(DeskAgent, agent_id)
        if expired or agent is None or not agent.active or agent.session_version != version:
            session.clear()
            return None
        return views.agent_view(db, agent, now)


def _next_page() -> str:
    """Where to go after signing in: a plain local path under ``/desk/`` (letters, digits,
    ``/ . _ -``; no ``..``, no query, no control characters), else the console."""
    target = request.args.get("next", "")
    if SAFE_NEXT.fullmatch(target) and ".." not in target:
        return target
    return url_for("desk_console.agent_console")


# -- the agent's console -----------------------------------------------------------------


@desk_console.get("/")
def agent_console() -> ResponseReturnValue:
    desk = current_desk()
    page = _agent_page(desk)
    panel = None
    if page.agent.rings_browser:
        settings = desk.settings
        panel = views.PhonePanel(
            phone.identity(page.agent.id), settings.browser_phone, settings.twilio_signalling_host
        )
    return render_template(
        "desk/console.html",
        page=page,
        phone=panel,
        phone_bundle=phone.SDK_BUNDLE,
        reasons=BREAK_REASONS,
        dispositions=DISPOSITIONS,
    )


@desk_console.get("/live")
def agent_live() -> ResponseReturnValue:
    return render_template("desk/_agent_live.html", page=_agent_page(current_desk()))


@desk_console.post("/phone/token")
def phone_token() -> ResponseReturnValue:
    """A fresh access token for the signed-in agent's browser phone, as JSON (``token``,
    ``identity``, ``ttl_s``); 409 with an ``error`` for the agent when there is none to have."""
    desk = current_desk()
    if not g.agent.rings_browser:
        return jsonify(error="Your calls ring your phone number, not this browser."), 409
    if not desk.settings.browser_phone:
        return jsonify(error=f"Calls cannot ring here: {phone.NOT_SET_UP}."), 409
    token = phone.access_token(desk.settings, g.agent.id, desk.now())
    logger.info(
        "desk.phone_token",
        extra={"agent": g.agent.id, "identity": token.identity, "ttl_s": token.ttl_s},
    )
    return jsonify(token=token.jwt, identity=token.identity, ttl_s=token.ttl_s)


def _agent_page(desk: Desk) -> views.AgentPage:
    desk.tick()
    with desk.sessions() as db:
        return views.agent_page(db, g.agent.id, desk.now())


@desk_console.post("/status")
def set_status() -> ResponseReturnValue:
    status = request.form.get("status", "")
    reason = request.form.get("reason") or None
    return _act(lambda desk, db: agents.set_status(db, g.agent.id, status, reason, desk.now()))


@desk_console.post("/offers/<id:offer_id>/accept")
def accept(offer_id: int) -> ResponseReturnValue:
    desk = current_desk()
    try:
        desk.accept(g.agent.id, offer_id)
    except DeskError as error:
        # Words for the agent; the network's own message (an exception's text) is logged.
        logger.warning(
            "desk.accept_failed",
            extra={"agent": g.agent.id, "code": error.code, "detail": error.detail[:200]},
        )
        flash(error.text, "error")
    return redirect(url_for("desk_console.agent_console"))


@desk_console.post("/calls/<id:desk_call_id>/wrapup")
def wrapup(desk_call_id: int) -> ResponseReturnValue:
    form = request.form
    sms = form.get("sms_body", "") if form.get("send_sms") else None
    return _act(
        lambda desk, db: agents.save_wrapup(
            db,
            desk.settings,
            g.agent.id,
            desk_call_id,
            notes=form.get("notes", ""),
            disposition=form.get("disposition", ""),
            sms_body=sms,
            now=desk.now(),
        ),
        done="Notes saved.",
    )


def _act(action: Callable[[Desk, Any], object], done: str | None = None) -> ResponseReturnValue:
    desk = current_desk()
    try:
        with transaction(desk.sessions) as db:
            action(desk, db)
    except DeskError as error:
        flash(f"{error.detail} [{error.code}]", "error")
    else:
        if done:
            flash(done, "info")
    return redirect(url_for("desk_console.agent_console"))


# -- the supervisor ----------------------------------------------------------------------


@desk_console.get("/supervisor")
@supervisor_only
def supervisor() -> ResponseReturnValue:
    return render_template("desk/supervisor.html", page=_supervisor_page())


@desk_console.get("/supervisor/live")
@supervisor_only
def supervisor_live() -> ResponseReturnValue:
    return render_template("desk/_supervisor_live.html", page=_supervisor_page())


@desk_console.post("/supervisor/agents/<username>/signout")
@supervisor_only
def sign_out_agent(username: str) -> ResponseReturnValue:
    """A supervisor ends every console session of an agent, who goes offline too."""
    desk = current_desk()
    with transaction(desk.sessions) as db:
        agent = db.scalar(DeskAgent.by_username(username[:64]))
        if agent is None:
            abort(404)
        agents.set_status(db, agent.id, "offline", None, desk.now())
        agents.end_sessions(agent)
    flash(f"{username} is signed out everywhere and offline.", "info")
    return redirect(url_for("desk_console.supervisor"))


def _supervisor_page() -> views.SupervisorPage:
    desk = current_desk()
    desk.tick()
    with desk.sessions() as db:
        return views.supervisor_page(db, desk.settings, desk.now())


@desk_console.get("/supervisor/report")
@supervisor_only
def report() -> ResponseReturnValue:
    day, lines = _report()
    return render_template("desk/report.html", day=day, lines=lines, target_s=_target_s())


@desk_console.get("/supervisor/report.csv")
@supervisor_only
def report_csv() -> ResponseReturnValue:
    day, lines = _report()
    return Response(
        reports.report_csv(day, lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="desk-{day.isoformat()}.csv"'},
    )


def _report() -> tuple[dt.date, list[reports.QueueStats]]:
    desk = current_desk()
    with desk.sessions() as db:
        day = reports.report_day(db, request.args.get("day", ""), local_date(desk.now()))
        return day, reports.day_report(db, day, desk.settings.desk_service_level_s)


def _target_s() -> int:
    return current_desk().settings.desk_service_level_s
