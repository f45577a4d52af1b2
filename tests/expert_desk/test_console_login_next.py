"""Where signing in leads: only plain local paths under /desk/ are followed (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.console import login, token
from tests.support.desk import STILL_AT_T0

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"desk_hours": "00:00-24:00"}


def _login_to(client: FlaskClient, next_raw: str) -> Any:
    return client.post(
        f"/desk/login?next={next_raw}",
        data={"username": "li.na", "password": "desk-demo-10010", "csrf_token": token(client)},
    )


@pytest.mark.parametrize(
    "next_raw",
    [
        "/desk/%0D%0ASet-Cookie:x=1",
        "/desk/%0ALocation:%20https://evil.example/",
        "/desk/%09tab",
        "/desk/%00",
        "/desk/%7F",
        "//evil.example/desk/",
        "/desk/../voice/incoming",
        "/desk/%5C%5Cevil.example",
        "https://evil.example/desk/",
        "/desk/?x=%0D%0A",
    ],
)
def test_a_next_with_control_characters_or_elsewhere_goes_to_the_console(
    client: FlaskClient, next_raw: str
) -> None:
    response = _login_to(client, next_raw)

    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/"
    assert all(not value.startswith("x=") for _, value in response.headers.items())
    assert client.get("/desk/").status_code == 200


def test_a_plain_desk_path_is_followed(client: FlaskClient) -> None:
    response = _login_to(client, "/desk/supervisor/report")

    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/supervisor/report"


def test_the_login_page_with_a_bad_next_renders(client: FlaskClient) -> None:
    assert client.get("/desk/login?next=/desk/%0D%0ASet-Cookie:x=1").status_code == 200
    assert login(client).status_code == 302
