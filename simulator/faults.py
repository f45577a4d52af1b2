"""Faults the REST stand-in injects on demand: error statuses, rate limits, slowness."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
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
    error shape, with ``Retry-After`` when ``retry_after`` is set. ``count`` None = forever."""

    path: str
    status: int | None = None
    count: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    code: int | None = None
    message: str | None = None
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)
        if self.status is None and self.delay <= 0:
            raise ValueError("a fault needs a status, a delay, or both")

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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern", None)
        return data


class FaultPlan:
    """The active faults, first match wins. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

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
    ) -> Fault:
        """Inject a fault, e.g. ``add(r"/Messages\\.json$", status=429, retry_after=2)``;
        ``add(path, status=None, delay=5)`` only slows requests down."""
        fault = Fault(path, status, count, retry_after, delay, method, code, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

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
