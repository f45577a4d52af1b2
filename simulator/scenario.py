"""Scenario files: a scripted caller with expectations, checked as the call goes.

.. code-block:: yaml

    name: balance by voice
    call: {to: "10010", from: "+8613800000001"}   # optional status: busy | no-answer | failed
    steps:
      - expect: "欢迎致电"          # substring of what was heard since the previous step
      - say: "查余额"               # optional confidence: 0.8
      - expect_re: "余额.*元"
      - press: "1"
      - silence: true
      - wait: 30                    # on hold in a queue, or talking to an agent
      - hold: true                  # stay in the queue until an agent takes the call
      - hangup: true
    expect_status: completed

An expectation is checked when the caller is next asked for input (or when the call ends),
against what was heard since the caller's previous action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.call import Recognizer
from simulator.inputs import (
    Action,
    Hangup,
    Hold,
    InputRequest,
    Moment,
    Press,
    Silence,
    Speak,
    Wait,
    accepts,
    when_exhausted,
)
from simulator.network import Network
from simulator.result import CallResult, Heard

_STEP_KINDS = ("expect", "expect_re", "press", "say", "silence", "wait", "hold", "hangup")
_OUTCOMES = ("completed", "busy", "no-answer", "failed")


class ScenarioError(ValueError):
    """The scenario file is malformed; the message names the file and step."""


class MissingParty(ScenarioError):
    """Neither the scenario's ``call`` section nor the caller of :meth:`Scenario.load` gave
    the number to call (``to``) or the caller's number (``from``); ``missing`` names them."""

    def __init__(self, source: str, missing: tuple[str, ...]) -> None:
        super().__init__(f"{source}: 'call' needs {' and '.join(map(repr, missing))}")
        self.missing = missing


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, as a person counts the steps in the file
    kind: str
    value: str | float | bool
    confidence: float = 0.9

    def describe(self) -> str:
        return f"step {self.number} ({self.kind}: {self.value!r})"

    @property
    def is_expectation(self) -> bool:
        return self.kind in ("expect", "expect_re")

    def action(self) -> Action:
        if self.kind == "press":
            return Press(str(self.value))
        if self.kind == "say":
            return Speak(str(self.value), self.confidence)
        if self.kind == "silence":
            return Silence()
        if self.kind == "wait":
            return Wait(float(self.value))
        if self.kind == "hold":
            return Hold()
        if self.kind == "hangup":
            return Hangup()
        raise ValueError(f"{self.describe()} is not an action")

    def heard_in(self, heard: str) -> bool:
        if self.kind == "expect_re":
            return re.search(str(self.value), heard) is not None
        return str(self.value) in heard


