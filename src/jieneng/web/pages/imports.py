"""Spreadsheet import (数据导入): the upload page, template downloads and the
validation report.

An upload is refused before its body is read when the declared size is over
``settings.max_upload_bytes`` (413), and before it is parsed when its name is
not ``.xlsx`` or ``.csv`` (415). The file then goes to
:func:`jieneng.services.entry.imports.import_for_scope`, which stores nothing unless the
whole file is clean; a rejected file's issues (file, sheet, row, column, value,
problem in Chinese and English) are shown in the page as a table.

JSON twin: ``POST /api/v1/imports?kind=&dry_run=`` (:mod:`jieneng.web.api.imports`).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.permissions import Capability, require
from jieneng.core.text import has_control
from jieneng.ingest.templates import TEMPLATE_KINDS, write_template
from jieneng.services.accounts.users import User
from jieneng.services.entry.imports import ImportKind, ImportReport, import_for_scope
from jieneng.settings import Settings
from jieneng.web.deps import EngineDep, SettingsDep, WriterUser, get_settings, requires
from jieneng.web.errors import lang_of, status_of
from jieneng.web.i18n import domain_lang
from jieneng.web.limits import ControlCharacter
from jieneng.web.pages.common import page

router = APIRouter(include_in_schema=False)

ALLOWED_SUFFIXES = (".xlsx", ".csv")
#: Room for the multipart envelope around the file [bytes].
ENVELOPE_BYTES = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_declared_size(request: Request) -> None:
    """413 before the body is read when Content-Length is over the limit; 411
    without a Content-Length (a streamed body of unknown size)."""
    settings = get_settings(request)
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise HTTPException(411, "上传须声明 Content-Length / Content-Length required")
    if int(declared) > settings.max_upload_bytes + ENVELOPE_BYTES:
        raise HTTPException(
            413, f"文件超过上限 {settings.max_upload_bytes} 字节 / "
                 f"file over the limit of {settings.max_upload_bytes} bytes")


#: A dependency that runs before the session check (which reads the form).
SizeChecked = Annotated[None, Depends(check_declared_size)]


def upload_requires(capability: Capability) -> list[Any]:
    """An upload route's dependencies: the declared size first (before the session's
    CSRF check reads the form), then the route's capability."""
    return [Depends(check_declared_size), requires(capability)]


def _safe_name(name: str | None) -> str:
    """The file's base name, without path parts or control characters."""
    base = Path((name or "upload").replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f/]", "_", base)[:120] or "upload"


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


async def read_upload(request: Request, settings: Settings) -> tuple[bytes, str, dict[str, str]]:
    """The uploaded file's bytes and name and the other form fields; 415/413/422
    for a bad upload. The parsed form is closed (its spooled file removed)."""
    form = await request.form(max_files=1, max_fields=20)
    try:
        upload = form.get("file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if any(has_control(value) for value in fields.values()):
            raise ControlCharacter  # web.limits checks every other form, not multipart
        _check_upload(upload, settings)
        assert isinstance(upload, UploadFile)
        content = await upload.read(settings.max_upload_bytes + 1)
        if len(content) > settings.max_upload_bytes:
            _too_large(settings, upload.filename)
        return content, upload.filename or "upload", fields
    finally:
        await form.close()


def _too_large(settings: Settings, name: str | None) -> None:
    limit = _size_text(settings.max_upload_bytes)
    file = _safe_name(name)
    raise HTTPException(
        413, f"文件“{file}”超过 {limit} 的上限 / {file!r} is over the limit of {limit}")


def _size_text(size: int) -> str:
    """``50 MB`` (whole megabytes) or ``1500 字节 bytes``."""
    mib = 1024 * 1024
    return f"{size // mib} MB" if size % mib == 0 else f"{size} bytes"


def _check_upload(upload: object, settings: Settings) -> None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, "请选择要上传的文件 / choose a file to upload")
    if not upload.filename.lower().endswith(ALLOWED_SUFFIXES):
        raise HTTPException(
            415, f"只接受 .xlsx 或 .csv 文件：{_safe_name(upload.filename)} / "
                 "only .xlsx or .csv files are accepted")
    if upload.size is not None and upload.size > settings.max_upload_bytes:
        _too_large(settings, upload.filename)


def run_import(
    engine: Engine, user: User, settings: Settings, kind: str, name: str, content: bytes,
    dry_run: bool,
) -> ImportReport:
    """Import ``content`` as ``kind`` within the caller's scope (all or nothing)."""
    if kind in KIND_CAPABILITY:
        require(user, KIND_CAPABILITY[kind])
    with tempfile.TemporaryDirectory(prefix="jieneng-upload-") as folder:
        path = Path(folder) / _safe_name(name)
        path.write_bytes(content)
        return import_for_scope(engine, user.scope, kind, path, dry_run,
                                max_bytes=settings.max_upload_bytes, actor=user.actor)


@router.get("/import")
def import_page(request: Request, user: WriterUser) -> Response:
    return page(request, "pages/import.html", {
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
            raise HTTPException(422, f"未知的导入类型 / unknown import kind: {kind[:40]}")
        report = await run_in_threadpool(run_import, engine, user, settings, kind, name,
                                         content, fields.get("dry_run") == "1")
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues]
    except DomainError as err:
        status = status_of(err)
        context["error"] = err.message(domain_lang(lang_of(request)))
    except HTTPException as err:
        status = err.status_code
        context["error"] = str(err.detail)
    return await run_in_threadpool(page, request, "pages/import.html", context,
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
