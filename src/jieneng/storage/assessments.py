"""Performance assessment (绩效考核) sheets and scores (issue 14 §4)."""

from __future__ import annotations
