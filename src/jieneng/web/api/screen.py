"""JSON twin of the public big screen: ``/api/v1/screen/{region}`` (no login; only
what :data:`jieneng.web.pages.screen.PUBLICATION` allows)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jieneng.web.deps import EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.screen import RegionP, screen_data

router = APIRouter(prefix="/api/v1", tags=["screen"], responses=API_ERRORS)


@router.get("/screen/{region}")
def screen(region: RegionP, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """The region's published figures: the latest year an administrator published for
    the region or a region above it — region totals, monthly trend, child regions and
    each unit's annual energy use (公布各单位用能情况). With nothing published:
    ``published: false``, ``year: null`` and no figures (still 200)."""
    return screen_data(engine, settings, region)
