"""The reference page of the JSON API, ``/api/v1/docs``: drawn from the OpenAPI
document ``/api/v1/openapi.json`` (no CDN, no script).

Authentication of the API: the session cookie (with ``X-CSRF-Token`` on writes) or
``Authorization: Bearer <token>`` (no CSRF). Lists are paginated
(``?page=&per_page=`` → ``{"items", "page", "per_page", "total"}``). Errors have the
one shape of :mod:`jieneng.web.errors`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from jieneng.web.templating import render

router = APIRouter(prefix="/api/v1", include_in_schema=False)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """A reference of the API drawn from the OpenAPI document (no CDN, no script)."""
    return await run_in_threadpool(
        render, request, "api_docs.html", {"spec": request.app.openapi()}
    )
