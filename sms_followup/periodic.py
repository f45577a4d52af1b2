"""The worker's periodic jobs: each has a name and a period, and runs at most once a period
in each worker process, on the worker's clock. A job that fails is logged with its name and
runs again at its next turn; it never stops delivery."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ivr.clock import Clock
from ivr.logs import log_event

logger = logging.getLogger("sms_followup.periodic")


@dataclass(frozen=True)
class Job:
    """``run(now)`` does the job and says how many things it did (0: nothing to do)."""

    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], int]


class Jobs:
    def __init__(self, jobs: Sequence[Job], clock: Clock) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must differ: {names}")
        self._jobs = tuple(jobs)
        self._clock = clock
        self._last_run: dict[str, dt.datetime] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(job.name for job in self._jobs)

    def run_due(self) -> dict[str, int]:
        """Run every job whose period has passed since it last ran (each at a worker's
        start); what each one that ran did."""
        done: dict[str, int] = {}
        for job in self._jobs:
            now = self._clock.now()
            last = self._last_run.get(job.name)
            if last is not None and now - last < job.every:
                continue
            self._last_run[job.name] = now
            try:
                done[job.name] = job.run(now)
            except Exception:
                logger.exception("worker.job_failed", extra={"job": job.name})
                continue
            if done[job.name]:
                log_event(logger, "worker.job_done", job=job.name, count=done[job.name])
        return done
