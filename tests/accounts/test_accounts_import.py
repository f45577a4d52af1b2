"""`ivr import-accounts`: good rows kept, bad rows reported by line number."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from accounts.importer import import_csv
from hotline.cli import main
from hotline.container import Hotline
from ivr.models import Subscriber, UsageCounter

CSV = """\
msisdn,balance_fen,name,language,plan,data_quota_mb,data_used_mb,voice_quota_min,voice_used_min
13100131000,5000,赵六,zh-CN,沃4G,1024,100,100,10
+86 131-0013-1001,-300,Jane,en-US,,,,,
13100131002,12.50,Bad Money,,,,,,
12345,100,Too Short,,,,,,
13100131003,100,Wrong Lang,fr-FR,,,,,
13100131004,100,Negative data,,,-5,,,
13100131000,1,Duplicate,,,,,,
"""


@pytest.mark.postgres
def test_import_keeps_good_rows_and_reports_bad_ones_by_line(hotline: Hotline) -> None:
    with hotline.sessions.begin() as session:
        report = import_csv(session, io.StringIO(CSV), "2026-11")
    assert report.imported == 2
    assert report.errors == [
        "line 4: balance_fen must be a whole number (fen / MB / minutes), not '12.50'",
        "line 5: msisdn '12345' is not an 11-digit mobile number",
        "line 6: language must be zh-CN or en-US, not 'fr-FR'",
        "line 7: data_quota_mb cannot be negative",
        "line 8: 13100131000 appears twice; first row kept",
    ]
    with hotline.sessions() as session:
        zhao = session.scalar(Subscriber.by_msisdn("13100131000"))
        jane = session.scalar(Subscriber.by_msisdn("13100131001"))
        assert (zhao.account.balance_fen, zhao.name) == (5000, "赵六")
        assert (jane.account.balance_fen, jane.language) == (-300, "en-US")
        data = session.scalar(sa.select(UsageCounter).filter_by(subscriber_id=zhao.id, kind="data"))
        assert (data.quota, data.used) == (1024 * 1024, 100 * 1024)


def test_missing_required_column_is_reported(hotline: Hotline) -> None:
    with hotline.sessions.begin() as session:
        report = import_csv(session, io.StringIO("msisdn,name\n13100131000,x\n"), "2026-11")
    assert report.imported == 0
    assert report.errors == ["line 1: missing column(s): balance_fen"]


def test_import_command_prints_rejections_and_a_total(
    app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", app.extensions["hotline"].settings.database_url)
    result = CliRunner().invoke(main, ["import-accounts", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 2 account(s), 5 row(s) rejected" in result.output
    assert "line 5: msisdn '12345' is not an 11-digit mobile number" in result.output
