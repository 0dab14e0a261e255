"""Event carbon (会议活动碳中和) and the carbon-points (碳普惠) ledger (issue 14 §6)."""

from __future__ import annotations
