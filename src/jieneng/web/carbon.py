"""Event carbon calculator and carbon-points ledger (碳中和、碳普惠).

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
