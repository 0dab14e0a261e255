"""Round pages: list, open, a round, self-assessment, review (创建轮次).

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
