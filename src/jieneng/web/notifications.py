"""In-app notifications (every signed-in user, only their own) and the administration
of notification channels per region (administrators).

- ``/notifications`` (page; ``POST /notifications/read`` marks one or all read) and
  ``/api/v1/notifications`` (``POST /api/v1/notifications/read`` ``{"ids": […] | null}``).
  The user is the filter: there is no parameter naming anyone else.
- ``/admin/channels`` (list, add, enable/disable, delete; CSRF in every form) and
  ``/api/v1/admin/channels`` (``GET``, ``POST``, ``PATCH /{id}``, ``DELETE /{id}``).
  Targets are shown masked (a webhook URL holds its access token); every write is
  audited (:mod:`jieneng.services.notifications.notify`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core.permissions import Capability
from jieneng.services.notifications import notify
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["notifications"], responses=API_ERRORS)
PAGE = "/notifications"
PER_PAGE = 50

PageQuery = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/notifications")
def notifications_page(
    request: Request, user: CurrentUser, engine: EngineDep, page: PageQuery = 1
) -> Response:
    data = notify.user_notifications(engine, user.id, page=page, per_page=PER_PAGE)
    return render(request, "notifications.html", {"data": data})


@router.post("/notifications/read", dependencies=[requires(Capability.OWN_ACCOUNT)])
def mark_read_form(
    request: Request, user: CurrentUser, engine: EngineDep,
    notification_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Mark one notification read (``notification_id``) or, without it, all of them."""
    ids = [int(notification_id)] if notification_id.strip().isdigit() else None
    notify.mark_read(engine, user.id, ids)
    return RedirectResponse(PAGE, status_code=303)


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="reminder, alert, …")
    title: str
    body: str
    link: str | None
    created_at: str = Field(description="ISO-8601, UTC")
    read_at: str | None
    read: bool


class NotificationsOut(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    unread: int


class MarkReadIn(BaseModel):
    ids: list[int] | None = Field(default=None, max_length=1000,
                                  description="ids to mark read; null = all of the caller's")


class MarkedOut(BaseModel):
    marked: int
    unread: int


@api.get("/notifications", response_model=NotificationsOut)
def list_notifications(
    user: CurrentUser, engine: EngineDep, page: PageQuery = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = PER_PAGE,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
) -> dict[str, Any]:
    """The caller's own notifications, newest first, with the unread count."""
    return notify.user_notifications(engine, user.id, page=page, per_page=per_page,
                                     unread_only=unread)


@api.post("/notifications/read",
                 dependencies=[requires(Capability.OWN_ACCOUNT)], response_model=MarkedOut)
def mark_read(body: MarkReadIn, user: CurrentUser, engine: EngineDep) -> dict[str, int]:
    """Mark the caller's notifications read (other users' ids are ignored)."""
    marked = notify.mark_read(engine, user.id, body.ids)
    return {"marked": marked, "unread": notify.unread_count(engine, user.id)}
