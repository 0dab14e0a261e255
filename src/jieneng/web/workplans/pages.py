"""Work plan pages: list, a plan, items, progress, review, summary.

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
