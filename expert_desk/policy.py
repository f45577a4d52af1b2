"""The desk's rules that need no database: opening hours, settings checks, wait estimates."""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ivr.clock import SERVICE_TZ
from ivr.config import ConfigError

if TYPE_CHECKING:
    from expert_desk.settings import DeskSettings

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


def hours(settings: DeskSettings) -> Hours:
    match = _HOURS.fullmatch(settings.desk_hours.strip())
    if match is None:
        raise ConfigError("DESK_HOURS must look like 09:00-21:00 (Asia/Shanghai)")
    oh, om, ch, cm = (int(g) for g in match.groups())
    if ch == 24 and cm != 0:
        raise ConfigError("DESK_HOURS may close at 24:00 but not after")
    if (oh, om) == (0, 0) and (ch, cm) == (24, 0):
        return Hours(dt.time(0, 0), dt.time(0, 0), always=True)
    return Hours(dt.time(oh, om), dt.time(ch % 24, cm))


def check(settings: DeskSettings) -> None:
    """Refuse desk settings that cannot work (at app start)."""
    hours(settings)
    if settings.desk_strategy not in STRATEGIES:
        raise ConfigError(f"DESK_STRATEGY must be one of {', '.join(STRATEGIES)}")
    positive = {
        "DESK_RESERVATION_S": settings.desk_reservation_s,
        "DESK_MAX_LAPSES": settings.desk_max_lapses,
        "DESK_HOLD_S": settings.desk_hold_s,
        "DESK_QUESTION_S": settings.desk_question_s,
        "DESK_DEFAULT_HANDLE_S": settings.desk_default_handle_s,
        "DESK_AGENT_RING_S": settings.desk_agent_ring_s,
        "DESK_MAX_QUEUE": settings.desk_max_queue,
        "DESK_MAX_WAIT_S": settings.desk_max_wait_s,
    }
    for name, value in positive.items():
        if value < 1:
            raise ConfigError(f"{name} must be at least 1")
    if settings.desk_wrap_up_s < 0 or settings.desk_announce_every_s < 0:
        raise ConfigError("DESK_WRAP_UP_S and DESK_ANNOUNCE_EVERY_S must not be negative")


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
