"""The start page after login: who I am and what I see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from jieneng.web.deps import CurrentUser
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    return render(request, "home.html")
