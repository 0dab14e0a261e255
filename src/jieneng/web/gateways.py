"""The gateway registry's pages and their JSON twins.

Pages (capability ``manage_gateways``, the caller's subtree): ``/gateways`` — the
list (last heard, readings and refusals today; Excel at ``/gateways.xlsx``) with the
form to register one; ``/gateways/{id}`` — its meters (assign one, a pasted CSV, or
remove one), the refusal log, rotate the secret, disable / enable. A new or rotated
secret is shown on the page that answers the command, once. JSON twins under
``/api/v1/gateways``. Services: :mod:`jieneng.services.metering.gateways`. The
gateways' own HTTP push is :mod:`jieneng.web.readings_push`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.listing import Column
from jieneng.core.messages import catalogue, text
from jieneng.core.permissions import Capability
from jieneng.ingest.mohurd.profile import profile_names
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.metering import gateways as service
from jieneng.services.metering.gateways_read import gateway_detail, list_gateways, refusal_log
from jieneng.storage.gateways import PROTOCOLS
from jieneng.web.common import page as render
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import export_url, notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.timefmt import local_time

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["gateways"], responses=API_ERRORS)
LIST, DETAIL = "pages/gateways.html", "pages/gateway.html"
NEEDS = [requires(Capability.MANAGE_GATEWAYS)]
RegionQ = Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")]
PageQ = Annotated[int, Query(ge=1, le=100_000)]
GatewayId = Annotated[int, Path(ge=1)]

COLUMNS = (
    Column("code", "pages.gateways.col.code", "code"),
    Column("name", "pages.gateways.col.name"),
    Column("protocol_label", "pages.gateways.col.protocol"),
    Column("region_name", "pages.gateways.col.region"),
    Column("institution_name", "pages.gateways.col.institution"),
    Column("status_label", "pages.gateways.col.status"),
    Column("last_seen_text", "pages.gateways.col.last_seen", "code"),
    Column("meters", "pages.gateways.col.meters", "int"),
    Column("readings_today", "pages.gateways.col.readings_today", "int"),
    Column("refusals_today", "pages.gateways.col.refusals_today", "int"),
)


# ---------------------------------------------------------------- pages

def _labelled(lang: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**g, "status_label": text(lang, f"pages.gateways.status.{g['status']}"),
             "protocol_label": text(lang, f"pages.gateways.protocol.{g['protocol']}"),
             "last_seen_text": local_time(g["last_seen"]) or "—"} for g in items]


def _list_context(request: Request, engine: Engine, user: User, region: str, q: str,
                  page: int) -> dict[str, Any]:
    data = list_gateways(engine, user, region=region or None, q=q, page=page)
    data["items"] = _labelled(domain_lang(lang_of(request)), data["items"])
    return {"data": data, "columns": COLUMNS, "region": region, "q": q, "form": {},
            "errors": {}, "protocols": PROTOCOLS, "profiles": profile_names(),
            "export_href": export_url(user, "/gateways.xlsx", {"region": region, "q": q})}


@router.get("/gateways", dependencies=NEEDS)
def gateways_page(request: Request, user: CurrentUser, engine: EngineDep,
                  region: RegionQ = "", q: Annotated[str, Query(max_length=64)] = "",
                  page: PageQ = 1) -> Response:
    return render(request, LIST, _list_context(request, engine, user, region, q, page))


@router.get("/gateways.xlsx", dependencies=NEEDS)
def gateways_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                  region: RegionQ = "", q: Annotated[str, Query(max_length=64)] = ""
                  ) -> Response:
    lang = workbook_lang(request)
    data = list_gateways(engine, user, region=region or None, q=q, per_page=100_000)
    rows = _labelled(lang, data["items"])
    title = text(lang, "pages.gateways.title")
    sheet = Sheet(title, title, COLUMNS, rows, notes=notes(
        engine, user, lang, count=len(rows),
        filters=(("pages.region", region), ("pages.gateways.search", q))))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "gateways.xlsx")


@router.post("/gateways", dependencies=NEEDS)
def gateways_create(
    request: Request, user: CurrentUser, engine: EngineDep,
    code: Annotated[str, Form(max_length=64)],
    protocol: Annotated[str, Form(max_length=8)],
    region_code: Annotated[str, Form(max_length=12)],
    name: Annotated[str, Form(max_length=200)] = "",
    institution: Annotated[str, Form(max_length=18)] = "",
    profile: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    spec = service.GatewaySpec(code=code, protocol=protocol, region_code=region_code,
                               name=name or None, institution=institution or None,
                               profile=profile or None)
    try:
        made = service.register_gateway(engine, user, spec)
    except DomainError as err:
        context = _list_context(request, engine, user, "", "", 1)
        context["form"] = {"code": code, "protocol": protocol, "region_code": region_code,
                           "name": name, "institution": institution, "profile": profile}
        return form_error(request, LIST, context, err, at="code")
    return _detail(request, engine, user, made["gateway_id"], secret=made["secret"],
                   status_code=201)


def _detail(request: Request, engine: Engine, user: User, gateway_id: int, *, page: int = 1,
            secret: str | None = None, status_code: int = 200) -> Response:
    return render(request, DETAIL, _detail_context(request, engine, user, gateway_id, page, secret),
                  status_code=status_code)


def _detail_context(request: Request, engine: Engine, user: User, gateway_id: int,
                    page: int = 1, secret: str | None = None) -> dict[str, Any]:
    lang = domain_lang(lang_of(request))
    gateway = gateway_detail(engine, user, gateway_id)
    for a in gateway["assigned"]:
        found = carrier_of(a["carrier"])
        a["carrier_label"] = found.name_en if lang == "en" else found.name_zh
    log = refusal_log(engine, user, gateway_id, page=page)
    for r in log["items"]:
        key = f"pages.gateways.kind.{r['kind']}"
        r["kind_label"] = text(lang, key) if key in catalogue(lang) else r["kind"]
    return {"gateway": gateway, "log": log, "secret": secret, "form": {}, "errors": {}}


@router.get("/gateways/{gateway_id}", dependencies=NEEDS)
def gateway_page(request: Request, user: CurrentUser, engine: EngineDep,
                 gateway_id: GatewayId, page: PageQ = 1) -> Response:
    return _detail(request, engine, user, gateway_id, page=page)


@router.post("/gateways/{gateway_id}/rotate", dependencies=NEEDS)
def gateway_rotate(request: Request, user: CurrentUser, engine: EngineDep,
                   gateway_id: GatewayId) -> Response:
    made = service.rotate_secret(engine, user, gateway_id)
    return _detail(request, engine, user, gateway_id, secret=made["secret"])


@router.post("/gateways/{gateway_id}/status", dependencies=NEEDS)
def gateway_status(user: CurrentUser, engine: EngineDep, gateway_id: GatewayId,
                   active: Annotated[Literal["0", "1"], Form()]) -> Response:
    service.set_status(engine, user, gateway_id, active=active == "1")
    return RedirectResponse(f"/gateways/{gateway_id}", status_code=303)


@router.post("/gateways/{gateway_id}/meters", dependencies=NEEDS)
def gateway_assign(
    request: Request, user: CurrentUser, engine: EngineDep, gateway_id: GatewayId,
    code: Annotated[str, Form(max_length=64)] = "",
    institution: Annotated[str, Form(max_length=18)] = "",
    meter: Annotated[str, Form(max_length=64)] = "",
    rows: Annotated[str, Form(max_length=500_000)] = "",
) -> Response:
    try:
        if rows.strip():
            items = service.assignments_from_csv(rows.encode("utf-8"), "CSV")
            service.assign_meters(engine, user, gateway_id, items, file="CSV")
        else:
            service.assign_meters(engine, user, gateway_id,
                                  [service.Assignment(code, institution, meter)])
    except ImportRejected as err:
        context = _detail_context(request, engine, user, gateway_id)
        context["form"] = {"rows": rows}
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
        return render(request, DETAIL, context, status_code=422)
    except DomainError as err:
        context = _detail_context(request, engine, user, gateway_id)
        context["form"] = {"code": code, "institution": institution, "meter": meter}
        return form_error(request, DETAIL, context, err, at="meter")
    return RedirectResponse(f"/gateways/{gateway_id}", status_code=303)


@router.post("/gateways/{gateway_id}/meters/remove", dependencies=NEEDS)
def gateway_unassign(user: CurrentUser, engine: EngineDep, gateway_id: GatewayId,
                     code: Annotated[str, Form(max_length=64)]) -> Response:
    service.unassign_meter(engine, user, gateway_id, code)
    return RedirectResponse(f"/gateways/{gateway_id}", status_code=303)


# ---------------------------------------------------------------- JSON twins

class GatewayOut(BaseModel):
    gateway_id: int
    code: str = Field(description="the id the gateway sends (MQTT user / topic, HTTP "
                      "`gateway`, MOHURD building/gateway)")
    name: str
    protocol: str = Field(description="mqtt / http / mohurd")
    region_code: str
    region_name: str
    institution: str = Field(description="credit code ('' for none)")
    institution_name: str
    status: str = Field(description="active / disabled")
    profile: str | None = Field(description="MOHURD profile")
    created_by: str
    created_at: datetime | None
    last_seen: datetime | None = Field(description="when a batch was last stored (UTC)")
    meters: int
    readings_today: int = Field(description="readings timed today (China day)")
    refusals_today: int


class GatewayPage(BaseModel):
    region_code: str
    page: int
    per_page: int
    total: int
    items: list[GatewayOut]


class AssignedOut(BaseModel):
    code: str = Field(description="the meter's code as the gateway sends it")
    meter_id: int
    meter: str = Field(description="表号")
    meter_name: str
    carrier: str
    unit: str | None
    institution: str
    institution_name: str


class GatewayDetail(GatewayOut):
    assigned: list[AssignedOut]


class RefusalOut(BaseModel):
    id: int
    at: datetime | None
    kind: str = Field(description="malformed / meter_unknown / meter_not_gateways / "
                      "token / oversized / … (docs/gateways.md)")
    reason: str
    batch_id: str | None
    readings: int


class RefusalPage(BaseModel):
    gateway_id: int
    code: str
    page: int
    per_page: int
    total: int
    items: list[RefusalOut]


class GatewayIn(BaseModel):
    code: str = Field(max_length=64)
    protocol: Literal["mqtt", "http", "mohurd"]
    region_code: str = Field(max_length=12)
    name: str | None = Field(default=None, max_length=200)
    institution: str | None = Field(default=None, max_length=18, description="credit code")
    key: str | None = Field(default=None, max_length=16, description="MOHURD shared key "
                            "(16 characters; generated when left out)")
    profile: str | None = Field(default=None, max_length=64, description="MOHURD profile")


class SecretOut(BaseModel):
    gateway_id: int
    code: str
    protocol: str
    secret: str = Field(description="the HTTP token, MQTT password or MOHURD key: shown "
                        "this once, kept only as a hash (MOHURD: the key itself)")


class StatusIn(BaseModel):
    status: Literal["active", "disabled"]


class StatusOut(BaseModel):
    gateway_id: int
    code: str
    status: str


class AssignmentIn(BaseModel):
    code: str = Field(max_length=64, description="the meter's code as the gateway sends it")
    institution: str = Field(max_length=18, description="credit code of the meter's unit")
    meter: str = Field(max_length=64, description="表号")


class AssignIn(BaseModel):
    meters: list[AssignmentIn] = Field(max_length=service.MAX_ROWS)
    dry_run: bool = False


class AssignOut(BaseModel):
    gateway_id: int
    code: str
    assigned: int
    unchanged: int
    dry_run: bool


class UnassignIn(BaseModel):
    code: str = Field(max_length=64)


class UnassignOut(BaseModel):
    gateway_id: int
    code: str
    removed: bool


@api.get("/gateways", response_model=GatewayPage, dependencies=NEEDS)
def gateways_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  q: Annotated[str, Query(max_length=64)] = "",
                  page: PageQ = 1) -> dict[str, Any]:
    """The gateways of the caller's regions."""
    return list_gateways(engine, user, region=region or None, q=q, page=page)


