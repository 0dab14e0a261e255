"""Coverage per region (达标率, 创建率, 自评率, 抽查率).

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
