"""Hostile values against the outputs and the request handling (issue 9, items 6–8).

- every workbook writes text as text: a name like ``=HYPERLINK(…)``, ``{=1+1}``,
  ``http://evil`` or ``@SUM(A1)`` is a plain string cell, never a formula or a link;
- control characters (NUL, ESC, VT) in a name never break the Word documents,
  and are refused (422) in web input before they reach the database;
- request bodies are limited by route before they are read (413), with or without
  a Content-Length;
- ids beyond 2^63 (and negative ones) on every route with an int parameter: 404/422;
- ``Cache-Control: no-store`` on pages, JSON and downloads (not on /static).
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sys
import time
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from select import select as wait_ready
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlencode

import anyio
import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import BigInteger, String, cast, literal, select

from jieneng.core.text import has_control
from jieneng.ingest.issue_table import issues_frame
from jieneng.ingest.issues import ImportIssue
from jieneng.services.entry import error_reports
from jieneng.services.entry.imports import import_file
from jieneng.storage import tables as t
from tests.sample import write_csv
from tests.web.conftest import EDU, ORGAN, OTHER, SCHOOL, SILENT, World, csrf
from tests.web.live import serving
from tests.web.test_projects_pages import seed_projects

#: sample values of the path parameters that are not ids
SAMPLES = {"credit_code": SCHOOL, "region": "450321", "region_code": "450321",
           "year": "2025", "month": "1", "kind": "consumption", "rule": "yoy_jump",
           "path": "app.css", "code": "YS-PV-1"}  # code: a project of seed_projects
BAD_IDS = (2**63, 2**64, -1, -(2**63) - 1)


def _flat(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _flat(sub)


def _contexts(app: Any) -> Iterator[Any]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        elif getattr(route, "dependant", None) is not None:
            yield route


def _int_params(context: Any) -> tuple[list[str], list[str]]:
    """(path, query) parameters of the route declared as an int."""
    path, query = [], []
    for dep in _flat(context.dependant):
        for field in dep.path_params:
            if "int" in str(field.field_info.annotation):
                path.append(field.name)
        for field in dep.query_params:
            if "int" in str(field.field_info.annotation):
                query.append(field.alias or field.name)
    return path, query


def int_routes(app: Any) -> list[tuple[str, str, list[str], list[str]]]:
    found = []
    for ctx in _contexts(app):
        path, query = _int_params(ctx)
        if path or query:
            for method in sorted(ctx.methods or ()):
                found.append((method, ctx.path, path, query))
    return found


def _url(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "1"), template)


# ---------------------------------------------------------------- ids beyond 2^63


def test_int_routes_are_found(world: World) -> None:
    routes = int_routes(world.app)
    paths = {path for _, path, _, _ in routes}
    assert "/reporting/tasks/{task_id}" in paths and "/api/v1/tokens/{token_id}" in paths
    assert len(routes) > 40


def _client(world: World, role: str | None = None) -> TestClient:
    """A client that answers 500 instead of raising the server's exception."""
    client = TestClient(world.app, follow_redirects=False, raise_server_exceptions=False)
    return world.login(role, client) if role else client


def test_ids_beyond_int64_are_404_or_422(world: World) -> None:
    admin = _client(world, "admin")
    token = csrf(admin)
    failures = []
    for method, template, path_ints, query_ints in int_routes(world.app):
        for bad in BAD_IDS:
            expected = (404, 422) if bad > 0 or bad < -(2**63) else range(300, 500)
            for name in path_ints:
                url = _url(template, {**SAMPLES, name: str(bad)})
                failures += _call(admin, token, method, url, expected)
            for name in query_ints:
                url = _url(template, SAMPLES) + f"?{name}={bad}"
                failures += _call(admin, token, method, url, expected)
    assert not failures, "\n".join(failures)


def _call(client: TestClient, token: str, method: str, url: str,
          expected: Any) -> list[str]:
    """[] when ``url`` answers one of ``expected``, else the failure."""
    body: dict[str, Any] | None = (
        {} if url.startswith("/api/") and method not in ("GET", "DELETE") else None)
    response = client.request(method, url, headers={"X-CSRF-Token": token}, json=body)
    ok = response.status_code in expected
    return [] if ok else [f"{method} {url} → {response.status_code}"]


# ---------------------------------------------------------------- workbooks: text stays text

