"""What joining one voice costs a webhook: the audio of a reply whose lines carry figures,
joined from pre-rendered clips (prompts.voice) at request time.

Each reply is what a caller hears after a balance, a usage or a complaint query, with figures
drawn at random, so nearly every line is a new text and is joined (cold); the same replies
asked again find their joined files (warm). ``python -m bench voice`` runs this alone.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prompts import spoken
from prompts.audio import LINES_DIR, PromptAudio
from prompts.cli import default_audio_dir
from prompts.render import render_all

Reply = list[tuple[str, dict[str, str], str]]
HEADER = (
    "| reply audio | replies | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|"
)


def _replies(rng: random.Random) -> list[Callable[[], Reply]]:
    def balance(language: str) -> Callable[[], Reply]:
        return lambda: [
            ("report.balance", {"amount": spoken.money(rng.randrange(10**6), language)}, language),
            (
                "report.month_charges",
                {
                    "date": spoken.date(dt.date(2026, rng.randrange(1, 13), 1), language),
                    "amount": spoken.money(rng.randrange(10**5), language),
                },
                language,
            ),
        ]

    def usage(language: str) -> Callable[[], Reply]:
        def reply() -> Reply:
            quota = rng.randrange(1, 40) * 1024**2
            used = rng.randrange(quota)
            minutes = rng.randrange(1000)
            return [
                (
                    "report.usage.data",
                    {
                        "used": spoken.data_volume(used, language),
                        "remaining": spoken.data_volume(quota - used, language),
                        "quota": spoken.data_volume(quota, language),
                    },
                    language,
                ),
                (
                    "report.usage.voice",
                    {
                        "used": spoken.count(minutes, language),
                        "remaining": spoken.count(1000 - minutes, language),
                    },
                    language,
                ),
            ]

        return reply

    def complaint(language: str) -> Callable[[], Reply]:
        return lambda: [
            (
                "complaint.filed",
                {
                    "number": spoken.phone_number(f"{rng.randrange(10**11):011d}", language),
                    "hours": spoken.hours(rng.choice((4, 24, 48)), language),
                    "deadline": spoken.date_time(
                        dt.datetime(2026, 12, 1) + dt.timedelta(minutes=rng.randrange(43200)),
                        language,
                    ),
                },
                language,
            )
        ]

    return [
        kind(language) for kind in (balance, usage, complaint) for language in ("zh-CN", "en-US")
    ]


@dataclass
class Result:
    label: str
    times_ms: list[float]

    def row(self) -> str:
        ordered = sorted(self.times_ms)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

        return (
            f"| {self.label} | {len(ordered)} | {statistics.median(ordered):.2f} | "
            f"{pct(0.95):.2f} | {pct(0.99):.2f} | {ordered[-1]:.2f} |"
        )


def run(count: int = 2000, audio_dir: Path | None = None) -> list[Result]:
    """Join *count* replies (cold), then ask for the same ones again (warm)."""
    audio_dir = audio_dir or default_audio_dir()
    report = render_all(audio_dir)  # reuses what ``ivr prompts render`` already made
    if not report.ok:
        raise SystemExit(f"rendering failed: {report.failed}")
    shutil.rmtree(audio_dir / LINES_DIR, ignore_errors=True)
    audio = PromptAudio(audio_dir.resolve())
    rng = random.Random(15)
    makers = _replies(rng)
    replies = [makers[i % len(makers)]() for i in range(count)]

    def timed(reply: Reply) -> float:
        started = time.perf_counter()
        for key, params, language in reply:
            if audio.line_path(key, params, language) is None:
                raise SystemExit(f"no audio for {key} {params} ({language})")
        return (time.perf_counter() - started) * 1000

    cold = [timed(reply) for reply in replies]
    warm = [timed(reply) for reply in replies]
    return [Result("joined (new text)", cold), Result("already joined", warm)]


def table(results: list[Result]) -> str:
    return "\n".join([HEADER, *(result.row() for result in results)])
