"""Reaching a person: the general agents queue, and services an agent handles for now."""

from __future__ import annotations

from ivr.flow import CallContext, Goto, State
from ivr.reply import Line, Reply, ToQueue


class TransferringToAgent(State):
    """Key 0 anywhere, the last strike after wrong keys, or a service agents handle."""

    name = "agent"

    def enter(self, ctx: CallContext) -> Reply:
        return Reply((Line("agent.transfer"),), ToQueue(ctx.settings.general_queue))

    def prompt(self, ctx: CallContext) -> Reply:
        return self.enter(ctx)


class HandledByAgent(State):
    """A main-menu service that has no self-service flow yet: an agent handles it.

    The caller is told so, and queued for an agent, rather than meeting a dead end.
    """

    def __init__(self, name: str, parent: str = "main") -> None:
        self.name, self.parent = name, parent

    def enter(self, ctx: CallContext) -> Goto:
        return Goto("agent", preface=(Line("service.via_agent"),))

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("service.via_agent"),), ToQueue(ctx.settings.general_queue))
