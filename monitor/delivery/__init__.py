"""Delivery channels: the report, and alerts as they happen, sent to the people who act on
them. One module per channel (the contract is ``base.Channel``), registered by name like
sources and scorers; ``monitor.outbox.deliver`` sends what each channel owes."""

from __future__ import annotations

from monitor.delivery.base import Channel
from monitor.plugins import discover

CHANNELS: dict[str, type[Channel]] = discover(__name__, Channel)
