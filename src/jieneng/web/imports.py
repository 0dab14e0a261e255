"""Spreadsheet import (数据导入): the upload page, template downloads and the
validation report.

An upload is checked by :mod:`jieneng.web.uploads` (size, name). The file then goes to
:func:`jieneng.services.entry.imports.import_for_scope`, which stores nothing unless the
whole file is clean; a rejected file's issues (file, sheet, row, column, value,
problem in Chinese and English) are shown in the page as a table.

JSON twin: ``POST /api/v1/imports?kind=&dry_run=`` with a multipart ``file``. A
file with errors is answered 422 ``import_rejected`` with every issue in
``details.issues``; nothing is stored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.ingest.templates import TEMPLATE_KINDS, write_template
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
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err)
    return await run_in_threadpool(page, request, TEMPLATE, context,
                                   status_code=status)


@router.get("/import/template/{kind}")
def import_template(
    kind: Annotated[str, PathParam(pattern=r"^[a-z-]{1,30}$")], user: WriterUser,
) -> Response:
    """The import template of ``kind`` (.xlsx with a 说明 sheet)."""
    if kind not in TEMPLATE_KINDS:
        raise HTTPException(404)
    with tempfile.TemporaryDirectory(prefix="jieneng-template-") as folder:
        content = write_template(kind, Path(folder) / f"{kind}.xlsx").read_bytes()
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
    report = await run_in_threadpool(run_import, engine, user, settings, kind.value, name,
                                     content, dry_run)
    return report.to_dict()
