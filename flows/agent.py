"""Reaching a person: key 0 anywhere, the last wrong key, or a caller nobody knows.

The general agents are served exactly as the expert desk's experts are: the caller becomes a
desk call for the ``general`` skill (topic ``general``) and joins the line through the desk's
own states (:mod:`flows.expert_desk`), with its hours, longest wait, callback and offers.

    agent ──> expert_desk.joining ──> in line (the desk's wait music, * for a callback)
                    └ closed / nobody signed in / line full / waited too long
                        ──> expert_desk.offer: 1 callback, 2 keep waiting, or goodbye
"""

from __future__ import annotations

from expert_desk import queue, topics
from expert_desk.models import ASKING, LEFT, LINE
from expert_desk.settings import DeskSettings
from ivr.flow import CallContext, Goto, State
from ivr.reply import Reply


class TransferringToAgent(State):
    """Key 0 anywhere, or the last strike after wrong keys: into the general agents' line."""

    name = "agent"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is not None and queue.is_general(desk_call) and desk_call.in_line:
            return Goto("expert_desk.joining")  # a retried webhook: back to holding
        if (
            desk_call is not None
            and queue.is_general(desk_call)
            and desk_call.left_reason == "callback"
            and queue.may_keep_waiting(
                ctx.session, DeskSettings.of(ctx.settings), desk_call, ctx.now
            )
        ):
            # 0 while the number is read back for a callback: back to holding, in place.
            queue.keep_waiting(ctx.session, desk_call, ctx.now)
            return Goto("expert_desk.joining")
        if (
            desk_call is not None
            and queue.is_general(desk_call)
            and desk_call.status == LEFT
            and desk_call.mode == LINE
            and queue.why_not_join(ctx.session, DeskSettings.of(ctx.settings), desk_call, ctx.now)
        ):
            # Just turned away and nothing has changed (a wrong key at the offer, 0 again):
            # the same choices, not one more visit to a line that cannot take the caller.
            return Goto("expert_desk.offer")
        if desk_call is None or not (queue.is_general(desk_call) and desk_call.status == ASKING):
            queue.start(ctx, topics.GENERAL, "agent")
        return Goto("expert_desk.joining")

    def prompt(self, ctx: CallContext) -> Reply:
        result = self.enter(ctx)
        return result if isinstance(result, Reply) else Reply(())