@dataclass(frozen=True)
class Scenario:
    name: str
    to: str
    from_: str
    steps: tuple[Step, ...]
    expect_status: str | None = None
    outcome: str = "completed"

    @classmethod
    def load(cls, path: Path, *, to: str | None = None, from_: str | None = None) -> Scenario:
        """The scenario in ``path``; ``to`` and ``from_``, when given, replace its
        ``call.to`` and ``call.from`` (:class:`MissingParty` if neither gives one)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ScenarioError(f"{path}: {error}") from None
        return cls.from_data(data, source=str(path), to=to, from_=from_)

    @classmethod
    def from_data(
        cls,
        data: Any,
        source: str = "scenario",
        *,
        to: str | None = None,
        from_: str | None = None,
    ) -> Scenario:
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{source}: expected a mapping with name, call and steps")
        call = data.get("call", {})
        if not isinstance(call, Mapping):
            raise ScenarioError(f"{source}: 'call' must be a mapping like {{to: ..., from: ...}}")
        parties = {"to": to or call.get("to"), "from": from_ or call.get("from")}
        missing = tuple(name for name, number in parties.items() if number is None)
        if missing:
            raise MissingParty(source, missing)
        outcome = str(call.get("status", "completed"))
        expect_status = data.get("expect_status")
        for value in (outcome, expect_status or "completed"):
            if value not in _OUTCOMES:
                raise ScenarioError(f"{source}: unknown call status {value!r}")
        steps = data.get("steps") or []
        if not isinstance(steps, list):
            raise ScenarioError(f"{source}: 'steps' must be a list")
        return cls(
            name=str(data.get("name", source)),
            to=str(parties["to"]),
            from_=str(parties["from"]),
            steps=tuple(_step(number, raw, source) for number, raw in enumerate(steps, start=1)),
            expect_status=None if expect_status is None else str(expect_status),
            outcome=outcome,
        )


def _step(number: int, raw: Any, source: str) -> Step:
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{source}: step {number} must be a mapping like {{press: '1'}}")
    kinds = [key for key in raw if key in _STEP_KINDS]
    unknown = set(raw) - set(_STEP_KINDS) - {"confidence"}
    if len(kinds) != 1 or unknown:
        raise ScenarioError(
            f"{source}: step {number} needs exactly one of {', '.join(_STEP_KINDS)}"
            + (f" (unknown: {', '.join(sorted(map(str, unknown)))})" if unknown else "")
        )
    kind = kinds[0]
    value = raw[kind]
    if kind == "wait" and not isinstance(value, int | float):
        raise ScenarioError(f"{source}: step {number} wait needs a number of seconds")
    if kind == "expect_re":
        try:
            re.compile(str(value))
        except re.error as error:
            raise ScenarioError(f"{source}: step {number} expect_re: {error}") from None
    if kind in ("press", "say", "expect", "expect_re"):
        value = str(value)  # YAML reads press: 1 as a number; quote keys with leading zeros
    return Step(number, kind, value, float(raw.get("confidence", 0.9)))


@dataclass
class ScenarioInput:
    """Plays a scenario's steps as the caller, checking expectations on the way."""

    steps: list[Step]
    failure: str | None = None
    _position: int = 0
    _window_start: int = 0

    def next_action(self, request: InputRequest) -> Action | None:
        if self.failure is not None:
            return Hangup()
        checks_now = request.moment not in (Moment.BRIDGE, Moment.RECORD_END)
        if checks_now and not self._check_expectations(request.transcript):
            return Hangup()
        if self._position >= len(self.steps):
            return when_exhausted(request.moment)
        step = self.steps[self._position]
        if step.is_expectation or not accepts(request.moment, step.action()):
            return None
        self._position += 1
        self._window_start = len(request.transcript)
        return step.action()

    def finish(self, result: CallResult) -> str | None:
        """The failure, if any, once the call has ended."""
        if self.failure is None and self._check_expectations(result.transcript):
            left = self.steps[self._position :]
            if left:
                self.failure = (
                    f"{left[0].describe()} was not reached: the call ended "
                    f"(hung up by {result.hung_up_by or 'nobody'}, status {result.status})"
                )
        return self.failure

    def _check_expectations(self, transcript: Sequence[Heard]) -> bool:
        window = transcript[self._window_start :]
        heard = "\n".join(entry.text for entry in window)
        while self._position < len(self.steps) and self.steps[self._position].is_expectation:
            step = self.steps[self._position]
            if not step.heard_in(heard):
                self.failure = f"{step.describe()}: not heard; heard since the previous step: " + (
                    " | ".join(entry.text for entry in window) or "(nothing)"
                )
                return False
            self._position += 1
        return True


@dataclass
class ScenarioResult:
    scenario: Scenario
    call: CallResult
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def message(self) -> str:
        if self.failure is None:
            return f"PASS {self.scenario.name}"
        return f"FAIL {self.scenario.name}: {self.failure}"


def run_scenario(
    network: Network,
    scenario: Scenario,
    *,
    on_heard: Callable[[Heard], None] | None = None,
    recognizer: Recognizer | None = None,
) -> ScenarioResult:
    """Place the scenario's call and judge it: steps, call errors, then the final status."""
    source = ScenarioInput(list(scenario.steps))
    result = network.call(
        scenario.to,
        scenario.from_,
        source,
        outcome=scenario.outcome,
        on_heard=on_heard,
        recognizer=recognizer,
    )
    failure = source.finish(result)
    if failure is None and result.errors:
        first = result.errors[0]
        failure = f"call error {first.code}: {first.message}" + (
            f" ({first.url})" if first.url else ""
        )
    expected = scenario.expect_status
    if failure is None and expected is not None and result.status != expected:
        failure = f"expect_status: expected {expected!r}, the call ended {result.status!r}"
    return ScenarioResult(scenario, result, failure)
