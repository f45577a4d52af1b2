"""``<Redirect>``: the TwiML at another URL takes over."""

from __future__ import annotations

from simulator import twiml
from simulator.verbs.context import CallContext, Document


def run(call: CallContext, verb: twiml.Redirect, document: Document) -> Document:
    return call.fetch(document.resolve(verb.url), verb.method)
