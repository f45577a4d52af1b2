"""Scenario files, load mode and the click commands, against a hand-written TwiML app."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import commands
from simulator.load import LoadReport, load_mix, run_load
from simulator.result import CallResult
from simulator.scenario import Scenario, ScenarioError, ScenarioResult, run_scenario
from simulator.webhook import WebhookRequest
from tests.support.simulator import ACCOUNT, HANDSET, SERVICE, TOKEN, Harness, response, say

MENU = response(
    '<Gather input="dtmf speech" language="cmn-Hans-CN" numDigits="1" action="/voice/menu">',
    say("欢迎致电中国联通。查询话费请按1", "cmn-CN"),
    "</Gather>",
    say("再见", "cmn-CN"),
)


def _menu(params: dict[str, str]) -> str:
    if params.get("Digits") == "1" or params.get("SpeechResult") == "查余额":
        return response(say("您的话费余额为12元5角", "cmn-CN"), "<Hangup/>")
    return response(say("输入有误", "cmn-CN"), "<Redirect>/voice/incoming</Redirect>")


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", MENU)
        harness.app.route("/voice/menu", _menu)
        yield harness


def _scenario(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


BALANCE = f"""\
    name: balance by keypad
    call: {{to: "{SERVICE}", from: "{HANDSET}"}}
    steps:
      - expect: 欢迎致电
      - press: 1
      - expect_re: "余额为\\\\d+元"
    expect_status: completed
    """

SPOKEN = f"""\
    name: balance by voice
    call: {{to: "{SERVICE}", from: "{HANDSET}"}}
    steps:
      - say: 查余额
        confidence: 0.7
      - expect: 余额
    """


def test_a_scenario_that_holds_passes(sim: Harness, tmp_path: Path) -> None:
    result = run_scenario(sim.network, Scenario.load(_scenario(tmp_path, "b.yaml", BALANCE)))

    assert result.passed, result.message
    assert result.message == "PASS balance by keypad"
    assert sim.app.requests_to("/voice/menu")[0].params["Digits"] == "1"


def test_a_failing_scenario_names_the_step(sim: Harness, tmp_path: Path) -> None:
    path = _scenario(tmp_path, "bad.yaml", BALANCE.replace("余额为", "流量剩余"))

    result = run_scenario(sim.network, Scenario.load(path))

    assert not result.passed
    assert result.failure is not None
    assert result.failure.startswith("step 3 (expect_re:")
    assert "您的话费余额为12元5角" in result.failure


def test_steps_after_the_end_of_the_call_fail_as_not_reached(sim: Harness, tmp_path: Path) -> None:
    extra_step = BALANCE.replace("    expect_status", "      - press: 9\n    expect_status")
    path = _scenario(tmp_path, "long.yaml", extra_step)

    result = run_scenario(sim.network, Scenario.load(path))

    assert result.failure is not None
    assert result.failure.startswith("step 4 (press: '9') was not reached")


def test_expect_status_and_call_outcome(sim: Harness) -> None:
    busy = Scenario.from_data(
        {"call": {"to": SERVICE, "from": HANDSET, "status": "busy"}, "expect_status": "busy"}
    )
    wrong = Scenario.from_data(
        {
            "call": {"to": SERVICE, "from": HANDSET},
            "steps": [{"silence": True}],
            "expect_status": "busy",
        }
    )

    assert run_scenario(sim.network, busy).passed
    assert "expected 'busy'" in (run_scenario(sim.network, wrong).failure or "")


def test_malformed_scenarios_are_rejected_with_the_step() -> None:
    with pytest.raises(ScenarioError, match="step 2 needs exactly one of"):
        Scenario.from_data(
            {"call": {"to": "1", "from": "2"}, "steps": [{"press": "1"}, {"dance": True}]}
        )
    with pytest.raises(ScenarioError, match="'call' needs 'to' and 'from'"):
        Scenario.from_data({"steps": []})


def test_load_mode_runs_many_callers_without_errors(sim: Harness, tmp_path: Path) -> None:
    _scenario(tmp_path, "balance.yaml", BALANCE)
    _scenario(tmp_path, "spoken.yaml", SPOKEN)
    mix = _scenario(
        tmp_path,
        "mix.yaml",
        """\
        scenarios:
          - {file: balance.yaml, weight: 3}
          - {file: spoken.yaml, weight: 1}
        """,
    )

    report = run_load(sim.network, load_mix(mix), calls=20, concurrency=5, seed=7)

    assert len(report.results) == 20
    assert report.completed == 20
    assert report.errors == 0 and report.failed == []
    assert {r.scenario.name for r in report.results} == {"balance by keypad", "balance by voice"}
    # Each call makes three requests (the call, the menu choice, the status callback), and
    # each one's latency is in the report.
    assert len(report.latencies) == 20 * 3 == len(sim.app.received)
    assert report.summary()[0].startswith("calls: 20  completed: 20  passed: 20  failed: 0")


class StillClock:
    """Real time that stands still at 100 s: records the moment each call was told to wait
    for, and lets it go at once."""

    def __init__(self) -> None:
        self.waits_until: list[float] = []

    def now(self) -> float:
        return 100.0

    def sleep_until(self, moment: float) -> None:
        self.waits_until.append(moment)


@pytest.mark.parametrize(
    ("rate", "turns"),
    [(50.0, [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]), (None, [0.0] * 6)],
)
def test_load_at_a_rate_holds_each_call_until_its_turn(
    sim: Harness, tmp_path: Path, rate: float | None, turns: list[float]
) -> None:
    mix = _scenario(tmp_path, "mix.yaml", "scenarios:\n  - {file: balance.yaml}\n")
    _scenario(tmp_path, "balance.yaml", BALANCE)
    clock = StillClock()

    report = run_load(sim.network, load_mix(mix), calls=6, concurrency=6, rate=rate, clock=clock)

    assert report.completed == 6 and report.errors == 0
    # Call i waits until i/rate seconds into the run (no wait at all without a rate).
    assert sorted(moment - 100.0 for moment in clock.waits_until) == pytest.approx(turns)
    assert report.elapsed == 0.0  # by the clock it was given


def test_webhook_latency_percentiles_are_by_nearest_rank(tmp_path: Path) -> None:
    scenario = Scenario.load(_scenario(tmp_path, "balance.yaml", BALANCE))
    result = CallResult("CA1", SERVICE, HANDSET, "inbound")
    latencies = [n / 1000 for n in range(100, 0, -1)]  # 1 ms to 100 ms, in no order
    result.requests = [WebhookRequest("POST", "/voice", {}, 200, s) for s in latencies]
    failed = WebhookRequest("POST", "/voice", {}, None, 15.0, "timed out")  # no answer
    result.requests.append(failed)

    report = LoadReport([ScenarioResult(scenario, result)])

    assert len(report.latencies) == 100
    assert [report.percentile(p) for p in (0.5, 0.95, 0.99)] == [0.05, 0.095, 0.099]
    assert LoadReport().percentile(0.5) == 0.0


def test_peak_concurrency_counts_calls_in_progress_at_the_same_moment(tmp_path: Path) -> None:
    scenario = Scenario.load(_scenario(tmp_path, "balance.yaml", BALANCE))
    t0 = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)

    def call(start_s: float, end_s: float) -> ScenarioResult:
        result = CallResult(
            "CA1", SERVICE, HANDSET, "inbound", started_at=t0 + dt.timedelta(seconds=start_s)
        )
        result.ended_at = t0 + dt.timedelta(seconds=end_s)
        return ScenarioResult(scenario, result)

    # Three overlap at 1.5-2.0 s; the last two follow each other and do not overlap.
    spans = [(0.0, 3.0), (1.0, 2.0), (1.5, 4.0), (3.5, 5.0), (6.0, 7.0), (7.0, 8.0)]
    report = LoadReport([call(start, end) for start, end in spans])

    assert report.peak_concurrency == 3
    assert LoadReport().peak_concurrency == 0


def test_load_refuses_a_rate_that_is_not_positive(sim: Harness, tmp_path: Path) -> None:
    _scenario(tmp_path, "balance.yaml", BALANCE)
    mix = load_mix(_scenario(tmp_path, "mix.yaml", "scenarios:\n  - {file: balance.yaml}\n"))

    with pytest.raises(ValueError, match="rate must be positive"):
        run_load(sim.network, mix, calls=1, concurrency=1, rate=0)


def _run(name: str, *args: str, input: str | None = None) -> tuple[int, str]:
    command = next(c for c in commands if c.name == name)
    result = CliRunner().invoke(command, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def _connection(sim: Harness) -> list[str]:
    return ["--base-url", sim.base_url, "--auth-token", TOKEN, "--account-sid", ACCOUNT]


def test_cli_call_with_keys_prints_what_was_said(sim: Harness) -> None:
    code, output = _run("call", SERVICE, "--from", HANDSET, "--keys", "1", *_connection(sim))

    assert code == 0, output
    assert output.splitlines()[:2] == [
        "[cmn-CN] 欢迎致电中国联通。查询话费请按1",
        "[cmn-CN] 您的话费余额为12元5角",
    ]
    assert "completed" in output.splitlines()[-1]


def test_cli_interactive_call_reads_typed_keys_and_speech(sim: Harness) -> None:
    code, output = _run("call", SERVICE, "--from", HANDSET, *_connection(sim), input='7\n"查余额\n')

    assert code == 0, output
    assert "[cmn-CN] 输入有误" in output
    assert "[cmn-CN] 您的话费余额为12元5角" in output
    assert sim.app.requests_to("/voice/menu")[1].params["SpeechResult"] == "查余额"


def test_cli_scenario_exit_status(sim: Harness, tmp_path: Path) -> None:
    good = _scenario(tmp_path, "good.yaml", BALANCE)
    bad = _scenario(tmp_path, "bad.yaml", BALANCE.replace("press: 1", "press: 2"))

    ok, _ = _run("call", SERVICE, "--from", HANDSET, "--scenario", str(good), *_connection(sim))
    failed, output = _run(
        "call", SERVICE, "--from", HANDSET, "--scenario", str(bad), *_connection(sim)
    )

    assert ok == 0
    assert failed != 0
    assert "scenario failed: step 3" in output


def test_cli_simulate_prints_the_report(sim: Harness, tmp_path: Path) -> None:
    _scenario(tmp_path, "balance.yaml", BALANCE)
    mix = _scenario(tmp_path, "mix.yaml", "scenarios: [{file: balance.yaml}]\n")

    code, output = _run(
        "simulate", "--calls", "6", "--concurrency", "3", "--mix", str(mix), *_connection(sim)
    )

    assert code == 0, output
    assert output.startswith("calls: 6  completed: 6  passed: 6  failed: 0  errors: 0")
    assert "p95" in output and "calls/s" in output
