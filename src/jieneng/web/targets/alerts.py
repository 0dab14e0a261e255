"""Early warnings (预警) on the targets: the open alerts of a region with their history.

Page ``/alerts`` (acknowledge button on each) and its JSON twin ``/api/v1/alerts``
(``POST /api/v1/alerts/{id}/acknowledge``). Rules, roles and escalation:
:mod:`jieneng.services.targets.alerts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.targets import alerts
from jieneng.web.common import RegionQ, YearQ, blank, page, region_for, year_of
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import export_url, notes, workbook_lang, xlsx_response

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["alerts"], responses=API_ERRORS)
AlertId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def alerts_data(engine: Engine, user: User, *, region: str | None, year: str | None,
                closed: bool = False, institution: str | None = None) -> dict[str, Any]:
    code = region_for(engine, user, region)
    items = alerts.list_for(engine, user, region_code=code, year=year_of(year),
                            include_closed=closed, institution_code=blank(institution))
    for item in items:
        item["events"] = alerts.history(engine, user, int(item["id"]))["events"]
    return {"region_code": code, "items": items}


InstitutionQ = Annotated[str | None, Query(max_length=18,
                                           description="统一社会信用代码 one institution")]


@router.get("/alerts")
def alerts_page(request: Request, user: CurrentUser, engine: EngineDep,
                region: RegionQ = None, year: YearQ = None,
                institution: InstitutionQ = None) -> Response:
    data = alerts_data(engine, user, region=region, year=year, closed=True,
                       institution=institution)
    return page(request, "pages/alerts.html", {"data": data, "export_href": export_url(
        user, "/alerts.xlsx", {"region": data["region_code"], "year": year,
                               "institution": institution})})


#: The alerts' columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("region_code", "export.col.region_code", "code"),
    Column("region_name", "pages.region"),
    Column("year", "pages.year", "code"),
    Column("level_label", "pages.alerts.level"),
    Column("actual", "pages.targets.actual", "number"),
    Column("projected", "pages.targets.projected", "number"),
    Column("limit_value", "pages.targets.value", "number"),
    Column("state_label", "pages.alerts.state"),
    Column("opened_at", "export.col.opened_at", "code"),
    Column("acknowledged_at", "export.col.acknowledged_at", "code"),
    Column("closed_at", "export.col.closed_at", "code"),
)


@router.get("/alerts.xlsx")
def alerts_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                region: RegionQ = None, year: YearQ = None,
                institution: InstitutionQ = None) -> Response:
    """The alerts of the page (closed ones too) as a workbook."""
    lang = workbook_lang(request)
    data = alerts_data(engine, user, region=region, year=year, closed=True,
                       institution=institution)
    rows = [{**a, "level_label": a["level_en"] if lang == "en" else a["level_zh"],
             "state_label": text(lang, f"pages.alerts.state.{a['state']}")}
            for a in data["items"]]
    title = text(lang, "pages.alerts.title")
    sheet = Sheet(title, title, COLUMNS, rows, notes=notes(
        engine, user, lang, count=len(rows), period=blank(year),
        filters=(("pages.region", data["region_code"]), ("pages.institution", blank(institution)))))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "alerts.xlsx")


@router.post("/alerts/{alert_id}/acknowledge",
            dependencies=[requires(Capability.ACKNOWLEDGE_ALERTS)])
def acknowledge_form(alert_id: AlertId, user: CurrentUser, engine: EngineDep) -> Response:
    alerts.acknowledge(engine, user, alert_id)
    return RedirectResponse("/alerts", status_code=303)


# ---------------------------------------------------------------- JSON twin
class AcknowledgedOut(BaseModel):
    id: int
    state: str


class AlertEventOut(BaseModel):
    id: int
    alert_id: int
    at: datetime
    event: str
    channel: str | None
    detail: str | None


class AlertOut(BaseModel):
    id: int
    subject: str
    region_code: str
    institution_id: int | None
    year: int
    level: str
    state: str
    actual: float | None
    projected: float | None
    limit_value: float | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    escalated_at: datetime | None
    closed_at: datetime | None
    region_name: str
    level_zh: str
    level_en: str
    events: list[AlertEventOut]


class AlertsOut(BaseModel):
    region_code: str
    items: list[AlertOut]


@api.get("/alerts", response_model=AlertsOut)
def alerts_api(user: CurrentUser, engine: EngineDep, region: RegionQ = None,
               year: YearQ = None, closed: bool = False, institution: InstitutionQ = None
               ) -> dict[str, Any]:
    """Alerts of the region's subtree (open ones; ``closed`` for all; ``institution``:
    one institution's), each with its history of deliveries, escalation and
    acknowledgement."""
    return alerts_data(engine, user, region=region, year=year, closed=closed,
                       institution=institution)


@api.post("/alerts/{alert_id}/acknowledge", dependencies=[requires(Capability.ACKNOWLEDGE_ALERTS)],
          response_model=AcknowledgedOut)
def acknowledge_api(alert_id: AlertId, user: CurrentUser, engine: EngineDep
                    ) -> dict[str, Any]:
    """Acknowledge an open alert (stops its escalation; audited)."""
    alerts.acknowledge(engine, user, alert_id)
    return {"id": alert_id, "state": "acknowledged"}
