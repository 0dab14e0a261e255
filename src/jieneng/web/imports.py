"""Spreadsheet import (数据导入): the upload page, template downloads and the
validation report.

An upload is checked by :mod:`jieneng.web.uploads` (size, name). The file then goes to
:func:`jieneng.services.entry.imports.import_for_scope`, which stores nothing unless the
whole file is clean; a rejected file's issues (file, sheet, row, column, value,
problem in Chinese and English) are shown in the page as a table.

JSON twin: ``POST /api/v1/imports?kind=&dry_run=`` with a multipart ``file``. A
file with errors is answered 422 ``import_rejected``; nothing is stored.
``details.issues`` lists the first 200 errors, ``details.total`` counts them all,
``details.by_code`` / ``details.by_column`` count them by kind and by column, and
``details.report_url`` is the full error report (.xlsx) of every issue, kept for the
uploader (:mod:`jieneng.services.entry.error_reports`): ``GET
/import/errors/{report}`` shows the summary again (twin ``GET
/api/v1/import/errors/{report}``), ``GET /api/v1/import/errors/{report}.xlsx``
downloads it (the page's session or a bearer token).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.messages import text as message_text
from jieneng.core.permissions import Capability, require
from jieneng.ingest.templates import TEMPLATE_KINDS, write_template
from jieneng.services.directory.directory import search_institutions
from jieneng.services.entry import error_reports
from jieneng.services.entry.imports import ImportKind, ImportReport, import_for_scope
from jieneng.settings import Settings
from jieneng.web.common import page
from jieneng.web.deps import EngineDep, SettingsDep, WriterUser
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    safe_name,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["imports"], responses=API_ERRORS)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = "pages/import.html"


#: what importing each kind of file needs (the scope then decides which rows may be written)
KIND_CAPABILITY: dict[str, Capability] = {
    ImportKind.REGIONS.value: Capability.IMPORT_REGIONS,
    ImportKind.INSTITUTIONS.value: Capability.IMPORT_DIRECTORY,
    ImportKind.PROFILES.value: Capability.IMPORT_DATA,
    ImportKind.CONSUMPTION.value: Capability.IMPORT_DATA,
}


def _kinds(user: User) -> list[str]:
    """The kinds of file the caller may import (the form offers only these)."""
    return [kind for kind, needs in KIND_CAPABILITY.items() if user.can(needs)]


def run_import(
    engine: Engine, user: User, settings: Settings, kind: str, name: str, content: bytes,
    dry_run: bool,
) -> ImportReport:
    """Import ``content`` as ``kind`` within the caller's scope (all or nothing)."""
    if kind in KIND_CAPABILITY:
        require(user, KIND_CAPABILITY[kind])
    with tempfile.TemporaryDirectory(prefix="jieneng-upload-") as folder:
        path = Path(folder) / safe_name(name)
        path.write_bytes(content)
        return import_for_scope(engine, user.scope, kind, path, dry_run,
                                max_bytes=settings.max_upload_bytes, actor=user.actor)


@router.get("/import")
def import_page(request: Request, user: WriterUser) -> Response:
    return page(request, TEMPLATE, {
        "kinds": _kinds(user), "template_kinds": TEMPLATE_KINDS, "kind": "consumption",
    })


@router.post("/import", dependencies=upload_requires(Capability.IMPORT_DATA))
async def import_upload(
    request: Request, _size: SizeChecked, user: WriterUser, engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    context: dict[str, Any] = {"kinds": _kinds(user), "template_kinds": TEMPLATE_KINDS}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        kind = fields.get("kind", "")
        context["kind"] = kind
        if kind not in KIND_CAPABILITY:
            raise ValidationFailed.of("imports.unknown_kind", kind=kind[:40], field="kind")
        report = await run_in_threadpool(run_import, engine, user, settings, kind, name,
                                         content, fields.get("dry_run") == "1")
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        await run_in_threadpool(keep_report, err, user, settings)
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues]
        context["summary"] = err.details
    except DomainError as err:
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err)
    return await run_in_threadpool(page, request, TEMPLATE, context,
                                   status_code=status)


@router.get("/import/template/{kind}")
def import_template(
    kind: Annotated[str, PathParam(pattern=r"^[a-z-]{1,30}$")], user: WriterUser,
    engine: EngineDep,
) -> Response:
    """The import template of ``kind`` (.xlsx with a 说明 sheet); its example rows name
    the downloader's own units (the first two active ones of its scope)."""
    if kind not in TEMPLATE_KINDS:
        raise HTTPException(404)
    own = search_institutions(engine, user.scope, status="active", per_page=2)["items"]
    units = [(str(i["credit_code"]), str(i["name"])) for i in own]
    with tempfile.TemporaryDirectory(prefix="jieneng-template-") as folder:
        content = write_template(kind, Path(folder) / f"{kind}.xlsx", units=units).read_bytes()
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="jieneng-{kind}-template.xlsx"'})


