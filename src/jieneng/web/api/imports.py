"""JSON twin of the import page: ``POST /api/v1/imports?kind=&dry_run=`` with a
multipart ``file`` (.xlsx or .csv). A file with errors is answered 422
``import_rejected`` with every issue in ``details.issues``; nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from jieneng.core.permissions import Capability
from jieneng.services.entry.imports import ImportKind
from jieneng.web.deps import EngineDep, SettingsDep, WriterUser
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.imports import SizeChecked, read_upload, run_import, upload_requires

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=API_ERRORS)

_UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": ".xlsx or .csv"}},
        }}},
    }
}


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


@router.post("/imports", dependencies=upload_requires(Capability.IMPORT_DATA),
             openapi_extra=_UPLOAD, response_model=ImportReportOut,
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
