"""``<Leave>``: out of the queue, from its wait music (the ``<Enqueue>`` goes on with
``QueueResult=leave``); anywhere else it does nothing."""

from __future__ import annotations

from simulator.verbs.context import CallContext, Document
from simulator.verbs.hold import Left


def run(call: CallContext, document: Document) -> None:
    if call.hold is not None:
        raise Left
    call.warn("<Leave> outside a queue's wait music has no effect", document.url)
