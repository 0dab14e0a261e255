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

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from jieneng.core.exceptions import ImportRejected, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.text import has_control
from jieneng.settings import Settings
from jieneng.web.deps import get_settings, requires
from jieneng.web.errors import lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.limits import BodyTooLarge, ControlCharacter, too_large

T = TypeVar("T")
ALLOWED_SUFFIXES = (".xlsx", ".csv")


class LengthRequired(ValidationFailed):
    """An upload without a declared size (HTTP 411)."""

    http_status = 411


class UnsupportedUpload(ValidationFailed):
    """An upload that is not ``.xlsx`` or ``.csv`` (HTTP 415)."""

    http_status = 415

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
        raise LengthRequired.of("uploads.length_required")
    if int(declared) > settings.max_upload_bytes + ENVELOPE_BYTES:
        raise too_large(settings.max_upload_bytes)


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
            # web.limits checks every other form, not multipart
            raise ControlCharacter.of("control_character")
        _check_upload(upload, settings)
        assert isinstance(upload, UploadFile)
        content = await upload.read(settings.max_upload_bytes + 1)
        if len(content) > settings.max_upload_bytes:
            _too_large(settings, upload.filename)
        return content, upload.filename or "upload", fields
    finally:
        await form.close()


def _too_large(settings: Settings, name: str | None) -> None:
    size = settings.max_upload_bytes
    mib = 1024 * 1024
    if size % mib == 0:
        raise BodyTooLarge.of("uploads.file_over_mb", file=safe_name(name), limit=size,
                              megabytes=size // mib)
    raise BodyTooLarge.of("uploads.file_over_bytes", file=safe_name(name), limit=size)


def _check_upload(upload: object, settings: Settings) -> None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed.of("uploads.no_file", field="file")
    if not upload.filename.lower().endswith(ALLOWED_SUFFIXES):
        raise UnsupportedUpload.of("uploads.unsupported_type", file=safe_name(upload.filename))
    if upload.size is not None and upload.size > settings.max_upload_bytes:
        _too_large(settings, upload.filename)


def saved_upload(name: str, content: bytes, run: Callable[[Path], T]) -> T:
    """``run(path)`` on the upload written to a private temporary file named like it
    (:func:`safe_name`); the file is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="jieneng-upload-") as folder:
        path = Path(folder) / safe_name(name)
        path.write_bytes(content)
        return run(path)


def rejected(request: Request, err: ImportRejected, *, limit: int = 200) -> dict[str, Any]:
    """A load form's refusal for its page: the message in the request's language
    (``error``) and the first ``limit`` issues by sheet, row and column (``issues``,
    shown by ``templates/_load_issues.html``)."""
    return {"error": err.message(domain_lang(lang_of(request))),
            "issues": [i.to_dict() for i in err.issues[:limit]]}
