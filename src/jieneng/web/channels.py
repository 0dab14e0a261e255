"""Notification channels per region (administrators): where reminders and alerts go.

``/admin/channels`` (list, add, enable/disable, delete; CSRF in every form) and its
JSON twin ``/api/v1/admin/channels`` (``GET``, ``POST``, ``PATCH /{id}``,
``DELETE /{id}``). Targets are shown masked (a webhook URL holds its access token);
every write is audited (:mod:`jieneng.services.notifications.channels`). A refused
form shows the page again with the status the JSON twin answers
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.notifications import channels, notify, outbox
from jieneng.web.deps import AdminUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1/admin", tags=["channels"], responses=API_ERRORS)
PAGE = "/admin/channels"
TEMPLATE = "admin/channels.html"
ChannelPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="channel id")]


def _context(engine: Engine, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"items": channels.list_channels(engine), "kinds": notify.CHANNEL_KINDS,
            "form": form or {}, "errors": {}, "outbox": outbox.entries(engine, limit=20)}


@router.get("/channels", dependencies=[requires(Capability.MANAGE_CHANNELS)])
def channels_page(request: Request, admin: AdminUser, engine: EngineDep) -> Response:
    return render(request, TEMPLATE, _context(engine))


@router.post("/channels", dependencies=[requires(Capability.MANAGE_CHANNELS)])
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
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine, form), err)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/channels/{channel_id}/enabled",
             dependencies=[requires(Capability.MANAGE_CHANNELS)])
def toggle_channel(
    request: Request, admin: AdminUser, engine: EngineDep, channel_id: ChannelPath,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Enable (``enabled=1``) or disable a channel; audited."""
    try:
        channels.set_channel_enabled(engine, actor=admin.actor, channel_id=channel_id,
                                     enabled=enabled in ("1", "true", "on"))
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine), err, at=WHOLE_FORM)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/channels/{channel_id}/delete",
             dependencies=[requires(Capability.MANAGE_CHANNELS)])
def remove_channel(
    request: Request, admin: AdminUser, engine: EngineDep, channel_id: ChannelPath
) -> Response:
    try:
        channels.delete_channel(engine, actor=admin.actor, channel_id=channel_id)
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine), err, at=WHOLE_FORM)
    return RedirectResponse(PAGE, status_code=303)


# ---------------------------------------------------------------- JSON
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


@api.get("/channels", response_model=ChannelsOut,
                dependencies=[requires(Capability.MANAGE_CHANNELS)])
def list_channels(admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Every notification channel, targets masked (administrators)."""
    return {"items": channels.list_channels(engine)}


@api.post("/channels",
                 dependencies=[requires(Capability.MANAGE_CHANNELS)], response_model=ChannelOut)
def post_channel(body: ChannelIn, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Attach a channel to a region (administrators; audited)."""
    return channels.create_channel(engine, actor=admin.actor, region_code=body.region_code,
                                   kind=body.kind, target=body.target)


@api.patch("/channels/{channel_id}",
                  dependencies=[requires(Capability.MANAGE_CHANNELS)], response_model=ChannelOut)
def patch_channel(
    channel_id: ChannelPath, body: ChannelPatch, admin: AdminUser, engine: EngineDep
) -> dict[str, Any]:
    """Enable or disable a channel (administrators; audited)."""
    return channels.set_channel_enabled(engine, actor=admin.actor, channel_id=channel_id,
                                        enabled=body.enabled)


@api.delete("/channels/{channel_id}",
                   dependencies=[requires(Capability.MANAGE_CHANNELS)], status_code=204)
def delete_channel(channel_id: ChannelPath, admin: AdminUser, engine: EngineDep) -> Response:
    """Remove a channel (administrators; audited)."""
    channels.delete_channel(engine, actor=admin.actor, channel_id=channel_id)
    return Response(status_code=204)
