"""Vehicles, charging spaces, coal (公务用车、充电车位、煤炭清零).

Placeholder: filled by its helper."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
api = APIRouter(prefix="/api/v1")
