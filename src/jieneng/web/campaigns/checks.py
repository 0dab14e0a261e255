"""Spot checks, 公示, awards, 回头看 of a round.

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
