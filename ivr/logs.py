"""Structured logs: one JSON object a line, with the CallSid or MessageSid it concerns.

Fields often carry what a request sent (a CallSid, a path, a reason quoting a parameter):
untrusted text of any length. :func:`clip` shortens every such value, so one request can
never write more than a short line."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
MAX_LOGGED = 200
"""The most characters of one logged value; the rest is replaced by a count."""


def clip(value: Any, limit: int = MAX_LOGGED) -> Any:
    """*value* fit for a log line: text longer than *limit* characters is cut to *limit*,
    ending with how much was cut (also inside lists and dicts; bytes are decoded); numbers
    and other values are kept as they are. Clipping twice changes nothing."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        kept = limit - len(f"…(+{len(value)})")
        return f"{value[:kept]}…(+{len(value) - kept})"
    if isinstance(value, dict):
        return {clip(k, limit): clip(v, limit) for k, v in list(value.items())[:limit]}
    if isinstance(value, list | tuple):
        return [clip(v, limit) for v in value[:limit]]
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: clip(v) for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log *event* with *fields* as structured data (never pass passwords or card numbers);
    text fields are clipped (:func:`clip`), as they may come from a request."""
    logger.log(level, event, extra={k: clip(v) for k, v in fields.items() if v is not None})


def configure(level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
