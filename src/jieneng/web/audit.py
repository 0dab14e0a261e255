"""The audit log: every write, newest first (administrators only).

Page ``/admin/audit``; its JSON twin is the older ``/api/v1/audit`` (path kept;
listed in ``tests/web/test_twins.py``). Both show one page of
:func:`jieneng.services.accounts.audit.list_entries`, filtered by account, the
action's group (``user``, ``reporting`` …) and a date range in China time
(:mod:`jieneng.web.timefmt`). The page names each action in the reader's language
(``audit.action.*``, the code beside it) and shows what changed field by field;
the whole record stays under 原始记录.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from jieneng.core.permissions import Capability
from jieneng.services.accounts import audit
from jieneng.web.deps import AdminUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.schemas import AuditOut, Page
from jieneng.web.templating import render
from jieneng.web.timefmt import local_day_start

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["audit"], responses=API_ERRORS)
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page, from 1")]
PerPageQ = Annotated[int, Query(ge=1, le=200, description="每页条数 items per page")]
UserQ = Annotated[str, Query(max_length=64, description="操作人 account name")]
ActionQ = Annotated[str, Query(max_length=32, pattern=r"^[a-z_]*$",
                               description="操作类别 action group: user, reporting, import …")]
DayQ = Annotated[date | None, Query(description="日期 YYYY-MM-DD (China time)")]

#: the action groups offered in the filter (the part of an action before its dot)
GROUPS = ("auth", "login", "user", "token", "reporting", "consumption", "profile", "import",
          "quality", "spot_check", "target", "quota", "alert", "publication", "factor_set",
          "channel")


def _filters(username: str, action: str, since: date | None,
             until: date | None) -> dict[str, Any]:
    return {
        "username": username.strip() or None, "action": action or None,
        "since": None if since is None else local_day_start(since),
        "until": None if until is None else local_day_start(until + timedelta(days=1)),
    }


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """``(field, before, after)`` of the fields that differ (a record that is not a
    mapping is one row under the field '')."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return [] if before == after else [("", _text(before), _text(after))]
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    keys = sorted(set(old) | set(new))
    return [(k, _text(old.get(k)), _text(new.get(k))) for k in keys if old.get(k) != new.get(k)]


@router.get("/audit", dependencies=[requires(Capability.VIEW_AUDIT)])
def audit_page(
    request: Request, admin: AdminUser, engine: EngineDep, page: PageQ = 1,
    user: UserQ = "", action: ActionQ = "", since: DayQ = None, until: DayQ = None,
) -> Response:
    data = audit.list_entries(engine, page=page, per_page=50,
                              **_filters(user, action, since, until))
    for item in data["items"]:
        item["changes"] = changes(item["before"], item["after"])
        item["raw"] = json.dumps({"before": item["before"], "after": item["after"]},
                                 ensure_ascii=False, indent=1, sort_keys=True)
    query = {"user": user, "action": action, "since": since or "", "until": until or ""}
    given = {k: v for k, v in query.items() if v}
    extra = "&" + urlencode(given) if given else ""
    return render(request, "admin/audit.html", {
        "page_data": data, "groups": GROUPS, "query": query, "extra": extra})


@api.get("/audit", response_model=Page[AuditOut], dependencies=[requires(Capability.VIEW_AUDIT)])
def list_audit(
    admin: AdminUser, engine: EngineDep, page: PageQ = 1, per_page: PerPageQ = 50,
    user: UserQ = "", action: ActionQ = "", since: DayQ = None, until: DayQ = None,
) -> dict[str, Any]:
    """Every write, newest first; ``user``, ``action`` (group) and ``since``/``until``
    (days in China time, both included) filter."""
    return audit.list_entries(engine, page=page, per_page=per_page,
                              **_filters(user, action, since, until))
