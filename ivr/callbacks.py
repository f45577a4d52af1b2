"""The status callback URLs the service hands Twilio, with Twilio's connection overrides.

Twilio retries a callback only when its URL asks, in a fragment of *connection overrides*
(docs/operations.md, "Callbacks that fail"): ``rc`` the number of retries (0-5, default 1),
``rp`` which failures to retry (``ct`` no connection, ``rt`` no answer in time, ``4xx``,
``5xx``, ``all``); ``ct``, ``rt`` and ``tt`` set the timeouts in ms (``tt``, the total of
every try, is at most 15 s). A fragment is never sent in an HTTP request, so the request
Twilio makes, and the URL it signs, carry none: signatures are checked as before.

Status callbacks only: they change nothing when repeated (a replay is recognised), so a retry
after an answer that was lost on the way is safe, and the service answers one it could not
record (a locked database) with 503. URLs that answer TwiML (a ``<Gather>`` action, a
redirect, a queue's wait music) carry none: the service answers them with TwiML even when a
step fails, never with 5xx, and a retry after a slow answer could take a caller's keys twice.
What the overrides cannot save (a database locked for longer than 15 s) the worker's status
backstop reads back from the REST API.
"""

from __future__ import annotations

STATUS_CALLBACK_RETRIES = "rc=5&rp=ct,rt,5xx"
"""Five more tries when the service cannot be reached, does not answer in time, or answers
5xx; never after a 4xx (a bad signature or request stays bad)."""


def status_callback_url(base_url: str, path: str) -> str:
    """The absolute URL of the status callback *path* under *base_url* (the service's public
    URL), with the retries of :data:`STATUS_CALLBACK_RETRIES`."""
    return f"{base_url.rstrip('/')}{path}#{STATUS_CALLBACK_RETRIES}"
