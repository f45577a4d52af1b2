"""Faults the REST stand-in injects on demand: error statuses, rate limits, slowness, and
holds: a request kept at the stand-in until the test lets it go, so a test can act (kill a
client, say) at a chosen point instead of racing a delay."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields
from typing import Any

# Twilio's error codes for the statuses a client most often has to survive.
_DEFAULT_CODES = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    429: 20429,
    500: 20500,
    503: 20503,
}
_DEFAULT_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Fault:
    """Requests whose path matches ``path`` (a regex, searched) and ``method`` (any if None)
    are delayed by ``delay`` real seconds, then answered with ``status`` (if set) in Twilio's
    error shape, with ``Retry-After`` when ``retry_after`` is set. ``count`` None = forever.

    With ``hold``, each matching request is first held, received but not acted on, until
    :meth:`release`; the test sees where it stands with :meth:`wait_held` and
    :meth:`wait_answered`. A held request without a ``status`` is then served as usual (a
    ``Messages.create`` is accepted), even if its client has gone meanwhile, as a real
    provider would. Holds are for tests in the stand-in's own process."""

    path: str
    status: int | None = None
    count: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    code: int | None = None
    message: str | None = None
    hold: bool = False
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)
    _held: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _released: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _answered: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)
        if self.status is None and self.delay <= 0 and not self.hold:
            raise ValueError("a fault needs a status, a delay or a hold")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    @property
    def error_code(self) -> int:
        assert self.status is not None
        return self.code or _DEFAULT_CODES.get(self.status, self.status)

    @property
    def error_message(self) -> str:
        assert self.status is not None
        return self.message or _DEFAULT_MESSAGES.get(self.status, f"Injected fault {self.status}")

    # -- holds: the test's side ---------------------------------------------------------

    def wait_held(self, timeout: float = 30.0) -> bool:
        """True once a matching request is being held (or has been); False if none came
        within *timeout* seconds."""
        return self._held.wait(timeout)

    def release(self) -> None:
        """Let every held request go on, and any later match pass without a hold."""
        self._released.set()

    def wait_answered(self, timeout: float = 30.0) -> bool:
        """True once the stand-in has written its answer to a request this fault matched."""
        return self._answered.wait(timeout)

    # -- holds: the stand-in's side ------------------------------------------------------

    def hold_until_released(self) -> None:
        """Called by the stand-in with a matching request: wait here until :meth:`release`."""
        self._held.set()
        self._released.wait()

    def note_answered(self) -> None:
        """Called by the stand-in once it has answered a matching request."""
        self._answered.set()

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


class FaultPlan:
    """The active faults, first match wins. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._holds: list[Fault] = []  # every fault that holds, even once used up

    def add(
        self,
        path: str,
        *,
        status: int | None = 500,
        count: int | None = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
        method: str | None = None,
        code: int | None = None,
        message: str | None = None,
        hold: bool = False,
    ) -> Fault:
        """Inject a fault, e.g. ``add(r"/Messages\\.json$", status=429, retry_after=2)``;
        ``add(path, status=None, delay=5)`` only slows requests down;
        ``add(path, status=None, hold=True)`` keeps the next request until ``release()``."""
        fault = Fault(path, status, count, retry_after, delay, method, code, message, hold)
        with self._lock:
            self._faults.append(fault)
            if hold:
                self._holds.append(fault)
        return fault

    def clear(self) -> None:
        """No more faults; requests held now stay held until released."""
        with self._lock:
            self._faults.clear()

    def release_all(self) -> None:
        """Let every held request go on (the stand-in does this when it stops)."""
        with self._lock:
            holds = list(self._holds)
        for fault in holds:
            fault.release()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, counting it; a fault whose count runs out is dropped."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.count is not None and fault.hits >= fault.count:
                        self._faults.remove(fault)
                    return fault
        return None
