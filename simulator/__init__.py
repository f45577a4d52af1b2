"""A local stand-in for Twilio: simulated calls and SMS against the app's webhooks, and the
REST API on a loopback port. See :mod:`simulator.network` to start."""

from simulator.call import CallSpec, Recogniser, SimulatedCall
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
