"""How soon a caller hears the first figure: calls placed through the simulator against the
app with rendered prompt audio, timed by the simulator's own clock (``ivr call --timestamps``:
each ``<Play>`` lasts as long as its WAV file, each key 0.3 s, a ``<Gather>`` without input
its timeout). The first figure is heard when the line that carries it begins.

Four paths, each against its target (issue 24): the balance by its direct code in Mandarin
and in English, the 10010 menus by single keys, and the same keys typed ahead at once.
``python -m bench first-figure`` runs this alone; it renders the prompt audio first if
``ivr prompts render`` has not (``$PROMPT_AUDIO_DIR``, else ``var/prompts``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ivr.migrate import upgrade
from prompts.catalog import LANGUAGES, prompts
from prompts.cli import default_audio_dir
from prompts.render import render_all
from simulator.call import CallResult
from simulator.inputs import Action, Hangup, Press
from simulator.network import Network
from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.live import live_hotline

FIGURE_LINES = ("report.balance", "report.arrears")
"""The lines that open the balance with its figure, whatever the language."""


@dataclass(frozen=True)
class CallPath:
    label: str
    number: str
    caller: str
    keys: tuple[str, ...]
    target_s: float


PATHS = (
    CallPath("1001011, Mandarin", "1001011", DEMO_ZH, (), 3.0),
    CallPath("1001011, English", "1001011", DEMO_EN, (), 3.0),
    CallPath("10010, keys 1,1,1, Mandarin", "10010", DEMO_ZH, ("1", "1", "1"), 40.0),
    CallPath("10010, type-ahead 111", "10010", DEMO_ZH, ("111",), 12.0),
)


@dataclass(frozen=True)
class Result:
    path: CallPath
    first_figure_s: float | None

    @property
    def met(self) -> bool:
        return self.first_figure_s is not None and self.first_figure_s <= self.path.target_s

    def row(self) -> str:
        heard = "never" if self.first_figure_s is None else f"{self.first_figure_s:.1f} s"
        verdict = "met" if self.met else "not met"
        return f"| {self.path.label} | {heard} | {self.path.target_s:.0f} s | {verdict} |"


HEADER = "| path | first figure heard at | target | |\n|---|---:|---:|---|"


def first_figure_at(result: CallResult) -> float | None:
    """When the first line carrying a figure began, in simulated seconds; None if none did."""
    openings = tuple(
        prompts(language)[key].split("{", 1)[0] for language in LANGUAGES for key in FIGURE_LINES
    )
    return next((h.at for h in result.transcript if h.text.startswith(openings)), None)


def run(audio_dir: Path | None = None) -> list[Result]:
    """Place the calls against the app with the audio in *audio_dir*, rendered first where
    it is missing or out of date."""
    audio_dir = (audio_dir or default_audio_dir()).resolve()
    report = render_all(audio_dir)
    if not report.ok:
        raise SystemExit(f"rendering failed: {report.failed}")
    with tempfile.TemporaryDirectory() as workdir:
        database_url = f"sqlite:///{workdir}/first-figure.db"
        upgrade(database_url)
        config = {
            "database_url": database_url,
            "prompt_audio": True,
            "prompt_audio_dir": str(audio_dir),
        }
        with live_hotline(config) as live:
            return measure(live.network)


def measure(network: Network) -> list[Result]:
    """Place a call of each path on *network* (the app with the demo subscribers behind it)
    and time its first figure."""
    results = []
    for path in PATHS:
        actions: list[Action] = [*map(Press, path.keys), Hangup()]
        result = network.call(path.number, "+86" + path.caller, actions)
        if result.errors:
            raise SystemExit(f"{path.label}: {result.errors}")
        results.append(Result(path, first_figure_at(result)))
    return results


def table(results: list[Result]) -> str:
    return "\n".join([HEADER, *(result.row() for result in results)])
