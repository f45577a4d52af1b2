"""The TwiML verbs a simulated call runs, one handler per verb; :func:`run` picks it.

* :mod:`~simulator.verbs.context`: what passes between a call and its handlers;
* :mod:`~simulator.verbs.prompt`: ``<Say>``, ``<Play>``, ``<Pause>``;
* :mod:`~simulator.verbs.gather`: ``<Gather>``;
* :mod:`~simulator.verbs.record`: ``<Record>``;
* :mod:`~simulator.verbs.redirect`: ``<Redirect>``;
* :mod:`~simulator.verbs.hangup`: ``<Hangup>``, ``<Reject>``;
* :mod:`~simulator.verbs.enqueue`: ``<Enqueue>``, waiting as :mod:`~simulator.verbs.hold`
  says; :mod:`~simulator.verbs.leave`: ``<Leave>`` in its wait music;
* :mod:`~simulator.verbs.dial`: ``<Dial>``, talking as :mod:`~simulator.verbs.talk` says.

A handler returns the document that takes over (a ``<Redirect>``'s, an action's answer), or
None for the call to go on with the next verb; it ends or diverts the call by raising one of
the exceptions in :mod:`~simulator.verbs.context`.
"""

from __future__ import annotations

from simulator import twiml
from simulator.verbs import dial, enqueue, gather, hangup, leave, prompt, record, redirect
from simulator.verbs.context import CallContext, Document


def run(call: CallContext, verb: twiml.Verb, document: Document) -> Document | None:
    """Run ``verb`` of ``document`` in ``call``; the successor document, if any."""
    match verb:
        case twiml.Say() | twiml.Play() | twiml.Pause():
            prompt.run(call, verb, document, in_gather=False)
        case twiml.Gather():
            return gather.run(call, verb, document)
        case twiml.Record():
            return record.run(call, verb, document)
        case twiml.Redirect():
            return redirect.run(call, verb, document)
        case twiml.Hangup():
            hangup.hangup(verb)
        case twiml.Reject():
            hangup.reject(verb)
        case twiml.Enqueue():
            return enqueue.run(call, verb, document)
        case twiml.Leave():
            leave.run(call, document)
        case twiml.Dial():
            return dial.run(call, verb, document)
    return None
