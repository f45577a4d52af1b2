"""Load mode: many scripted callers at once, picked from a weighted mix of scenarios.

A mix file (YAML) lists scenario files relative to itself::

    scenarios:
      - file: balance.yaml
        weight: 3
      - file: agent.yaml
        weight: 1
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from simulator.network import Network
from simulator.scenario import Scenario, ScenarioError, ScenarioResult, run_scenario
from simulator.timing import RealClock, SystemClock


@dataclass(frozen=True)
class MixEntry:
    scenario: Scenario
    weight: float


def load_mix(path: Path) -> list[MixEntry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(f"{path}: {error}") from None
    entries = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{path}: expected 'scenarios:' with a list of {{file, weight}}")
    mix = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "file" not in entry:
            raise ScenarioError(f"{path}: scenario {number} needs a 'file'")
        weight = float(entry.get("weight", 1))
        if weight <= 0:
            raise ScenarioError(f"{path}: scenario {number} needs a positive weight")
        mix.append(MixEntry(Scenario.load(path.parent / str(entry["file"])), weight))
    return mix


@dataclass
class LoadReport:
    results: list[ScenarioResult] = field(default_factory=list)
    elapsed: float = 0.0  # real seconds
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def peak_concurrency(self) -> int:
        """The most calls that were in progress at the same moment."""
        calls = [r.call for r in self.results if r.call.ended_at is not None]
        # At the same moment, an end (-1) sorts before a start (+1): back to back is not at once.
        edges = sorted(
            [(call.started_at, 1) for call in calls] + [(call.ended_at, -1) for call in calls]
        )
        peak = current = 0
        for _, change in edges:
            current += change
            peak = max(peak, current)
        return peak

    @property
    def completed(self) -> int:
        """Calls that ran to their end with the status their scenario expects."""
        return sum(
            1 for r in self.results if r.call.status == (r.scenario.expect_status or "completed")
        )

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    @property
    def errors(self) -> int:
        """Developer-facing call errors (application errors, failed webhooks...)."""
        return sum(len(r.call.errors) for r in self.results)

    @property
    def latencies(self) -> list[float]:
        return sorted(
            request.latency for r in self.results for request in r.call.requests if request.status
        )

    def percentile(self, fraction: float) -> float:
        """Webhook latency (seconds) at ``fraction`` (nearest rank); 0 without requests."""
        latencies = self.latencies
        if not latencies:
            return 0.0
        return latencies[max(0, math.ceil(fraction * len(latencies)) - 1)]

    @property
    def throughput(self) -> float:
        return len(self.results) / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> list[str]:
        lines = [
            f"calls: {len(self.results)}  completed: {self.completed}  "
            f"passed: {len(self.results) - len(self.failed)}  failed: {len(self.failed)}  "
            f"errors: {self.errors}",
            f"webhook latency p50 {self.percentile(0.5) * 1000:.1f} ms  "
            f"p95 {self.percentile(0.95) * 1000:.1f} ms  "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms  ({len(self.latencies)} requests)",
            f"throughput: {self.throughput:.1f} calls/s over {self.elapsed:.2f} s, "
            f"at most {self.peak_concurrency} calls at once",
        ]
        lines += [f"  {result.message}" for result in self.failed[:10]]
        return lines


def run_load(
    network: Network,
    mix: Sequence[MixEntry],
    *,
    calls: int,
    concurrency: int,
    seed: int = 0,
    rate: float | None = None,
    clock: RealClock | None = None,
) -> LoadReport:
    """Run ``calls`` scenarios, at most ``concurrency`` at a time; the choice of scenarios is
    reproducible for a given ``seed``.

    With a ``rate``, a new call starts every ``1/rate`` seconds (as SIPp's ``-r``), or as
    soon as a line is free when ``concurrency`` calls are already in progress (``-l``).
    Without one, every line starts its next call at once. The pace, and the report's
    ``elapsed``, go by ``clock`` (the machine's unless given).
    """
    if calls < 1 or concurrency < 1:
        raise ValueError("calls and concurrency must be at least 1")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    chosen = random.Random(seed).choices(
        [entry.scenario for entry in mix], weights=[entry.weight for entry in mix], k=calls
    )
    interval = 1.0 / rate if rate else 0.0
    clock = clock or SystemClock()
    started_at = dt.datetime.now(dt.UTC)
    started = clock.now()

    def place(index: int, scenario: Scenario) -> ScenarioResult:
        clock.sleep_until(started + index * interval)
        return run_scenario(network, scenario)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sim-load") as pool:
        results = list(pool.map(place, range(calls), chosen))
    return LoadReport(results, clock.now() - started, started_at)
