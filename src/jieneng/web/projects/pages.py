"""Project pages (HTML) and their JSON twins — filled by the projects web work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
