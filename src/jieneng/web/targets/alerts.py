"""Early warnings (预警) on the targets: the open alerts of a region with their history.

Page ``/alerts`` (acknowledge button on each) and its JSON twin ``/api/v1/alerts``
(``POST /api/v1/alerts/{id}/acknowledge``). Each alert names what it is about in the
UI language: the institution (a quota alert) or the region (a cap), the indicator,
the value, the limit and their unit, with a link to the unit (or the region's
targets) to act on; filters by region (a choice of the caller's regions), level,
indicator and state — the same query parameters on the page, the twin and the
export. Rules, roles and escalation: :mod:`jieneng.services.targets.alerts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.targets import alert_lists, alerts
from jieneng.web.common import RegionQ, YearQ, blank, page, region_for, year_of
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import export_url, notes, workbook_lang, xlsx_response
from jieneng.web.figures import RegionRefOut

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["alerts"], responses=API_ERRORS)
AlertId = Annotated[int, Path(ge=1, le=2_147_483_647)]


LevelQ = Annotated[str | None, Query(pattern="^(notice|warning|over)?$",
                                     description="级别 level: notice, warning or over")]
MetricQ = Annotated[str | None, Query(pattern="^[a-z_0-9]{0,40}$",
                                      description="指标 indicator, e.g. energy_tce")]
StateQ = Annotated[str | None, Query(pattern="^(open|acknowledged|closed)?$",
                                     description="状态 state: open, acknowledged or closed")]
METRICS = tuple(alerts.UNITS)


def alerts_data(engine: Engine, user: User, *, region: str | None, year: str | None,
                closed: bool = False, institution: str | None = None,
                level: str | None = None, metric: str | None = None,
                state: str | None = None) -> dict[str, Any]:
    code = region_for(engine, user, region)
    only = alert_lists.AlertFilter(level=blank(level), metric=blank(metric), state=blank(state))
    items = alert_lists.list_for(engine, user, region_code=code, year=year_of(year),
                            include_closed=closed, institution_code=blank(institution),
                            only=only)
    for item in items:
        item["events"] = alert_lists.history(engine, user, int(item["id"]))["events"]
    home = region_for(engine, user, None)
    return {"region_code": code, "items": items,
            "filters": {"region": code, "year": blank(year), "level": only.level,
                        "metric": only.metric, "state": only.state},
            "regions": alert_lists.region_choices(engine, user, home)}


InstitutionQ = Annotated[str | None, Query(max_length=18,
                                           description="统一社会信用代码 one institution")]


@router.get("/alerts")
def alerts_page(request: Request, user: CurrentUser, engine: EngineDep,
                region: RegionQ = None, year: YearQ = None,
                institution: InstitutionQ = None, level: LevelQ = None,
                metric: MetricQ = None, state: StateQ = None) -> Response:
    data = alerts_data(engine, user, region=region, year=year, closed=True,
                       institution=institution, level=level, metric=metric, state=state)
    return page(request, "pages/alerts.html", {"data": data, "metrics": METRICS,
                                               "export_href": export_url(
        user, "/alerts.xlsx", {"region": data["region_code"], "year": year,
                               "institution": institution, "level": level,
                               "metric": metric, "state": state})})


#: The alerts' columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("region_code", "export.col.region_code", "code"),
    Column("region_name", "pages.region"),
    Column("institution_name", "pages.institution"),
    Column("institution_code", "export.col.code", "code"),
    Column("year", "pages.year", "code"),
    Column("level_label", "pages.alerts.level"),
    Column("metric_label", "pages.targets.metric"),
    Column("unit", "pages.alerts.unit", "code"),
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
                institution: InstitutionQ = None, level: LevelQ = None,
                metric: MetricQ = None, state: StateQ = None) -> Response:
    """The alerts of the page (closed ones too, the same filters) as a workbook."""
    lang = workbook_lang(request)
    data = alerts_data(engine, user, region=region, year=year, closed=True,
                       institution=institution, level=level, metric=metric, state=state)
    rows = [{**a, "level_label": a["level_en"] if lang == "en" else a["level_zh"],
             "metric_label": a["metric_en"] if lang == "en" else a["metric_zh"],
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
    alert_lists.acknowledge(engine, user, alert_id)
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
    kind: str = Field(description="target (a region's cap) or quota (an institution's)")
    metric: str = Field(description="指标 indicator code")
    metric_zh: str
    metric_en: str
    unit: str = Field(description="unit of actual, projected and limit_value")
    institution_code: str | None = Field(description="统一社会信用代码 (a quota alert)")
    institution_name: str | None
    link: str = Field(description="the page to act on: the unit, or the region's targets")
    events: list[AlertEventOut]


class AlertFiltersOut(BaseModel):
    region: str
    year: str | None
    level: str | None
    metric: str | None
    state: str | None


class AlertsOut(BaseModel):
    region_code: str
    items: list[AlertOut]
    filters: AlertFiltersOut
    regions: list[RegionRefOut] = Field(description="the regions the filter offers")


@api.get("/alerts", response_model=AlertsOut)
def alerts_api(user: CurrentUser, engine: EngineDep, region: RegionQ = None,
               year: YearQ = None, closed: bool = False, institution: InstitutionQ = None,
               level: LevelQ = None, metric: MetricQ = None, state: StateQ = None
               ) -> dict[str, Any]:
    """Alerts of the region's subtree (open ones; ``closed`` for all; ``institution``:
    one institution's), each with its history of deliveries, escalation and
    acknowledgement."""
    return alerts_data(engine, user, region=region, year=year, closed=closed,
                       institution=institution, level=level, metric=metric, state=state)


@api.post("/alerts/{alert_id}/acknowledge", dependencies=[requires(Capability.ACKNOWLEDGE_ALERTS)],
          response_model=AcknowledgedOut)
def acknowledge_api(alert_id: AlertId, user: CurrentUser, engine: EngineDep
                    ) -> dict[str, Any]:
    """Acknowledge an open alert (stops its escalation; audited)."""
    alert_lists.acknowledge(engine, user, alert_id)
    return {"id": alert_id, "state": "acknowledged"}