# ---------------------------------------------------------------- JSON twin
class ImportIssueOut(BaseModel):
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    severity: str
    message_zh: str
    message_en: str


class ImportReportOut(BaseModel):
    kind: str
    file: str
    format: str
    rows_read: int
    records: int
    dry_run: bool
    counts: dict[str, int] = Field(description="stored rows per table")
    warnings: list[ImportIssueOut]
    batch_id: int | None


@api.post("/imports", dependencies=upload_requires(Capability.IMPORT_DATA),
             openapi_extra=UPLOAD_BODY, response_model=ImportReportOut,
             responses={411: API_ERRORS[422], 413: API_ERRORS[422], 415: API_ERRORS[422]})
async def imports(
    request: Request, _size: SizeChecked, user: WriterUser, engine: EngineDep,
    settings: SettingsDep,
    kind: Annotated[ImportKind, Query(description="导入内容 what the file holds")],
    dry_run: Annotated[bool, Query(description="validate only, store nothing")] = False,
) -> dict[str, Any]:
    """Validate and (unless ``dry_run``) store a file, all or nothing, within my scope."""
    content, name, _fields = await read_upload(request, settings)
    try:
        report = await run_in_threadpool(run_import, engine, user, settings, kind.value,
                                         name, content, dry_run)
    except ImportRejected as err:
        await run_in_threadpool(keep_report, err, user, settings)
        raise
    return report.to_dict()


def keep_report(err: ImportRejected, user: User, settings: Settings) -> None:
    """Keep the issues of a rejected file for its uploader (at most
    ``settings.import_report_max_rows``); its addresses go into the refusal's details
    (``report``, ``report_url``: the download, for the session of the page and a
    bearer token alike) with how many it lists and leaves out."""
    if err.report is None:
        return
    limit = settings.import_report_max_rows
    token = error_reports.keep(err.report, user.id, max_rows=limit)
    err.details["report"] = token
    err.details["report_url"] = _report_url(token)
    err.details["report_listed"] = min(err.report.height, limit)
    err.details["report_more"] = max(err.report.height - limit, 0)


def _report_url(token: str) -> str:
    return f"/api/v1/import/errors/{token}.xlsx"


Token = Annotated[str, PathParam(max_length=80, description="the report's token")]


@api.get("/import/errors/{report}.xlsx", response_class=Response,
         responses={200: {"content": {XLSX: {}}, "description": "the error report"}})
def import_errors_xlsx(request: Request, report: Token, user: WriterUser) -> Response:
    """Every issue of a rejected file as a workbook (headers in the page's language)."""
    table = error_reports.load(report, user.id)
    content = error_reports.report_xlsx(table, domain_lang(lang_of(request)))
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": attachment(error_reports.report_name(table))})


@router.get("/import/errors/{report}")
def import_errors_page(request: Request, report: Token, user: WriterUser) -> Response:
    """The summary of a rejected file again: the first errors, the counts, the report."""
    summary = error_reports.summary(error_reports.load(report, user.id))
    return page(request, TEMPLATE, {
        "kinds": _kinds(user), "template_kinds": TEMPLATE_KINDS, "kind": "consumption",
        "rejected": message_text(domain_lang(lang_of(request)), "pages.import.errors_of",
                                 file=summary["file"], count=summary["total"]),
        "issues": summary["issues"],
        "summary": {**summary, "report": report, "report_url": _report_url(report)},
    })


def attachment(name: str) -> str:
    """A Content-Disposition naming ``name`` (RFC 6266: an ASCII fallback and UTF-8)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


class ImportErrorsOut(BaseModel):
    file: str = Field(description="the file the issues were found in")
    total: int = Field(description="errors found")
    warnings: int = Field(description="warnings found")
    shown: int = Field(description="issues listed in issues (the first, errors first)")
    by_code: dict[str, int] = Field(description="errors per issue code (kind)")
    by_column: dict[str, int] = Field(description="errors per column as headed in the file")
    issues: list[ImportIssueOut]
    report_listed: int = Field(description="issues the workbook lists (errors first, by row)")
    report_more: int = Field(description="issues of the file the workbook leaves out "
                             "(over the report's bound; the counts above are of all)")
    report_url: str = Field(description="the issues as a workbook (.xlsx)")


@api.get("/import/errors/{report}", response_model=ImportErrorsOut)
def import_errors(report: Token, user: WriterUser) -> dict[str, Any]:
    """The summary of a file I uploaded that was rejected: the first errors, the counts
    by kind and by column, and the address of the full report."""
    summary = error_reports.summary(error_reports.load(report, user.id))
    return {**summary, "report_url": _report_url(report)}
