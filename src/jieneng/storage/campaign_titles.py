"""Spot checks, 公示, awards and titles, 回头看 re-checks (issue 14 §3)."""

from __future__ import annotations
