"""What the smart-device expert desk reads from its environment (see expert_desk/README.md)."""

from __future__ import annotations

from dataclasses import dataclass

from expert_desk import policy
from ivr.config import setting
from sms_followup.settings import SmsSettings


@dataclass(frozen=True)
class DeskSettings(SmsSettings):
    """Opening hours in Asia/Shanghai, queue limits, offers to agents, wrap-up, service-level
    target, routing strategy (the agent's wrap-up SMS goes out by SMS, hence the SMS settings)."""

    desk_hours: str = setting("09:00-21:00", "DESK_HOURS")
    desk_queue: str = setting("expert-desk", "DESK_QUEUE")
    desk_max_queue: int = setting(20, "DESK_MAX_QUEUE")
    desk_max_wait_s: int = setting(900, "DESK_MAX_WAIT_S")
    desk_reservation_s: int = setting(20, "DESK_RESERVATION_S")
    desk_max_lapses: int = setting(3, "DESK_MAX_LAPSES")
    desk_wrap_up_s: int = setting(120, "DESK_WRAP_UP_S")
    desk_service_level_s: int = setting(20, "DESK_SERVICE_LEVEL_S")
    desk_strategy: str = setting("longest-idle", "DESK_STRATEGY")
    desk_announce_every_s: int = setting(60, "DESK_ANNOUNCE_EVERY_S")
    desk_hold_s: int = setting(20, "DESK_HOLD_S")
    desk_hold_music_url: str = setting("", "DESK_HOLD_MUSIC_URL")
    desk_question_s: int = setting(30, "DESK_QUESTION_S")
    desk_default_handle_s: int = setting(420, "DESK_DEFAULT_HANDLE_S")
    desk_agent_ring_s: int = setting(20, "DESK_AGENT_RING_S")
    desk_caller_id: str = setting("10010", "DESK_CALLER_ID")

    def check(self) -> None:
        super().check()
        policy.check(self)
