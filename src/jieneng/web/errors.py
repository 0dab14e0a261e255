"""One error shape for the whole web layer.

API requests (paths under ``/api/``) get
``{"error": {"code", "kind", "message", "details"}}`` with the message in the
request's language; HTML requests get ``error.html``. Never a traceback.

``code`` is specific and stable: a domain refusal's own code from the message
catalogue (``accounts.username_taken``, ``capability_required``; listed in
``docs/messages.md``), else the code below. ``kind`` is the general class a client
may branch on (the code below: ``validation_failed``, ``not_found`` …; for the
errors that are not domain refusals it equals ``code``).

=========================== ====== =====================================
exception                   status kind
=========================== ====== =====================================
ImportRejected              422    import_rejected (details.issues)
ValidationFailed (+ kids)   422    validation_failed
NotFound                    404    not_found
Conflict                    409    conflict
NotPermitted (+ kids)       403    not_permitted
other DomainError           400    domain_error
RequestValidationError      422    invalid_request (details: pydantic errors)
HTTPException 401/404/405…  same   not_authenticated, not_found, method_not_allowed
LoginRequired               401    not_authenticated (HTML: redirect to /login)
(rate limiter, web.app)     429    rate_limited (details.retry_after, Retry-After)
IntegrityError, PostgreSQL  409    conflict (a simultaneous change: reload)
serialization / deadlock
database unavailable        503    database_unavailable (details.retry_after,
                                   Retry-After): connection refused or lost,
                                   SQLite still locked after its busy timeout,
                                   pool exhausted, lock or statement timeout
anything else               500    internal_error
=========================== ====== =====================================

The database errors are told apart by :func:`database_status`; their messages
are the catalogue's, never the driver's text (which goes to the server log).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from jieneng.core.exceptions import (
    Conflict,
    DomainError,
    ImportRejected,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from jieneng.storage.engine import database_trouble
from jieneng.web.i18n import domain_lang, negotiate, translate
from jieneng.web.templating import render

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (ImportRejected, 422),
    (ValidationFailed, 422),
    (NotFound, 404),
    (Conflict, 409),
    (NotPermitted, 403),
    (DomainError, 400),
)

HTTP_CODES: dict[int, str] = {
    400: "bad_request", 401: "not_authenticated", 403: "not_permitted", 404: "not_found",
    405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "too_many_requests",
}


#: Seconds a client is asked to wait (``Retry-After``) while the database is unavailable.
DATABASE_RETRY_AFTER = 5


class LoginRequired(Exception):
    """No valid session or token: 401 for the API, a redirect to /login for pages."""


class ErrorDetail(BaseModel):
    #: the specific stable code (``docs/messages.md``)
    code: str
    #: the general class: ``validation_failed``, ``not_found``, ``conflict``, ``not_permitted`` …
    kind: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """The one error shape: ``{"error": {"code", "kind", "message", "details"}}``."""

    error: ErrorDetail


#: ``responses=`` of every JSON router: the error shape in the OpenAPI document, for
#: each status a route may answer with (see the table above): 401 no session or token,
#: 403 not permitted, 404 not found or outside the scope, 409 a conflict (a stale
#: version, a locked year, a simultaneous change in the database), 422 refused input,
#: 429 over the token's rate limit (with ``Retry-After``), 503 the database unreachable
#: or too busy (with ``Retry-After``)
API_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 409, 422, 429, 503)
}


def database_status(exc: BaseException) -> int | None:
    """409 for a change that collided with a simultaneous one, 503 for a database
    that is unreachable or too busy (:func:`jieneng.storage.engine.database_trouble`),
    None for any other error (a bug: 500)."""
    return {"conflict": 409, "unavailable": 503, None: None}[database_trouble(exc)]


def status_of(exc: DomainError) -> int:
    """The status of a domain refusal: its class's in :data:`STATUS`, unless a web
    refusal names its own (``http_status``: 413 for a body over its limit, 415 …)."""
    own = getattr(exc, "http_status", None)
    if isinstance(own, int):
        return own
    return next(status for cls, status in STATUS if isinstance(exc, cls))


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def lang_of(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    return lang if isinstance(lang, str) else negotiate(request)


def error_body(
    code: str, message: str, details: Any = None, kind: str | None = None
) -> dict[str, Any]:
    """The error shape; ``kind`` defaults to ``code`` (an error with no finer code)."""
    return {"error": {"code": code, "kind": kind or code, "message": message,
                      "details": details}}


def _jsonable(value: Any) -> Any:
    try:
        return jsonable_encoder(value, custom_encoder={Exception: str})
    except (TypeError, ValueError):  # something without a JSON form: its text
        return str(value)


async def _respond(
    request: Request, status: int, code: str, message: str, details: Any = None,
    headers: dict[str, str] | None = None, kind: str | None = None,
) -> Response:
    if is_api(request):
        return JSONResponse(
            error_body(code, message, _jsonable(details), kind), status_code=status,
            headers=headers,
        )
    context = {"status": status, "code": code, "message": message, "details": details}
    return await run_in_threadpool(
        render, request, "error.html", context, status_code=status, headers=headers
    )


def _details(exc: DomainError) -> Any:
    if isinstance(exc, ImportRejected):
        # the first issues, and with many: their total, counts by kind and column and
        # the full report's address (web.imports)
        summary = {k: v for k, v in exc.details.items()
                   if k in ("total", "shown", "by_code", "by_column", "report", "report_url",
                            "report_listed", "report_more")}
        return {**summary, "issues": [
            issue.to_dict() if hasattr(issue, "to_dict")
            else issue if isinstance(issue, dict) else str(issue)
            for issue in exc.issues
        ]}
    return dict(exc.details) or None


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    message = exc.message(domain_lang(lang_of(request)))
    return await _respond(request, status_of(exc), exc.code, message, _details(exc),
                          kind=exc.kind)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    lang = lang_of(request)
    key = f"error.{code}"
    message = translate(lang, key)
    if message == key:
        message = str(exc.detail)
    return await _respond(request, exc.status_code, code, message, None,
                          headers=dict(exc.headers or {}) or None)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    lang = lang_of(request)
    return await _respond(request, 422, "invalid_request",
                          translate(lang, "error.invalid_request"), details)


async def login_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return JSONResponse(
            error_body("not_authenticated", translate(lang_of(request), "error.not_authenticated")),
            status_code=401, headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = "&expired=1" if getattr(request.state, "session_expired", False) else ""
    return RedirectResponse(f"/login?next={quote(target, safe='')}{expired}", status_code=303)


async def rate_limited(request: Request, retry_after: int) -> Response:
    """429 ``rate_limited`` with ``details.retry_after`` [s] and a ``Retry-After`` header."""
    message = translate(lang_of(request), "error.rate_limited", seconds=retry_after)
    return await _respond(request, 429, "rate_limited", message, {"retry_after": retry_after},
                          headers={"Retry-After": str(retry_after)})


async def database_error(request: Request, exc: Exception) -> Response:
    """409 ``conflict`` or 503 ``database_unavailable`` (see :func:`database_status`);
    any other database error is an internal error."""
    status = database_status(exc)
    if status is None:
        return await internal_error(request, exc)
    lang = lang_of(request)
    cause = exc.orig if isinstance(exc, DBAPIError) else exc  # not the SQL and its parameters
    log.warning("database %s on %s %s: %s: %s", "conflict" if status == 409 else "unavailable",
                request.method, request.url.path, type(cause).__name__,
                str(cause).strip().replace("\n", " "))
    if status == 409:
        return await _respond(request, 409, "conflict", translate(lang, "error.conflict"))
    seconds = DATABASE_RETRY_AFTER
    return await _respond(request, 503, "database_unavailable",
                          translate(lang, "error.database_unavailable", seconds=seconds),
                          {"retry_after": seconds}, headers={"Retry-After": str(seconds)})


async def internal_error(request: Request, exc: Exception) -> Response:
    if database_status(exc) is not None:  # raised outside the routes (a middleware)
        return await database_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return await _respond(request, 500, "internal_error",
                          translate(lang_of(request), "error.internal_error"))


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PoolTimeoutError, database_error)
    app.add_exception_handler(Exception, internal_error)
