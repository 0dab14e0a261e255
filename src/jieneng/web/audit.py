"""The audit log: every write, newest first (administrators only).

Page ``/admin/audit``; its JSON twin is the older ``/api/v1/audit`` (path kept;
listed in ``tests/web/test_twins.py``). Both show one page of
:func:`jieneng.services.accounts.audit.list_entries`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from jieneng.core.permissions import Capability
from jieneng.services.accounts import audit
from jieneng.web.deps import AdminUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.schemas import AuditOut, Page
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["audit"], responses=API_ERRORS)
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page, from 1")]
PerPageQ = Annotated[int, Query(ge=1, le=200, description="每页条数 items per page")]


@router.get("/audit", dependencies=[requires(Capability.VIEW_AUDIT)])
def audit_page(request: Request, admin: AdminUser, engine: EngineDep, page: PageQ = 1) -> Response:
    data = audit.list_entries(engine, page=page, per_page=50)
    return render(request, "admin/audit.html", {"page_data": data})


@api.get("/audit", response_model=Page[AuditOut], dependencies=[requires(Capability.VIEW_AUDIT)])
def list_audit(
    admin: AdminUser, engine: EngineDep, page: PageQ = 1, per_page: PerPageQ = 50
) -> dict[str, Any]:
    """Every write, newest first."""
    return audit.list_entries(engine, page=page, per_page=per_page)
