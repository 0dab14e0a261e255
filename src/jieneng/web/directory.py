"""The institution directory (名录库): search with filters, and one institution's
profile history with its 36-month series per carrier.

JSON twins: ``/api/v1/institutions`` (paginated search) and
``/api/v1/institutions/{credit_code}`` (profile history and monthly series), built by
the same ``*_data`` functions. An institution outside the caller's scope
is 404 (the services raise NotFound).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.categories import CATEGORIES
from jieneng.core.listing import Column, pick
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.directory import directory
from jieneng.settings import Settings
from jieneng.web.common import CategoryQ, CreditCode, RegionQ, blank, page, previous_month
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import every_page, export_url, notes, workbook_lang, xlsx_response

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["institutions"], responses=API_ERRORS)

PER_PAGE = 50
QQ = Annotated[str | None, Query(max_length=100, description="名称片段或信用代码开头 name or code")]
DepartmentQ = Annotated[str | None, Query(
    max_length=18, description="主管部门统一社会信用代码 competent department")]
StatusQ = Annotated[Literal["active", "closed", ""] | None, Query(description="状态 status")]
PageNoQ = Annotated[int, Query(alias="page", ge=1, le=100_000, description="页码 page")]

#: The directory's columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "pages.credit_code", "code"),
    Column("name", "pages.institution"),
    Column("region_code", "export.col.region_code", "code"),
    Column("region_name", "pages.region"),
    Column("category", "export.col.category_code", "code"),
    Column("category_label", "pages.category"),
    Column("department_name", "pages.department"),
    Column("key_energy_user", "pages.key_energy_user", "bool"),
    Column("profile_year", "export.col.profile_year", "code"),
    Column("occupants", "pages.occupants", "int"),
    Column("floor_area_m2", "pages.floor_area", "number", decimals=0),
    Column("status_label", "pages.status"),
)


#: the page's table: some of the export's columns (the same header and formats)
PAGE_COLUMNS = pick(COLUMNS, "name", "credit_code", "region_name", "category_label",
                    "department_name", "occupants", "floor_area_m2", "status_label")


def _row(item: dict[str, Any], lang: str) -> dict[str, Any]:
    """A directory entry as a row of the page and of the workbook."""
    return {**item, "category_label": item["category_name_en"] if lang == "en"
            else item["category_name"],
            "status_label": text(lang, f"pages.status.{item['status']}")}


def search_data(
    engine: Engine, user: User, *, q: str | None, region: str | None, category: str | None,
    department: str | None, status: str | None, page_no: int, per_page: int,
) -> dict[str, Any]:
    """The directory search of the page and of ``/api/v1/institutions``."""
    return directory.search_institutions(
        engine, user.scope, q=blank(q), region_code=blank(region), category=blank(category),
        department_code=blank(department), status=blank(status), page=page_no,
        per_page=per_page,
    )


def detail_data(engine: Engine, user: User, settings: Settings, credit_code: str
                ) -> dict[str, Any]:
    return directory.institution_detail(engine, user.scope, credit_code,
                                        default_factor_set=settings.factor_set)


@router.get("/directory")
def directory_alias(request: Request, user: CurrentUser) -> Response:
    """The navigation's name for the directory."""
    query = request.url.query
    return RedirectResponse("/institutions" + (f"?{query}" if query else ""), status_code=307)


@router.get("/institutions")
def institutions_page(
    request: Request, user: CurrentUser, engine: EngineDep,
    q: QQ = None, region: RegionQ = None, category: CategoryQ = None,
    department: DepartmentQ = None, status: StatusQ = None, page_no: PageNoQ = 1,
) -> Response:
    data = search_data(engine, user, q=q, region=region, category=category,
                       department=department, status=status, page_no=page_no,
                       per_page=PER_PAGE)
    form = {"q": q or "", "region": region or "", "category": category or "",
            "department": department or "", "status": status or ""}
    lang = workbook_lang(request)
    context = {"data": data, "categories": CATEGORIES, "form": form,
               "columns": PAGE_COLUMNS, "rows": [_row(it, lang) for it in data["items"]],
               "export_href": export_url(user, "/institutions.xlsx", form)}
    if request.headers.get("hx-request") == "true" and request.headers.get(
            "hx-target") == "results":
        response = page(request, "pages/_institution_rows.html", context)
        query = request.url.query
        response.headers["HX-Push-Url"] = "/institutions" + (f"?{query}" if query else "")
        return response
    return page(request, "pages/institutions.html", context)


