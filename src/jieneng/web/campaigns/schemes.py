"""Evaluation scheme pages (评价方案).

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
