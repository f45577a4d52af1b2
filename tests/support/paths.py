"""Where the project's own files are, for tests that read or run them."""

from __future__ import annotations

from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
"""The checkout: the folder of the Makefile, README.md and scripts/."""
ARTIFACTS: Final = ROOT / "test-artifacts"
"""Screenshots the browser tests leave for a person to look at."""
