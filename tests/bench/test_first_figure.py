"""How soon the first figure comes (bench/first_figure.py), on the simulator's clock: every
path meets its target with the prompts said (``<Say>``, timed from their text at 4 Chinese
characters a second, a little slower than the rendered Mandarin), and the first figure is
when the line that carries it begins. Simulated seconds: nothing here is timed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.first_figure import PATHS, first_figure_at, measure
from simulator.result import CallResult, Heard
from tests.support.live import LiveHotline, live_hotline


@pytest.fixture
def live(database_url: str) -> Iterator[LiveHotline]:
    with live_hotline({"database_url": database_url, "prompt_audio": False}) as hotline:
        yield hotline


def test_every_path_hears_its_first_figure_within_its_target(live: LiveHotline) -> None:
    results = measure(live.network)

    assert [r.path for r in results] == list(PATHS)
    late = {r.path.label: r.first_figure_s for r in results if not r.met}
    assert late == {}


def test_the_first_figure_is_heard_when_its_line_begins() -> None:
    result = CallResult("CA1", "1001011", "+8613800138000", "inbound")
    result.transcript += [
        Heard("say", "中国联通自助查询。", at=0.0),
        Heard("play", "您的账户余额为一百二十三元四角五分。", at=2.25),
        Heard("play", "Your account balance is 123 yuan and 45 fen.", at=9.0),
    ]
    assert first_figure_at(result) == 2.25
    assert first_figure_at(CallResult("CA2", "10010", "+8613800138000", "inbound")) is None
