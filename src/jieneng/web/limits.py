"""Guards on every request, before a route (or the sign-in check) reads it.

:class:`RequestGuard`, a pure ASGI middleware (``web.app`` adds it innermost, so
its refusals get the language and the security headers like every response):

- **body size by route**: a file upload (a route that depends on
  :func:`jieneng.web.uploads.check_declared_size`) may send
  ``max_upload_bytes`` plus the multipart envelope, every other route
  ``max_body_bytes`` (1 MiB by default). A larger ``Content-Length`` is refused
  with 413 at once, without reading a byte; a body without one (chunked) is
  counted as it arrives and refused as soon as it passes the limit. Bodies of
  routes other than uploads are read here (at most the limit) and handed on.
- **control characters**: a path, query string, form field or JSON string
  holding NUL or another character of :mod:`jieneng.core.text` is refused (422
  ``control_character``): PostgreSQL cannot store NUL, XML documents cannot hold
  the others. Uploaded files are not inspected here (the import strips them).
- **no caching**: every response outside ``/static/`` gets
  ``Cache-Control: no-store`` (unless the route set its own), so a shared office
  computer does not show a page, JSON or download again after sign-out.

:func:`ids_in_range`, an app-wide dependency: an int path or query parameter
beyond the 64-bit range the databases store (``2**63`` …) is 404 (path) or 422
(query) instead of an overflow in the driver.

:func:`install` adds the backstop behind both: a value the database cannot hold
that still reaches it (SQLite's ``OverflowError`` for an int beyond 64 bits,
PostgreSQL's "bigint out of range", "string too long", a NUL in text) is 422
``value_not_storable``, not 500. Any other data error stays an internal error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from sqlalchemy.exc import DataError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.text import has_control
from jieneng.web import errors

INT64_MAX = 2**63 - 1
NO_STORE = (b"cache-control", b"no-store")
CACHEABLE_PREFIXES = ("/static/",)
#: routes that refuse an over-limit declared body themselves, once they know who sent
#: it: a gateway's push (``web.readings_push``) logs the refusal on the gateway's page
#: and never reads such a body
SELF_LIMITED = frozenset({("POST", "/api/v1/readings")})


class BodyTooLarge(ValidationFailed):
    """A body or an upload over its limit (``details['limit']``, bytes): HTTP 413."""

    code = "too_large"
    http_status = 413


def too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge.of("too_large", limit=limit)


class ControlCharacter(ValidationFailed):
    code = "control_character"


class ValueNotStorable(ValidationFailed):
    code = "value_not_storable"


class _Exceeded(Exception):
    """The streamed body passed the limit (raised from ``receive``)."""


@dataclass(frozen=True)
class Limits:
    body: int
    upload: int
    #: whether a request (its ASGI scope) goes to a file-upload route
    is_upload: Callable[[Scope], bool]


class RequestGuard:
    """Body limits, control characters and ``Cache-Control`` (see the module)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CACHEABLE_PREFIXES):
            await self.app(scope, receive, send)
            return
        send = _no_store(send)
        upload = self.limits.is_upload(scope)
        limit = self.limits.upload if upload else self.limits.body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            if (scope.get("method"), path) in SELF_LIMITED:
                await self.app(scope, receive, send)
                return
            await _refuse(scope, receive, send, too_large(limit), 413)
            return
        if has_control(path) or has_control(_decoded(scope.get("query_string", b""))):
            await _refuse(scope, receive, send, ControlCharacter.of("control_character"), 422)
            return
        if upload:
            await _counted(self.app, scope, receive, send, limit)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _refuse(scope, receive, send, too_large(limit), 413)
            return
        if _body_has_control(scope, body):
            await _refuse(scope, receive, send, ControlCharacter.of("control_character"), 422)
            return
        scope, body = _form_line_feeds(scope, body)
        await self.app(scope, _replay(body, receive), send)


def _no_store(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"cache-control" for name, _ in headers):
                headers.append(NO_STORE)
                message = {**message, "headers": headers}
        await send(message)
    return wrapped


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 30 else None
    return None


def _decoded(raw: bytes) -> str:
    """Form-encoded bytes (query string or body) with the %-escapes resolved."""
    return unquote_plus(raw.decode("latin-1"), encoding="utf-8", errors="replace")


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return str(value.decode("latin-1")).lower()
    return ""


_CRLF = re.compile(rb"%0D%0A", re.IGNORECASE)


