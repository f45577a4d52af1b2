"""Complaint tickets with time limits (``tickets``: 4 h urgent, 48 h standard, escalation and
reopening), the caller's recorded description (``recordings``: its webhook) and the operators'
``ivr tickets`` commands (``cli``)."""