@api.post("/gateways", response_model=SecretOut, status_code=201, dependencies=NEEDS)
def gateways_create_json(body: GatewayIn, user: CurrentUser,
                         engine: EngineDep) -> dict[str, Any]:
    """Register a gateway; the answer holds its secret, this once."""
    return service.register_gateway(engine, user, service.GatewaySpec(**body.model_dump()))


@api.get("/gateways/{gateway_id}", response_model=GatewayDetail, dependencies=NEEDS)
def gateway_json(user: CurrentUser, engine: EngineDep,
                 gateway_id: GatewayId) -> dict[str, Any]:
    return gateway_detail(engine, user, gateway_id)


@api.get("/gateways/{gateway_id}/log", response_model=RefusalPage, dependencies=NEEDS)
def gateway_log_json(user: CurrentUser, engine: EngineDep, gateway_id: GatewayId,
                     page: PageQ = 1) -> dict[str, Any]:
    """The gateway's refused batches, newest first."""
    return refusal_log(engine, user, gateway_id, page=page)


@api.post("/gateways/{gateway_id}/rotate", response_model=SecretOut, dependencies=NEEDS)
def gateway_rotate_json(user: CurrentUser, engine: EngineDep,
                        gateway_id: GatewayId) -> dict[str, Any]:
    """A new secret (the old one stops working); answered this once."""
    return service.rotate_secret(engine, user, gateway_id)


