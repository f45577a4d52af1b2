"""The error the network's REST side raises, in Twilio's shape."""

from __future__ import annotations


class RestError(Exception):
    """A REST API error in Twilio's shape (HTTP ``status``, Twilio ``code``)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} / {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
