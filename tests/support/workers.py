"""What the parallel workers of one test run (pytest-xdist) share: a folder, and a lock
around work that only one of them should do, such as rendering every prompt's audio."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def shared_between_workers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this run sees (each worker's own temporary folder lies in
    it); without workers, this run's temporary folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


@contextmanager
def exclusively(lock: Path) -> Iterator[None]:
    """Hold *lock* (a file, created when missing) while the block runs: a second worker
    waits for the first to finish, then finds its work done."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
