"""Work plans (工作安排): plans, items, assignments, progress (issue 14 §1)."""

from __future__ import annotations
