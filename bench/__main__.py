"""`make bench`: every benchmark, one table each, measured side by side in this run.

Pieces, each alone:

- ``python -m bench [sqlite] [postgresql]``: everything, on these backends only;
- ``python -m bench calls [sqlite] [postgresql]``: only the Python function calls and SQL
  statements per request (:mod:`bench.calls`, counted, not timed; under a minute on SQLite);
- ``python -m bench voice``: only the cost of joining prompt audio;
- ``python -m bench first-figure``: only how soon callers hear the first figure
  (:mod:`bench.first_figure`, simulated seconds with rendered prompt audio);
- ``python -m bench.trail_page``: only the data-usage trail page.
"""

from __future__ import annotations

import logging
import sys

from bench import calls, first_figure, sms_throughput, trail_page, voice, webhooks
from ivr import logs


def main(argv: list[str]) -> None:
    if argv == ["voice"]:
        _voice()
        return
    if argv == ["first-figure"]:
        _first_figure()
        return
    if argv[:1] == ["calls"]:
        calls.print_table(tuple(argv[1:]) or ("sqlite", "postgresql"))
        return
    backends = tuple(argv) or ("sqlite", "postgresql")
    counts = calls.lookup(calls.print_table(backends))
    print("\nWebhooks (gunicorn, deploy/gunicorn.conf.py; calls/req from the table above)")
    print(webhooks.HEADER, "-" * len(webhooks.HEADER), sep="\n", flush=True)
    results = []
    for result in webhooks.run(backends, counts):
        results.append(result)
        print(webhooks.row(result), flush=True)
    if any(r.key == "concurrent" for r in results):
        print(webhooks.largest_levels(results), flush=True)
    print("\nTargets", *webhooks.targets(results, counts), sep="\n", flush=True)
    logs.configure(logging.WARNING)  # the app below runs in this process: only its problems
    print("\nSMS outbox delivery to the local Twilio stand-in", flush=True)
    print(sms_throughput.table(sms_throughput.run(backends, 1000, (True,))), flush=True)
    print("\nData-usage trail, a heavy user (30,000 sessions): page and voice", flush=True)
    print(trail_page.table(trail_page.run(backends)), flush=True)
    _voice()
    _first_figure()


def _voice() -> None:
    print("\nOne voice: joining a reply's audio from pre-rendered clips, per reply", flush=True)
    print(voice.table(voice.run()), flush=True)


def _first_figure() -> None:
    logs.configure(logging.WARNING)  # the app runs in this process: only its problems
    print("\nThe first figure a caller hears (simulated seconds, rendered audio)", flush=True)
    print(first_figure.table(first_figure.run()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
