"""`make bench`: every benchmark, one table each, measured side by side in this run."""

from __future__ import annotations

import sys

from bench import webhooks


def main(argv: list[str]) -> None:
    backends = tuple(argv) or ("sqlite", "postgresql")
    print(webhooks.table(webhooks.run(backends)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
