"""A local stand-in for Twilio: simulated calls and SMS against the app's webhooks, and the
REST API on a loopback port. It reaches the service only over HTTP, as Twilio does.

One concern per module; :mod:`simulator.network` is where to start:

* ``network`` the facade over the network's parts: ``registry`` the calls, ``queues``,
  ``recordings``, ``parties`` the other phones, ``smsc`` messages sent and received
  (``messaging`` their store and forms); ``config`` its settings, ``errors`` REST errors;
* ``call`` one call's loop and state; ``verbs`` a handler per TwiML verb; ``twiml`` the
  parser; ``control`` outside events; ``bridge`` two parties talking; ``webhook`` signed
  requests; ``result`` what a call produced; ``timing`` simulated and real time; ``wav``
  audio lengths; ``sids`` identifiers;
* ``inputs`` the caller's actions and where they come from; ``scenario`` scripted callers
  with expectations; ``load`` many of them at once;
* ``rest_standin`` (+ ``faults``, ``server``) the REST API; ``cli`` the ``ivr`` commands,
  ``audio`` their optional sound.
"""

from simulator.call import CallSpec, Recognizer, SimulatedCall
from simulator.config import NetworkConfig
from simulator.inputs import (
    Action,
    Hangup,
    Hold,
    InputRequest,
    InputSource,
    InteractiveInput,
    Moment,
    Press,
    ScriptedInput,
    Silence,
    Speak,
    Wait,
)
from simulator.network import Network
from simulator.registry import CallHandle
from simulator.rest_standin import RestStandin
from simulator.result import CallError, CallResult, Heard
from simulator.scenario import Scenario, ScenarioError, ScenarioResult, run_scenario
from simulator.smsc import SmsExchange

__all__ = [
    "Action",
    "CallError",
    "CallHandle",
    "CallResult",
    "CallSpec",
    "Hangup",
    "Heard",
    "Hold",
    "InputRequest",
    "InputSource",
    "InteractiveInput",
    "Moment",
    "Network",
    "NetworkConfig",
    "Press",
    "Recognizer",
    "RestStandin",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "ScriptedInput",
    "Silence",
    "SimulatedCall",
    "SmsExchange",
    "Speak",
    "Wait",
    "run_scenario",
]
