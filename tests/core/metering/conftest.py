"""Helpers for the metering tests: local (Asia/Shanghai) times as epoch seconds."""

from __future__ import annotations

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> int:
    """``2026-03-01 00:15`` (Asia/Shanghai) → epoch seconds."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp())
