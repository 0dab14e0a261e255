"""The pages of the dashboards, directory, data entry, import and big screen
(:data:`ROUTERS`) and their JSON twins under ``/api/v1`` (:data:`API_ROUTERS`,
modules of :mod:`jieneng.web.api`). Handlers stay short: parse → call a service
→ render; a page and its twin call the same ``*_data`` function."""

from __future__ import annotations

from fastapi import APIRouter

from jieneng.web.api import entry as entry_api
from jieneng.web.api import imports as imports_api
from jieneng.web.api import institutions as institutions_api
from jieneng.web.api import overview as overview_api
from jieneng.web.api import screen as screen_api
from jieneng.web.pages import directory, entry, imports, overview, screen

ROUTERS: tuple[APIRouter, ...] = (
    overview.router, directory.router, entry.router, imports.router, screen.router,
)
API_ROUTERS: tuple[APIRouter, ...] = (
    overview_api.router, institutions_api.router, entry_api.router, imports_api.router,
    screen_api.router,
)