@router.get("/institutions.xlsx")
def institutions_xlsx(
    request: Request, user: CurrentUser, engine: EngineDep,
    q: QQ = None, region: RegionQ = None, category: CategoryQ = None,
    department: DepartmentQ = None, status: StatusQ = None,
) -> Response:
    """The directory search as a workbook: every entry matching the filters."""
    lang = workbook_lang(request)
    items = every_page(lambda n, size: search_data(
        engine, user, q=q, region=region, category=category, department=department,
        status=status, page_no=n, per_page=size), 1000)
    rows = [_row(it, lang) for it in items]
    title = text(lang, "pages.directory.title")
    sheet = Sheet(title, title, COLUMNS, rows, notes=notes(
        engine, user, lang, count=len(rows), filters=(
            ("pages.directory.q", blank(q)), ("pages.region", blank(region)),
            ("pages.category", blank(category)), ("pages.department", blank(department)),
            ("pages.status", blank(status)))))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "institutions.xlsx")


@router.get("/institutions/{credit_code}")
def institution_page(
    request: Request, credit_code: CreditCode, user: CurrentUser, engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    data = detail_data(engine, user, settings, credit_code)
    year, month = previous_month()
    return page(request, "pages/institution.html",
                {"data": data, "entry_year": year, "entry_month": month})


# ---------------------------------------------------------------- JSON twin
class DirectoryEntryOut(BaseModel):
    institution_id: int
    credit_code: str
    name: str
    region_code: str
    region_name: str
    category: str
    category_name: str
    category_name_en: str
    department_id: int | None
    department_code: str | None
    department_name: str | None
    key_energy_user: bool
    status: str
    profile_year: int | None
    occupants: int | None
    floor_area_m2: float | None


class DirectoryFiltersOut(BaseModel):
    q: str | None
    region_code: str | None
    category: str | None
    department_code: str | None
    status: str | None


class InstitutionsOut(BaseModel):
    items: list[DirectoryEntryOut]
    page: int
    per_page: int
    total: int
    filters: DirectoryFiltersOut


@api.get("/institutions", response_model=InstitutionsOut)
def institutions(
    user: CurrentUser, engine: EngineDep,
    q: QQ = None, region: RegionQ = None, category: CategoryQ = None,
    department: DepartmentQ = None, status: StatusQ = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="页码 page")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="每页条数")] = 50,
) -> dict[str, Any]:
    """Directory entries in my scope matching every filter:
    ``{"items", "page", "per_page", "total", "filters"}``."""
    return search_data(engine, user, q=q, region=region, category=category,
                       department=department, status=status, page_no=page, per_page=per_page)


class ProfileOut(BaseModel):
    """One year of the institution's profile (NY101)."""

    year: int
    occupants: int | None = Field(description="用能人数")
    staff_quota: int | None = Field(description="编制人数")
    floor_area_m2: float | None = Field(description="建筑面积 [m²]")
    heated_area_m2: float | None = Field(description="供暖面积 [m²]")
    vehicles_gasoline: int | None = Field(description="汽油车 vehicles")
    vehicles_diesel: int | None = Field(description="柴油车 vehicles")
    vehicles_nev: int | None = Field(description="新能源车 vehicles")
    import_id: int | None = Field(description="the import that wrote it")


class CarrierSeriesOut(BaseModel):
    """A carrier's monthly figures, aligned with ``series.months`` (None: not reported)."""

    carrier: str
    name_zh: str
    name_en: str
    unit: str = Field(description="canonical unit")
    quantity: list[float | None]
    cost_yuan: list[float | None] = Field(description="费用 [元]")


class SeriesOut(BaseModel):
    """The monthly series of the last years with data."""

    years: list[int]
    months: list[str] = Field(description="month labels, 12 per year", examples=[["2024-01"]])
    carriers: list[CarrierSeriesOut]
    energy_tce: list[float | None] = Field(description="能源消费总量 per month [tce]")
    factor_set: str = Field(description="系数集 of the energy figures")


class RecordCountsOut(BaseModel):
    records: int = Field(description="current figures")
    revisions: int = Field(description="corrections ever made (revision ≥ 2)")
    rows: int = Field(description="every stored row")


class InstitutionOut(BaseModel):
    """One institution (:func:`jieneng.services.directory.directory.institution_detail`)."""

    entry: DirectoryEntryOut
    profiles: list[ProfileOut] = Field(description="every year of NY101, oldest first")
    series: SeriesOut
    records: RecordCountsOut


@api.get("/institutions/{credit_code}", response_model=InstitutionOut)
def institution(
    credit_code: CreditCode, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
) -> dict[str, Any]:
    """One institution: entry, profile history (NY101 by year) and the monthly
    series of the last three years with data, per carrier."""
    return detail_data(engine, user, settings, credit_code)
