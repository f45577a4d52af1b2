"""Reaching a person: the general agents queue."""

from __future__ import annotations

from ivr.flow import CallContext, State
from ivr.reply import Line, Reply, ToQueue


class TransferringToAgent(State):
    """Key 0 anywhere, or the last strike after wrong keys."""

    name = "agent"

    def enter(self, ctx: CallContext) -> Reply:
        return Reply((Line("agent.transfer"),), ToQueue(ctx.settings.general_queue))

    def prompt(self, ctx: CallContext) -> Reply:
        return self.enter(ctx)
