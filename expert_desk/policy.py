"""The desk's rules that need no database: opening hours, routing strategies, wait estimates."""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ivr.clock import SERVICE_TZ
from ivr.config import ConfigError

STRATEGIES = ("longest-idle", "fewest-calls", "best-skill")
_HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


@dataclass(frozen=True)
class Hours:
    """Daily opening hours in Asia/Shanghai; ``close`` before ``open`` runs past midnight."""

    open: dt.time
    close: dt.time
    always: bool = False

    def is_open(self, now_utc: dt.datetime) -> bool:
        if self.always:
            return True
        local = now_utc.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).time()
        if self.open <= self.close:
            return self.open <= local < self.close
        return local >= self.open or local < self.close


def hours(text: str, name: str = "DESK_HOURS") -> Hours:
    """Opening hours such as ``DESK_HOURS`` or ``AGENT_HOURS`` (``09:00-21:00``;
    ``00:00-24:00`` is always open) as :class:`Hours`; *name* is the setting's, for errors."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"{name} must look like 09:00-21:00 (Asia/Shanghai)")
    oh, om, ch, cm = (int(g) for g in match.groups())
    if ch == 24 and cm != 0:
        raise ConfigError(f"{name} may close at 24:00 but not after")
    if (oh, om) == (0, 0) and (ch, cm) == (24, 0):
        return Hours(dt.time(0, 0), dt.time(0, 0), always=True)
    return Hours(dt.time(oh, om), dt.time(ch % 24, cm))


def estimate_wait(ahead: int, free_in: Iterable[float], handle_s: float) -> float | None:
    """Seconds until an expert is free for a caller with *ahead* callers before them.

    *free_in* holds, for each expert who takes calls (available, not on break), the seconds
    until they are free: 0 when idle, the rest of an average handle time when on a call, the
    rest of the wrap-up. The callers ahead are served first, each by the expert free
    soonest, for *handle_s* each. None when no expert takes calls: nobody can say.
    """
    servers = sorted(max(0.0, f) for f in free_in)
    if not servers:
        return None
    heapq.heapify(servers)
    for _ in range(ahead):
        heapq.heappush(servers, heapq.heappop(servers) + handle_s)
    return servers[0]
