"""A pytest plugin for runs under libfaketime (``scripts/test-other-dates``) and nowhere else.

Those runs fake only the date (``FAKETIME_DONT_FAKE_MONOTONIC=1``): faking the monotonic clock
too makes every timed wait of a lock or an event hang, as the kernel waits on the real one.
With the monotonic clock left alone, libfaketime 0.9.10 still rewrites the absolute monotonic
deadline of ``clock_nanosleep``, which Python 3.11's ``time.sleep`` uses, into a negative one
(EINVAL; wolfcw/libfaketime#426). So, in these runs only, a sleep is a timed wait.
"""

from __future__ import annotations

import os
import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep
