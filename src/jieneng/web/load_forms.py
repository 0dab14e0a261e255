"""The load pages of a reference-data file — an evaluation scheme
(``/campaigns/schemes/load``), an assessment sheet (``/assessments/sheets/load``) — share
one form (``templates/_load_form.html``: file, region, dry run) and one way of answering
it: the report of what was (or would be) stored; on a file refused, every issue by
sheet, row and column under 422 and nothing stored; on another refusal, the message at
its field under the JSON twin's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.settings import Settings
from jieneng.web.common import page
from jieneng.web.forms import form_error
from jieneng.web.uploads import read_upload, rejected

#: what the load form shows before anything was sent
START = {"region_code": "", "dry_run": True}
#: load(file name, content, region code or None, dry run) → the report shown
Load = Callable[[str, bytes, str | None, bool], dict[str, Any]]


async def load_page(request: Request, settings: Settings, template: str, load: Load, *,
                    region_chars: int | None = None) -> Response:
    """Read the posted form (``region_chars``: where the region typed is cut, None: not
    cut), run ``load`` in a thread and answer ``template`` with the report or the
    refusal, what was typed kept."""
    context: dict[str, Any] = {"form": dict(START)}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        region = (fields.get("region_code") or "").strip()[:region_chars] or None
        dry_run = fields.get("dry_run") == "1"
        context["form"] = {"region_code": region or "", "dry_run": dry_run}
        context["report"] = await run_in_threadpool(load, name, content, region, dry_run)
    except ImportRejected as err:
        status = 422
        context.update(rejected(request, err))
    except DomainError as err:
        return await run_in_threadpool(form_error, request, template, context, err)
    return await run_in_threadpool(page, request, template, context, status_code=status)


__all__ = ["START", "Load", "load_page"]
