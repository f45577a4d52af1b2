"""`make bench`: every benchmark, one table each, measured side by side in this run.

``python -m bench [sqlite] [postgresql]`` limits the backends; ``python -m bench voice`` runs
only the cost of joining prompt audio.
"""

from __future__ import annotations

import logging
import sys

from bench import sms_throughput, trail_page, voice, webhooks
from ivr import logs


def main(argv: list[str]) -> None:
    if argv == ["voice"]:
        _voice()
        return
    backends = tuple(argv) or ("sqlite", "postgresql")
    print("Webhooks (gunicorn, deploy/gunicorn.conf.py)", flush=True)
    print(webhooks.HEADER, "-" * len(webhooks.HEADER), sep="\n", flush=True)
    for result in webhooks.run(backends):
        print(webhooks.row(result), flush=True)
    logs.configure(logging.WARNING)  # the app below runs in this process: only its problems
    print("\nSMS outbox delivery to the local Twilio stand-in", flush=True)
    print(sms_throughput.table(sms_throughput.run(backends, 1000, (True,))), flush=True)
    print("\nData-usage trail, a heavy user (30,000 sessions): page and voice", flush=True)
    print(trail_page.table(trail_page.run(backends)), flush=True)
    _voice()


def _voice() -> None:
    print("\nOne voice: joining a reply's audio from pre-rendered clips, per reply", flush=True)
    print(voice.table(voice.run()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