@api.patch("/gateways/{gateway_id}", response_model=StatusOut, dependencies=NEEDS)
def gateway_status_json(body: StatusIn, user: CurrentUser, engine: EngineDep,
                        gateway_id: GatewayId) -> dict[str, Any]:
    return service.set_status(engine, user, gateway_id, active=body.status == "active")


@api.post("/gateways/{gateway_id}/meters", response_model=AssignOut, dependencies=NEEDS)
def gateway_assign_json(body: AssignIn, user: CurrentUser, engine: EngineDep,
                        gateway_id: GatewayId) -> dict[str, Any]:
    """Assign meters, all or nothing (422 listing each refused row)."""
    items = [service.Assignment(m.code, m.institution, m.meter, row=n)
             for n, m in enumerate(body.meters, start=1)]
    return service.assign_meters(engine, user, gateway_id, items,
                                 file="meters" if len(items) > 1 else "",
                                 dry_run=body.dry_run)


@api.post("/gateways/{gateway_id}/meters/remove", response_model=UnassignOut,
          dependencies=NEEDS)
def gateway_unassign_json(body: UnassignIn, user: CurrentUser, engine: EngineDep,
                          gateway_id: GatewayId) -> dict[str, Any]:
    return service.unassign_meter(engine, user, gateway_id, body.code)
