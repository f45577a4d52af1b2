"""Signing in to the agent console and posting its forms, with the CSRF token a page carries."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from expert_desk.demo import DEMO_PASSWORD


def token(client: FlaskClient, path: str = "/desk/login") -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, username: str = "li.na", password: str = DEMO_PASSWORD) -> Any:
    return client.post(
        "/desk/login",
        data={"username": username, "password": password, "csrf_token": token(client)},
    )


def post(client: FlaskClient, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": token(client, "/desk/"), **form})