HOSTILE = {
    ORGAN: '=HYPERLINK("http://x","y")',
    OTHER: "{=1+1}",
    EDU: "http://evil.example/",
    SCHOOL: "file:///c:/windows/system32/calc.exe",
    SILENT: "@SUM(A1)",
}
HOSTILE_REGION = "external:c:\\secret.xlsx"
QUERY = {"region": "450300", "year": "2025"}


def _rename(world: World, tmp_path: Path, names: dict[str, str]) -> None:
    """Re-import the directory with ``names`` (the import path a real user takes)."""
    path = write_csv(
        tmp_path / "renamed.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [[code, names[code], region, category, dept, "否", "在用"]
         for code, region, category, dept in (
             (ORGAN, "450302", "01", ""), (OTHER, "450302", "021", ""),
             (EDU, "450321", "01", ""), (SCHOOL, "450321", "021", EDU),
             (SILENT, "450321", "021", EDU))])
    import_file(world.engine, "institutions", path)


def _approve_all(world: World) -> None:
    now = datetime.now(UTC)
    with world.engine.begin() as conn:
        period_id = conn.execute(t.reporting_period.insert().values(
            region_code="450300", kind="monthly", year=2025, month=1,
            deadline=date(2025, 2, 15), department_step=False, opened_at=now,
        ).returning(t.reporting_period.c.id)).scalar_one()
        conn.execute(t.reporting_task.insert(), [
            {"period_id": period_id, "institution_id": world.ids[code], "state": "approved"}
            for code in HOSTILE])


def _error_report(world: World) -> str:
    """An import error report of the admin's (the download needs one that exists) whose
    file, column and value carry hostile names."""
    issue = ImportIssue(file=HOSTILE_REGION, sheet=None, row=2, column=HOSTILE_REGION,
                        value=HOSTILE_REGION, code="import.not_a_number", severity="error",
                        message_zh="不是数字", message_en="not a number")
    return error_reports.keep(issues_frame([issue]), world.users["admin"].id)


def _downloads(world: World, suffix: str) -> list[str]:
    """Every GET route of the app whose path ends with ``suffix``, with a sample query."""
    urls = []
    walked: dict[str, tuple[str, str]] = {}
    for ctx in _contexts(world.app):
        if ctx.path.endswith(suffix) and "GET" in (ctx.methods or ()):
            report = {"report": _error_report(world)} if "{report}" in ctx.path else {}
            path = _url(ctx.path, {**SAMPLES, **report, **_walk_params(world, ctx.path, walked)})
            if "summaries" in path:
                urls += [f"{path}?{urlencode({**QUERY, 'kind': k})}"
                         for k in ("region", "department", "category")]
            else:
                urls.append(f"{path}?{urlencode(QUERY)}")
    return urls


def _walk_params(world: World, path: str, walked: dict[str, tuple[str, str]]
                 ) -> dict[str, str]:
    """The scope walk's sample of ``path``'s parameters as the administrator (a round, a
    plan, an assessment run, a scheme code …): the objects are made once per call of
    :func:`_downloads` (``walked`` keeps them)."""
    from tests.web.test_scope_walk import ROUTES, _values

    kinds = {name: kind for sample in ROUTES.get(path, ()) for name, kind in
             sample.params.items()}
    if kinds and not walked:
        walked.update(_values(world, "admin"))
    return {name: walked[kind][0] for name, kind in kinds.items() if kind in walked}


