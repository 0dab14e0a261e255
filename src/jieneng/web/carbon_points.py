"""The carbon-points ledger (碳普惠), issue 14 §6: ``/carbon/points`` — the staff
leaderboard (one institution or the whole scope), the institutions of the scope by total
and per-capita points, monthly totals, the rules with their sources and the import form;
its JSON twin ``/api/v1/carbon/points``, workbook ``/carbon/points.xlsx``, the import
``POST /carbon/points/import`` (and ``/api/v1/carbon/points/import``) and its template.
Services: :mod:`jieneng.services.carbon.points`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.ingest.carbon import template_csv
from jieneng.reports.carbon_document import points_xlsx
from jieneng.services.carbon.points import (
    import_points,
    leaderboards,
    rules_in_force,
    rules_table,
)
from jieneng.services.carbon.rules import rule_set_list
from jieneng.web.carbon_schemas import PointsImportOut, PointsOut
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["carbon"], responses=API_ERRORS)
PAGE = "carbon/points.html"
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$")]
InstitutionQ = Annotated[str, Query(max_length=18, pattern=r"^[0-9A-Za-z]{0,18}$")]
MonthQ = Annotated[str, Query(max_length=7, pattern=r"^(\d{4}-\d{2})?$")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$")]


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def points_data(engine: Engine, user: User, lang: str, *, region: str = "",
                institution: str = "", month: str = "", year: str = "") -> dict[str, Any]:
    """The leaderboards, monthly totals and the rules in force with their version and
    the versions loaded (page, twin and workbook)."""
    data = leaderboards(engine, user, region_code=region or None,
                        institution_code=institution or None, month=month or None,
                        year=int(year) if year else None)
    version, in_force = rules_in_force(engine)
    return {**data, "rules": rules_table(lang, in_force), "rule_version": version,
            "rule_sets": rule_set_list(engine)}


def _params(region: str, institution: str, month: str, year: str) -> dict[str, str]:
    return {"region": region, "institution": institution, "month": month, "year": year}


def _context(engine: Engine, user: User, lang: str, params: dict[str, str]
             ) -> dict[str, Any]:
    data = points_data(engine, user, lang, **params)
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return {"data": data, "params": params,
            "export_href": "/carbon/points.xlsx" + (f"?{query}" if query else "")}


@router.get("/carbon/points")
def points_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                institution: InstitutionQ = "", month: MonthQ = "", year: YearQ = ""
                ) -> Response:
    params = _params(region, institution, month, year)
    return render_page(request, PAGE, _context(engine, user, _lang(request), params))


@api.get("/carbon/points", response_model=PointsOut)
def points_json(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                institution: InstitutionQ = "", month: MonthQ = "", year: YearQ = ""
                ) -> dict[str, Any]:
    """Staff ranking (one institution when ``institution`` is given), the scope's
    institutions by total and per-capita points, monthly totals, and the rules."""
    return points_data(engine, user, _lang(request), region=region, institution=institution,
                       month=month, year=year)


@router.get("/carbon/points.xlsx")
def points_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                         region: RegionQ = "", institution: InstitutionQ = "",
                         month: MonthQ = "", year: YearQ = "") -> Response:
    lang = workbook_lang(request)
    data = points_data(engine, user, lang, region=region, institution=institution,
                       month=month, year=year)
    content = points_xlsx(data, lang=lang, notes=notes(
        engine, user, lang, count=len(data["staff"]), period=data["period"]["label"],
        filters=(("pages.region", region), ("carbon.web.col.institution", institution))))
    return xlsx_response(content, f"{text(lang, 'carbon.web.points_title')}.xlsx",
                         "carbon-points.xlsx")


@router.get("/carbon/points/template.csv")
def points_template(user: CurrentUser) -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''carbon-points-template.csv"})


def _import(engine: Any, user: User, name: str, content: bytes, dry_run: bool,
            default: str | None) -> Any:
    return saved_upload(name, content, lambda path: import_points(
        engine, user, path, dry_run=dry_run, max_bytes=len(content) + 1,
        default_factor_set=default))


@router.post("/carbon/points/import", dependencies=upload_requires(Capability.RECORD_CARBON))
async def points_import(request: Request, _size: SizeChecked, user: CurrentUser,
                        engine: EngineDep, settings: SettingsDep) -> Response:
    lang = _lang(request)
    context = await run_in_threadpool(_context, engine, user, lang, _params("", "", "", ""))
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        dry_run = fields.get("dry_run") == "1"
        report = await run_in_threadpool(_import, engine, user, name, content, dry_run,
                                         settings.factor_set)
        context["report"] = report.to_dict()
        context = {**context, **(await run_in_threadpool(
            _context, engine, user, lang, _params("", "", "", "")))}
    except ImportRejected as err:
        status = 422
        context["error"] = err.message(lang)
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, PAGE, context, err)
    return await run_in_threadpool(render_page, request, PAGE, context, status_code=status)


@api.post("/carbon/points/import", response_model=PointsImportOut,
          dependencies=upload_requires(Capability.RECORD_CARBON), openapi_extra=UPLOAD_BODY)
async def points_import_json(request: Request, _size: SizeChecked, user: CurrentUser,
                             engine: EngineDep, settings: SettingsDep,
                             dry_run: bool = False) -> dict[str, Any]:
    """Import ledger entries (.xlsx/.csv; all or nothing, 422 with every issue by row and
    column; entries already stored with the same quantity are skipped)."""
    content, name, _fields = await read_upload(request, settings)
    report = await run_in_threadpool(_import, engine, user, name, content, dry_run,
                                     settings.factor_set)
    return dict(report.to_dict())
