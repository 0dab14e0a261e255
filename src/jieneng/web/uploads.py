"""File uploads: the size checks before a body is read, the one reading of a
multipart form with its file, and the OpenAPI shape of an upload.

An upload is refused before its body is read when the declared size is over
``settings.max_upload_bytes`` (413; 411 without a declared size), and before it is
parsed when its name is not ``.xlsx`` or ``.csv`` (415). Used by the import and the
targets/quotas features; ``web.limits`` asks :func:`check_declared_size` which
routes are uploads.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import UploadFile

from jieneng.core.permissions import Capability
from jieneng.core.text import has_control
from jieneng.settings import Settings
from jieneng.web.deps import get_settings, requires
from jieneng.web.limits import ControlCharacter

T = TypeVar("T")
ALLOWED_SUFFIXES = (".xlsx", ".csv")
#: Room for the multipart envelope around the file [bytes].
ENVELOPE_BYTES = 64 * 1024

#: ``openapi_extra`` of an upload route: a multipart body with one ``file``
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": ".xlsx or .csv"}},
        }}},
    }
}


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


def safe_name(name: str | None) -> str:
    """The file's base name, without path parts or control characters."""
    base = Path((name or "upload").replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f/]", "_", base)[:120] or "upload"


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
    file = safe_name(name)
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
            415, f"只接受 .xlsx 或 .csv 文件：{safe_name(upload.filename)} / "
                 "only .xlsx or .csv files are accepted")
    if upload.size is not None and upload.size > settings.max_upload_bytes:
        _too_large(settings, upload.filename)


def saved_upload(name: str, content: bytes, run: Callable[[Path], T]) -> T:
    """``run(path)`` on the upload written to a private temporary file named like it
    (:func:`safe_name`); the file is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="jieneng-upload-") as folder:
        path = Path(folder) / safe_name(name)
        path.write_bytes(content)
        return run(path)
