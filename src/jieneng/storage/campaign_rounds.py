"""Evaluation rounds (轮次): members, self-assessments, evidence, reviews, scores (issue 14 §3)."""

from __future__ import annotations
