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

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.notifications import channels, notify
from jieneng.web.deps import AdminUser, CurrentUser, EngineDep, requires
from jieneng.web.errors import ErrorOut, lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(
    prefix="/api/v1", tags=["api"],
    responses={status: {"model": ErrorOut} for status in (401, 403, 404, 422)},
)
PAGE = "/notifications"
ADMIN_PAGE = "/admin/channels"
PER_PAGE = 50

PageQuery = Annotated[int, Query(ge=1, le=100_000)]


# ---------------------------------------------------------------- notifications


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


@api_router.get("/notifications", response_model=NotificationsOut)
def list_notifications(
    user: CurrentUser, engine: EngineDep, page: PageQuery = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = PER_PAGE,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
) -> dict[str, Any]:
    """The caller's own notifications, newest first, with the unread count."""
    return notify.user_notifications(engine, user.id, page=page, per_page=per_page,
                                     unread_only=unread)


@api_router.post("/notifications/read",
                 dependencies=[requires(Capability.OWN_ACCOUNT)], response_model=MarkedOut)
def mark_read(body: MarkReadIn, user: CurrentUser, engine: EngineDep) -> dict[str, int]:
    """Mark the caller's notifications read (other users' ids are ignored)."""
    marked = notify.mark_read(engine, user.id, body.ids)
    return {"marked": marked, "unread": notify.unread_count(engine, user.id)}


# ---------------------------------------------------------------- channels (admin)


def _admin_page(
    request: Request, engine: Engine, *, form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    context = {"items": channels.list_channels(engine), "kinds": notify.CHANNEL_KINDS,
               "form": form or {}, "errors": errors or {}}
    return render(request, "admin/channels.html", context, status_code=status_code)


def _errors(request: Request, err: ValidationFailed | NotFound) -> dict[str, str]:
    field = str(err.details.get("field") or "_form")
    return {field: err.message(domain_lang(lang_of(request)))}


@router.get("/admin/channels",
            dependencies=[requires(Capability.MANAGE_CHANNELS)])
def channels_page(request: Request, admin: AdminUser, engine: EngineDep) -> Response:
    return _admin_page(request, engine)


@router.post("/admin/channels", dependencies=[requires(Capability.MANAGE_CHANNELS)])
def add_channel(
    request: Request, admin: AdminUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    kind: Annotated[str, Form(max_length=16)],
    target: Annotated[str, Form(max_length=500)],
) -> Response:
    form = {"region_code": region_code, "kind": kind}  # the target is not echoed back
    try:
        channels.create_channel(engine, actor=admin.actor, region_code=region_code.strip(),
                                kind=kind, target=target)
    except (ValidationFailed, NotFound) as err:
        return _admin_page(request, engine, form=form, errors=_errors(request, err),
                           status_code=422)
    return RedirectResponse(ADMIN_PAGE, status_code=303)


ChannelPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="channel id")]


@router.post("/admin/channels/{channel_id}/enabled",
             dependencies=[requires(Capability.MANAGE_CHANNELS)])
def toggle_channel(
    request: Request, admin: AdminUser, engine: EngineDep, channel_id: ChannelPath,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Enable (``enabled=1``) or disable a channel; audited."""
    try:
        channels.set_channel_enabled(engine, actor=admin.actor, channel_id=channel_id,
                                     enabled=enabled in ("1", "true", "on"))
    except NotFound as err:
        return _admin_page(request, engine, errors=_errors(request, err), status_code=404)
    return RedirectResponse(ADMIN_PAGE, status_code=303)


@router.post("/admin/channels/{channel_id}/delete",
             dependencies=[requires(Capability.MANAGE_CHANNELS)])
def remove_channel(
    request: Request, admin: AdminUser, engine: EngineDep, channel_id: ChannelPath
) -> Response:
    try:
        channels.delete_channel(engine, actor=admin.actor, channel_id=channel_id)
    except NotFound as err:
        return _admin_page(request, engine, errors=_errors(request, err), status_code=404)
    return RedirectResponse(ADMIN_PAGE, status_code=303)


class ChannelOut(BaseModel):
    id: int
    region_code: str
    region_name: str
    kind: str
    target: str = Field(description="masked: e-mail a***@host, URLs scheme://host/…")
    enabled: bool


class ChannelsOut(BaseModel):
    items: list[ChannelOut]


class ChannelIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$",
                             description="行政区划代码; the channel serves the whole subtree")
    kind: str = Field(description="email, wecom, dingtalk, feishu or webhook")
    target: str = Field(max_length=500, description="an e-mail address or the robot's URL")


class ChannelPatch(BaseModel):
    enabled: bool


@api_router.get("/admin/channels", response_model=ChannelsOut,
                dependencies=[requires(Capability.MANAGE_CHANNELS)])
def list_channels(admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Every notification channel, targets masked (administrators)."""
    return {"items": channels.list_channels(engine)}


@api_router.post("/admin/channels",
                 dependencies=[requires(Capability.MANAGE_CHANNELS)], response_model=ChannelOut)
def post_channel(body: ChannelIn, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Attach a channel to a region (administrators; audited)."""
    return channels.create_channel(engine, actor=admin.actor, region_code=body.region_code,
                                   kind=body.kind, target=body.target)


@api_router.patch("/admin/channels/{channel_id}",
                  dependencies=[requires(Capability.MANAGE_CHANNELS)], response_model=ChannelOut)
def patch_channel(
    channel_id: ChannelPath, body: ChannelPatch, admin: AdminUser, engine: EngineDep
) -> dict[str, Any]:
    """Enable or disable a channel (administrators; audited)."""
    return channels.set_channel_enabled(engine, actor=admin.actor, channel_id=channel_id,
                                        enabled=body.enabled)


@api_router.delete("/admin/channels/{channel_id}",
                   dependencies=[requires(Capability.MANAGE_CHANNELS)], status_code=204)
def delete_channel(channel_id: ChannelPath, admin: AdminUser, engine: EngineDep) -> Response:
    """Remove a channel (administrators; audited)."""
    channels.delete_channel(engine, actor=admin.actor, channel_id=channel_id)
    return Response(status_code=204)