def _form_line_feeds(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """A form's line breaks as LF. Browsers send a textarea's line break as CRLF but count
    it as one character against ``maxlength`` (HTML: the submitted value normalises line
    breaks to CRLF), so a textarea filled to its limit would arrive over the handler's
    ``max_length`` — one character too long per line — and be refused."""
    if not _content_type(scope).startswith("application/x-www-form-urlencoded"):
        return scope, body
    fixed = _CRLF.sub(b"%0A", body)
    if fixed == body:
        return scope, body
    headers = [(name, str(len(fixed)).encode() if name.lower() == b"content-length" else value)
               for name, value in scope.get("headers", [])]
    return {**scope, "headers": headers}, fixed


def _body_has_control(scope: Scope, body: bytes) -> bool:
    if not body:
        return False
    kind = _content_type(scope)
    if "json" in kind:
        try:
            data = json.loads(body)
        except ValueError:
            return False  # the route answers 422 for the malformed JSON
        return any(has_control(text) for text in _strings(data))
    if kind.startswith("application/x-www-form-urlencoded"):
        return has_control(_decoded(body))
    return False


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


async def _counted(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                   limit: int) -> None:
    """Run ``app`` with a receive that stops at ``limit`` bytes; the app's own
    answer to the interrupted body is replaced by the 413."""
    state = {"size": 0, "exceeded": False, "started": False}

    async def counting() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            state["size"] += len(message.get("body", b""))
            if state["size"] > limit:
                state["exceeded"] = True
                raise _Exceeded
        return message

    async def guarded(message: Message) -> None:
        if state["exceeded"]:
            return  # the 413 is (or will be) sent instead
        if message["type"] == "http.response.start":
            state["started"] = True
        await send(message)

    try:
        await app(scope, counting, guarded)
    except _Exceeded:
        pass
    except Exception:
        if not state["exceeded"]:
            raise
    if state["exceeded"] and not state["started"]:
        await _refuse(scope, receive, send, too_large(limit), 413)


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: DomainError,
                  status: int) -> None:
    """The one error shape (``web.errors``), with ``status``."""
    response = await errors.domain_error(Request(scope, receive), exc)
    response.status_code = status
    await response(scope, receive, send)


# ---------------------------------------------------------------- which routes take files


def _flat(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _flat(sub)


def route_contexts(routes: Any) -> Iterator[Any]:
    """Every effective route (FastAPI ≥ 0.16x resolves included routers lazily)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        elif getattr(route, "dependant", None) is not None:
            yield route


@dataclass
class UploadRoutes:
    """Matches a request to the routes that depend on ``marker`` (found once)."""

    routes: Callable[[], Any]
    marker: Callable[..., Any]
    _found: list[tuple[re.Pattern[str], frozenset[str]]] | None = field(default=None)

    def __call__(self, scope: Scope) -> bool:
        if self._found is None:
            self._found = [
                (ctx.path_regex, frozenset(ctx.methods or ()))
                for ctx in route_contexts(self.routes())
                if any(d.call is self.marker for d in _flat(ctx.dependant))
            ]
        path, method = scope["path"], scope.get("method", "GET")
        return any(method in methods and regex.match(path) for regex, methods in self._found)


# ---------------------------------------------------------------- ids beyond 64 bits

_INT_PARAMS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def _int_params(route: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(path, query) parameter names of ``route`` declared as an int."""
    key = id(route)
    if key not in _INT_PARAMS:
        path: list[str] = []
        query: list[str] = []
        dependant = getattr(route, "dependant", None)
        for dep in _flat(dependant) if dependant is not None else ():
            path += [f.alias for f in dep.path_params if _is_int(f)]
            query += [f.alias for f in dep.query_params if _is_int(f)]
        _INT_PARAMS[key] = (tuple(path), tuple(query))
    return _INT_PARAMS[key]


def _is_int(model_field: Any) -> bool:
    annotation = model_field.field_info.annotation
    return annotation is int or int in getattr(annotation, "__args__", ())


def beyond_int64(text: str) -> bool:
    """Whether ``text`` is an integer outside the signed 64-bit range."""
    if not _INTEGER.fullmatch(text):
        return False
    digits = text.strip().lstrip("+-").lstrip("0")
    return len(digits) > 19 or (len(digits) == 19 and int(digits) > INT64_MAX)


def ids_in_range(request: Request) -> None:
    """NotFound for an int path parameter beyond 64 bits, ValidationFailed for such a
    query parameter (runs before the route's own dependencies)."""
    path, query = _int_params(request.scope.get("route"))
    for name in path:
        if beyond_int64(str(request.path_params.get(name, ""))):
            raise NotFound.of("web.id_out_of_range", parameter=name)
    for name in query:
        if any(beyond_int64(value) for value in request.query_params.getlist(name)):
            raise ValidationFailed.of("web.parameter_out_of_range", parameter=name)


# ---------------------------------------------------------------- backstop

#: PostgreSQL SQLSTATEs of a value the column cannot hold: numeric value out of
#: range, string data right truncation, character not in repertoire, untranslatable
#: character.
_NOT_STORABLE_STATES = frozenset({"22003", "22001", "22021", "22P05"})


def not_storable(exc: BaseException) -> bool:
    """Whether ``exc`` says a value could not be stored (see the module)."""
    if isinstance(exc, OverflowError):
        text = str(exc)
        return "SQLite INTEGER" in text or "too big to convert" in text
    if isinstance(exc, DataError):
        orig = exc.orig
        state = getattr(orig, "sqlstate", None)
        return state in _NOT_STORABLE_STATES or (state is None and "NUL" in str(orig))
    return False


async def storage_refusal(request: Request, exc: Exception) -> Response:
    """422 ``value_not_storable`` for :func:`not_storable` errors, else 500."""
    if not not_storable(exc):
        return await errors.internal_error(request, exc)
    errors.log.warning("value not storable on %s %s: %s", request.method, request.url.path,
                       type(exc).__name__)
    return await errors.domain_error(request, ValueNotStorable.of("value_not_storable"))


def install(app: FastAPI) -> None:
    """Register :func:`storage_refusal` (after ``errors.install``)."""
    app.add_exception_handler(OverflowError, storage_refusal)
    app.add_exception_handler(DataError, storage_refusal)
