"""`make bench`: every benchmark, one table each, measured side by side in this run.

``python -m bench [sqlite] [postgresql]`` limits the backends.
"""

from __future__ import annotations

import sys

from bench import sms_throughput, webhooks


def main(argv: list[str]) -> None:
    backends = tuple(argv) or ("sqlite", "postgresql")
    print("Webhooks (gunicorn, deploy/gunicorn.conf.py)", flush=True)
    print(webhooks.table(webhooks.run(backends)), flush=True)
    print("\nSMS outbox delivery to the local Twilio stand-in", flush=True)
    print(sms_throughput.table(sms_throughput.run(backends, 1000, (True,))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