def _cells(content: bytes) -> Iterator[tuple[str, Any]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.hyperlink is None, (sheet.title, cell.coordinate, cell.hyperlink)
                if cell.value is not None:
                    yield f"{sheet.title}!{cell.coordinate}", cell


def test_workbooks_write_hostile_names_as_text(world: World, tmp_path: Path) -> None:
    _rename(world, tmp_path, HOSTILE)
    with world.engine.begin() as conn:
        conn.execute(t.region.update().where(t.region.c.code == "450321")
                     .values(name=HOSTILE_REGION))
    _approve_all(world)
    seed_projects(world)
    client = world.login("admin")
    urls = _downloads(world, ".xlsx")
    assert {u.split("?")[0] for u in urls} >= {
        "/reports/annual.xlsx", "/targets/assessment.xlsx", "/summaries.xlsx"}
    seen: set[str] = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        assert "no-store" in response.headers["cache-control"]
        for where, cell in _cells(response.content):
            assert cell.data_type in ("s", "n", "b"), (url, where, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), (url, where, cell.value)
                seen.add(cell.value.lstrip("'"))
    missing = [name for name in (*HOSTILE.values(), HOSTILE_REGION) if name not in seen]
    assert not missing, missing


# ---------------------------------------------------------------- control characters

CONTROL_NAMES = {ORGAN: "秀峰区\x1b[31m机关", OTHER: "秀峰区\x0b第三小学", EDU: "阳朔县\x00教育局",
                 SCHOOL: "阳朔县\x0c第一中学\ufffe", SILENT: "阳朔县第二中学\x07"}


def test_import_strips_control_characters(world: World, tmp_path: Path) -> None:
    _rename(world, tmp_path, {c: n.replace("\x00", "\x01") for c, n in CONTROL_NAMES.items()})
    with world.engine.connect() as conn:
        names = {code: name for code, name in conn.execute(
            select(t.institution.c.credit_code, t.institution.c.name))}
    assert names[ORGAN] == "秀峰区[31m机关" and names[OTHER] == "秀峰区第三小学"
    assert all(not has_control(name) for name in names.values()), names


def test_documents_with_control_characters_in_stored_names(world: World) -> None:
    """Names stored before the import stripped them still give working documents."""
    with world.engine.begin() as conn:
        for code, name in CONTROL_NAMES.items():
            conn.execute(t.institution.update().where(t.institution.c.credit_code == code)
                         .values(name=name.replace("\x00", "")))  # PostgreSQL refuses NUL
        conn.execute(t.region.update().where(t.region.c.code == "450321")
                     .values(name="阳朔\x1b县\x0b"))
    _approve_all(world)
    seed_projects(world)
    client = world.login("admin")
    urls = _downloads(world, ".docx")
    assert {u.split("?")[0] for u in urls} >= {"/reports/annual.docx", "/review-report.docx"}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        text = _docx_text(response.content)
        assert not has_control(text), url
        # the assessment names regions only where targets were set (none in this world)
        assert "阳朔县" in text or url.startswith("/targets/assessment.docx"), url
    for url in _downloads(world, ".xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert all(not has_control(str(cell.value)) for _, cell in _cells(response.content))


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = (c.text for table in document.tables for row in table.rows for c in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0b"])
def test_control_characters_in_web_input_are_refused(world: World, char: str) -> None:
    admin = _client(world, "admin")
    token = csrf(admin)
    uid = world.users["viewer"].id
    calls = [
        admin.get("/institutions", params={"q": f"阳朔{char}"}),
        admin.get("/api/v1/institutions", params={"q": f"阳朔{char}"}),
        admin.post("/account/tokens", data={"name": f"t{char}", "csrf_token": token}),
        admin.post("/api/v1/tokens", json={"name": f"t{char}"}, headers={"X-CSRF-Token": token}),
        admin.post(f"/admin/users/{uid}", data={
            "role": "viewer", "display_name": f"张{char}三", "region_code": "450302",
            "institution": "", "csrf_token": token}),
        admin.patch(f"/api/v1/users/{uid}", json={"display_name": f"张{char}三"},
                    headers={"X-CSRF-Token": token}),
        _client(world).post("/login", data={"username": f"admin{char}", "password": "x"}),
    ]
    for response in calls:
        assert response.status_code == 422, (response.request.url, response.status_code)
        if response.request.url.path.startswith("/api/"):
            assert response.json()["error"]["code"] == "control_character"
    with world.engine.connect() as conn:
        stored = conn.execute(select(t.app_user.c.display_name)
                              .where(t.app_user.c.id == uid)).scalar_one()
    assert stored is None or not has_control(stored)


def test_plain_input_still_passes(world: World) -> None:
    admin = world.login("admin")
    response = admin.get("/api/v1/institutions", params={"q": "阳朔\t"})
    assert response.status_code == 200
    response = admin.post("/api/v1/tokens", json={"name": "第一\n个"},
                          headers={"X-CSRF-Token": csrf(admin)})
    assert response.status_code in (200, 201), response.text


# ---------------------------------------------------------------- request bodies

CHUNK = b"x" * (1024 * 1024)
HUGE = 300 * 1024 * 1024


def _asgi_post(world: World, path: str, *, declared: int | None, chunks: int,
               content_type: bytes = b"application/json") -> tuple[int, int, dict[str, str]]:
    """POST ``chunks`` MiB straight to the ASGI app; (status, chunks it read, headers)."""
    read = 0
    sent: list[dict[str, Any]] = []
    headers = [(b"content-type", content_type), (b"host", b"testserver")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    else:
        headers.append((b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": {},
             "app": world.app}

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= chunks:
            await anyio.sleep(3600)
        read += 1
        return {"type": "http.request", "body": CHUNK, "more_body": read < chunks}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    async def run() -> None:
        with anyio.fail_after(30):
            await world.app(scope, receive, send)

    # in a thread of its own: a browser test before it on the same worker may leave
    # an event loop running in this one (Playwright's sync API)
    with world.client(), ThreadPoolExecutor(1) as pool:  # lifespan
        pool.submit(anyio.run, run).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    return (start["status"], read,
            {k.decode(): v.decode() for k, v in start.get("headers", [])})


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/login", "/api/v1/imports"])
def test_huge_body_with_content_length_is_refused_unread(world: World, path: str) -> None:
    began = time.monotonic()
    status, read, _ = _asgi_post(world, path, declared=HUGE, chunks=300)
    assert (status, read) == (413, 0)
    assert time.monotonic() - began < 5


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/login", "/api/v1/reporting/periods"])
def test_huge_chunked_body_is_refused_at_the_limit(world: World, path: str) -> None:
    status, read, _ = _asgi_post(world, path, declared=None, chunks=300)
    assert status == 413 and read <= 2, (status, read)


def test_upload_routes_get_the_upload_limit(world: World) -> None:
    settings = world.app.state.settings
    assert settings.max_upload_bytes > settings.max_body_bytes
    # 3 MiB declared: over the form limit, under the upload limit (then 401: no session)
    status, _, _ = _asgi_post(world, "/api/v1/imports", declared=3 * len(CHUNK), chunks=3,
                              content_type=b"multipart/form-data; boundary=x")
    assert status != 413
    status, read, _ = _asgi_post(world, "/api/v1/imports", declared=None, chunks=300,
                                 content_type=b"multipart/form-data; boundary=x")
    assert status in (401, 411, 413) and read < 80


def test_413_has_the_error_shape(world: World) -> None:
    client = world.client()
    response = client.post("/api/v1/tokens", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["details"]["limit"] == 1024 * 1024
    page = client.post("/login", content=b"a=" + b"b" * (2 * 1024 * 1024),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "1048576" in page.text


# ---------------------------------------------------------------- Cache-Control


def test_no_store_on_authenticated_responses(world: World) -> None:
    client = world.login("admin")
    for url in ("/", "/account", "/api/v1/me", "/api/v1/institutions",
                "/reports/annual.docx?region=450300&year=2025"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("cache-control", ""), url
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")


def test_upload_form_fields_with_control_characters(world: World) -> None:
    """Multipart text fields (not inspected by the middleware) are refused too."""
    admin = world.login("admin")
    table = ("指标,机构类型,气候区,约束值,基准值,引导值,单位\n"
             "人均综合能耗,演示,,40,30,20,kgce/人\n").encode()
    response = admin.post("/api/v1/quotas/import", headers={"X-CSRF-Token": csrf(admin)},
                          data={"code": "T", "title": "标准\x00", "source": "s"},
                          files={"file": ("q.csv", table, "text/csv")})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "control_character"


# ---------------------------------------------------------------- the backstop


def test_values_the_database_cannot_hold_are_422(world: World) -> None:
    """Whatever still reaches the database with such a value is 422, not 500."""
    engine = world.engine

    @world.app.get("/api/v1/_test/too-big")
    def too_big() -> None:
        with engine.connect() as conn:
            conn.execute(select(cast(literal(2**63, BigInteger), BigInteger)))

    @world.app.get("/api/v1/_test/nul")
    def nul() -> None:
        with engine.connect() as conn:
            conn.execute(select(literal("a\x00b", String)))

    @world.app.get("/api/v1/_test/bug")
    def bug() -> None:
        raise OverflowError("math range error")

    client = _client(world, "viewer")
    response = client.get("/api/v1/_test/too-big")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "value_not_storable"
    if engine.dialect.name == "postgresql":
        assert client.get("/api/v1/_test/nul").status_code == 422
    assert client.get("/api/v1/_test/bug").status_code == 500  # a bug stays a bug


# ---------------------------------------------------------------- ints in bodies


def _sample(annotation: Any) -> Any:
    """A plausible value of ``annotation`` for a request body."""
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, UnionType):
        return _sample(next(a for a in get_args(annotation) if a is not type(None)))
    samples = {list: [], dict: {}, int: 1, float: 1.0, bool: False}
    if origin in samples or annotation in samples:
        return samples[origin or annotation]
    if hasattr(annotation, "model_fields"):
        return {n: _sample(f.annotation) for n, f in annotation.model_fields.items()}
    return "450321"


def test_body_ints_beyond_int64_are_not_500(world: World) -> None:
    """Every int field of a form or a JSON body, set to 2**63: a 4xx answer."""
    admin = _client(world, "admin")
    token = csrf(admin)
    failures, tried = [], 0
    for ctx in _contexts(world.app):
        url = _url(ctx.path, SAMPLES)
        params = [b for dep in _flat(ctx.dependant) for b in dep.body_params]
        for method in sorted(ctx.methods or ()):
            for param in params:
                annotation = param.field_info.annotation
                if type(param.field_info).__name__ == "Form" and annotation is int:
                    form = {p.alias: "1" for p in params} | {param.alias: str(2**63),
                                                             "csrf_token": token}
                    tried += 1
                    response = admin.request(method, url, data=form)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} form {param.alias}")
                elif hasattr(annotation, "model_fields"):
                    base = _sample(annotation)
                    for name, field in annotation.model_fields.items():
                        if "int" in str(field.annotation):
                            tried += 1
                            response = admin.request(method, url, json={**base, name: 2**63},
                                                     headers={"X-CSRF-Token": token})
                            if response.status_code >= 500:
                                failures.append(f"{method} {url} json {name}")
    assert tried > 10 and not failures, failures


# ---------------------------------------------------------------- a real server, 300 MB


@contextmanager
def _serve(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """``jieneng serve`` on a fresh SQLite file; yields (port, pid)."""
    from jieneng.services.database import open_database

    url = f"sqlite:///{tmp_path / 'server.db'}"
    open_database(url).dispose()  # migrated before the server opens it
    with serving(url, tmp_path / "server.log", start_seconds=30) as live:
        yield live.port, live.process.pid


def _peak_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM) [kB]."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise KeyError("VmHWM")


def post_raw(port: int, path: str, *, chunked: bool, total: int = HUGE
             ) -> tuple[int, int, float]:
    """POST ``total`` bytes of JSON-ish filler, anonymously, stopping as soon as the
    server answers; (status, bytes sent, seconds until the answer)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n")
            + "\r\n").encode()
    frame = (f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") if chunked else CHUNK
    sent, began, answer = 0, time.monotonic(), b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        pending = b""
        while not answer and time.monotonic() - began < 60:
            readable, writable, _ = wait_ready([sock], [sock] if sent < total else [], [], 5)
            if readable:
                answer = sock.recv(65536)
                break
            if writable:
                pending = pending or frame
                try:
                    n = sock.send(pending)
                except OSError:  # the server closed the connection: read its answer
                    answer = sock.recv(65536)
                    break
                pending = pending[n:]
                sent += n
        seconds = time.monotonic() - began
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent, seconds


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_real_server_refuses_300_mb_unread(tmp_path: Path) -> None:
    """A 300 MB anonymous JSON POST, with a Content-Length and chunked: 413 at once,
    after a few MiB at most (socket buffers), and the server's peak memory barely moves."""
    figures: dict[str, Any] = {}
    with _serve(tmp_path) as (port, pid):
        before = _peak_kb(pid)
        for chunked in (False, True):
            status, sent, seconds = post_raw(port, "/api/v1/tokens", chunked=chunked)
            figures["chunked" if chunked else "content_length"] = {
                "status": status, "sent_mib": round(sent / 2**20, 1),
                "seconds": round(seconds, 2)}
            assert status == 413, figures
            assert sent < 32 * 2**20 and seconds < 10, figures
        growth = (_peak_kb(pid) - before) // 1024
        figures["peak_growth_mib"] = growth
    if os.environ.get("JIENENG_D_REPORT"):
        Path(os.environ["JIENENG_D_REPORT"]).write_text(json.dumps(figures))
    assert growth < 32, figures
