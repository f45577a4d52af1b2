"""A local stand-in for Twilio: simulated calls and SMS against the app's webhooks, and the
REST API on a loopback port. See :mod:`ivr.simulator.network` to start."""

from ivr.simulator.call import CallSpec, Recogniser, SimulatedCall
from ivr.simulator.inputs import (
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
from ivr.simulator.network import CallHandle, Network, NetworkConfig, SmsExchange
from ivr.simulator.rest_standin import RestStandin
from ivr.simulator.result import CallError, CallResult, Heard
from ivr.simulator.scenario import Scenario, ScenarioError, ScenarioResult, run_scenario

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
    "Recogniser",
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
