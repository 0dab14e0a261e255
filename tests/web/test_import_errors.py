"""Bad input gets a clear answer, fast (issue 11 §3).

A file with thousands of bad rows is answered with its first 200 errors, the counts
by kind and by column and the address of the full error report (.xlsx) — on the
page and in its JSON twin — and the report opens with every issue, formula-safe,
headers in the reader's language; only its uploader can read it. A renamed program,
a damaged workbook, a random 20 MB file and a file over the limit get one plain
message naming the file, in the reader's language, with no path or library name.
(The full-size file, 160,000 bad rows, is timed by ``bench/bad_rows.py``.)
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from jieneng.core.exceptions import NotFound
from jieneng.services.accounts.auth import create_token
from jieneng.services.entry import error_reports
from jieneng.settings import Settings
from tests.ingest import hostile
from tests.web.conftest import EDU, ORGAN, OTHER, SCHOOL, SILENT, World, csrf

BAD_ROWS = 3000
LEAKS = ("calamine", "Zip", "zip", "fastexcel", "polars", "/tmp", "Traceback", "jieneng-upload")
HEADER = "统一社会信用代码,年,月,能源品种,数量,单位,费用(元)\n"


def _bad_csv(rows: int = BAD_ROWS) -> bytes:
    """``rows`` rows, each with one error: month 13, text as a quantity, a negative
    figure, an unknown credit code, a formula-looking quantity (kinds cycle)."""
    lines = [HEADER]
    codes = [ORGAN, OTHER, EDU, SCHOOL, SILENT]
    for i in range(rows):  # (institution, year, month) differ from row to row
        kind = i % 5
        code, month, quantity = codes[i // 12 % 5], (i % 12) + 1, str(100 + i)
        if kind == 0:
            month = 13
        elif kind == 1:
            quantity = "abc"
        elif kind == 2:
            quantity = "-5"
        elif kind == 3:
            code = "91450300MA5KXXXXXX"
        else:
            quantity = "=1+1"
        lines.append(f"{code},{2000 + i // 60},{month},电,{quantity},千瓦时,\n")
    return "".join(lines).encode("utf-8")


def _token(world: World, role: str = "admin") -> dict[str, str]:
    secret = create_token(world.engine, world.users[role], "import errors")[1]
    return {"Authorization": f"Bearer {secret}"}


def _post(client: TestClient, headers: dict[str, str], name: str, content: bytes,
          lang: str = "zh-CN") -> dict[str, object]:
    response = client.post(
        "/api/v1/imports", params={"kind": "consumption", "dry_run": "true"},
        files={"file": (name, content)}, headers={**headers, "Accept-Language": lang},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == "import_rejected"
    return dict(error)


def test_many_bad_rows_answer_with_the_first_200_and_counts(world: World) -> None:
    client = world.client()
    headers = _token(world)
    error = _post(client, headers, "坏数据.csv", _bad_csv())
    details = error["details"]
    assert isinstance(details, dict)
    assert "坏数据.csv" in str(error["message"]) and "3,000" in str(error["message"])
    assert details["total"] == BAD_ROWS
    assert details["shown"] == 200 and len(details["issues"]) == 200
    assert [i["row"] for i in details["issues"][:3]] == [2, 3, 4]  # by row, from the top
    assert details["by_code"] == {"import.bad_month": 600, "import.negative": 600,
                                  "import.not_a_number": 1200,
                                  "import.unknown_institution": 600}
    assert details["by_column"] == {"数量": 1800, "月": 600, "统一社会信用代码": 600}
    url = str(details["report_url"])
    assert re.fullmatch(r"/api/v1/import/errors/[A-Za-z0-9_-]+\.xlsx", url)

    # the full report: every issue, errors first by row, formula-safe, Chinese headers
    got = client.get(url, headers=headers)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "坏数据.csv" in str(rows[0][0])
    header = rows.index(("文件", "工作表", "行号", "列", "单元格内容", "问题"))
    assert "按类型：" in str(rows[header - 2][0]) and "按列：" in str(rows[header - 1][0])
    body = rows[header + 1:]
    assert len(body) == BAD_ROWS
    assert body[0][:5] == ("坏数据.csv", None, 2, "月", "13")
    assert body[0][5] == "月份“13”无效（应为 1–12 的整数）"
    formula = [r for r in body if r[4] and "1+1" in str(r[4])]
    assert formula and all(str(r[4]).startswith("'=") for r in formula)

    # the same summary again: the page and its JSON twin
    token = url.removeprefix("/api/v1/import/errors/").removesuffix(".xlsx")
    twin = client.get(f"/api/v1/import/errors/{token}", headers=headers)
    assert twin.status_code == 200
    summary = twin.json()
    assert summary["total"] == BAD_ROWS and len(summary["issues"]) == 200
    assert summary["by_column"] == details["by_column"] and summary["report_url"] == url


def test_the_report_speaks_english_and_is_its_uploaders_only(world: World) -> None:
    client = world.client()
    error = _post(client, _token(world), "bad.csv", _bad_csv(50), lang="en")
    assert "bad.csv has 50 error(s)" in str(error["message"])
    details = error["details"]
    assert isinstance(details, dict)
    url = str(details["report_url"])
    got = client.get(url, headers={**_token(world), "Accept-Language": "en"})
    rows = list(openpyxl.load_workbook(io.BytesIO(got.content), read_only=True)
                .active.iter_rows(values_only=True))
    header = rows.index(("File", "Sheet", "Row", "Column", "Cell value", "Problem"))
    assert rows[header + 1][5] == "month 13 is invalid (expected a whole number 1–12)"
    # another account that may import: no such report for it
    other = client.get(url, headers=_token(world, "region"))
    assert other.status_code == 404
    assert client.get("/api/v1/import/errors/not-a-token", headers=_token(world)
                      ).status_code == 404


def test_the_page_lists_200_and_offers_the_report(world: World) -> None:
    browser = world.login("admin")
    page = browser.post(
        "/import", data={"kind": "consumption", "dry_run": "1", "csrf_token": csrf(browser)},
        files={"file": ("坏数据.csv", _bad_csv())},
    )
    assert page.status_code == 422
    html = page.text
    assert "共 3,000 处错误，下表列出前 200 处" in html
    assert "下载完整错误报告" in html and "按错误类型" in html and "按列" in html
    assert "月份无效" in html and "不是数字" in html  # the kinds by name, not by code
    assert html.count('class="pg-error"><td>') == 200
    link = re.search(r'href="/api/v1(/import/errors/[^"]+)\.xlsx"', html)
    assert link
    download = browser.get(f"/api/v1{link.group(1)}.xlsx")  # the page's session may
    assert download.status_code == 200 and download.content.startswith(b"PK")
    again = browser.get(link.group(1))
    assert again.status_code == 200 and "共 3,000 处错误" in again.text
    assert len(page.content) < 400_000


def test_a_scoped_uploader_gets_the_out_of_scope_rows_in_the_counts(world: World) -> None:
    client = world.client()
    rows = HEADER + f"{SCHOOL},2031,1,电,5,千瓦时,\n{ORGAN},2031,1,电,5,千瓦时,\n"
    error = _post(client, _token(world, "institution"), "两行.csv", rows.encode())
    details = error["details"]
    assert isinstance(details, dict)
    assert [i["code"] for i in details["issues"]] == ["import.out_of_scope"]
    assert "不在您的权限范围内" in details["issues"][0]["message_zh"]
    assert details["by_code"] == {"import.out_of_scope": 1}


HOSTILE = [
    ("程序.xlsx", hostile.renamed_exe, "无法读取文件“程序.xlsx”", "cannot be read"),
    ("损坏.xlsx", hostile.corrupt_workbook, "无法读取文件“损坏.xlsx”", "cannot be read"),
]


@pytest.mark.parametrize(("name", "build", "zh", "en"), HOSTILE, ids=["exe", "corrupt"])
def test_a_hostile_file_gets_one_plain_message(
    world: World, tmp_path: Path, name: str, build: object, zh: str, en: str,
) -> None:
    assert callable(build)
    content = build(tmp_path / name).read_bytes()
    client = world.client()
    for lang, expected in (("zh-CN", zh), ("en", en)):
        error = _post(client, _token(world), name, content, lang=lang)
        assert expected in str(error["message"]), error
        assert name in str(error["message"])
        assert not any(leak in str(error) for leak in LEAKS), error


def test_a_random_20_mb_file_and_a_program_are_refused_plainly(world: World) -> None:
    client = world.client()
    headers = _token(world)
    noise = os.urandom(20 * 1024 * 1024)
    error = _post(client, headers, "随机.xlsx", noise)
    assert "无法读取文件“随机.xlsx”" in str(error["message"])
    assert not any(leak in str(error) for leak in LEAKS)
    program = client.post("/api/v1/imports", params={"kind": "consumption"},
                          files={"file": ("setup.exe", b"MZ" + noise[:1000])},
                          headers={**headers, "Accept-Language": "zh-CN"})
    assert program.status_code == 415
    message = program.json()["error"]["message"]
    assert "setup.exe" in message and "不是 Excel 工作簿" in message


def test_a_file_over_the_limit_names_itself(world: World, db_url: str) -> None:
    from jieneng.web.app import create_app

    app = create_app(Settings(database_url=db_url, environment="test",  # type: ignore[arg-type]
                              secret_key="test-secret-key-not-default",
                              max_upload_bytes=16 * 1024 * 1024))
    try:
        with TestClient(app) as client:
            response = client.post(
                "/api/v1/imports", params={"kind": "consumption", "dry_run": "true"},
                files={"file": ("大文件.xlsx", b"x" * (16 * 1024 * 1024 + 10))},
                headers={**_token(world), "Accept-Language": "en"},
            )
    finally:
        app.state.engine.dispose()
    assert response.status_code == 413
    assert "16 MB" in response.text
    assert not any(leak in response.text for leak in LEAKS)


def test_reports_expire(world: World) -> None:
    import polars as pl

    from jieneng.ingest.issue_table import empty_issues

    token = error_reports.keep(empty_issues(), 1)
    assert error_reports.load(token, 1).table.height == 0
    path = next(error_reports.folder().glob(f"*-{token}.parquet"))
    os.utime(path, (1, 1))
    with pytest.raises(NotFound):  # past its time: gone for its owner at once
        error_reports.load(token, 1)
    error_reports.keep(pl.DataFrame(schema=empty_issues().schema), 1)
    assert not path.exists() and not path.with_suffix(".json").exists()


def test_the_kept_reports_are_bounded_in_number_and_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jieneng.ingest.issue_table import empty_issues

    private = tmp_path / "reports"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(error_reports, "folder", lambda: private)
    tokens = [error_reports.keep(empty_issues(), 7) for _ in range(5)]
    now = time.time()
    for age, token in enumerate(tokens):  # the first made is the oldest
        os.utime(private / next(p.name for p in private.glob(f"*-{token}.parquet")),
                 (now - 100 + age, now - 100 + age))
    monkeypatch.setattr(error_reports, "MAX_REPORTS", 3)
    error_reports.keep(empty_issues(), 7)
    alive = [t for t in tokens if list(error_reports.folder().glob(f"*-{t}.parquet"))]
    assert alive == tokens[-2:]  # with the new one: 3
    monkeypatch.setattr(error_reports, "MAX_FOLDER_BYTES", 0)
    last = error_reports.keep(empty_issues(), 7)
    assert error_reports.load(last, 7).total == 0
    assert not any(list(error_reports.folder().glob(f"*-{t}.parquet")) for t in tokens)


def test_a_huge_bad_file_gets_a_bounded_report_with_exact_counts(world: World) -> None:
    """A file of more bad rows than the report's bound (made small here): the report
    lists the first N, errors first by row, and says how many more there are; the
    counts by kind and column stay those of every row — in the refusal, the page,
    the twin and the workbook."""
    world.app.state.settings.import_report_max_rows = 500
    try:
        client = world.client()
        headers = _token(world)
        error = _post(client, headers, "巨量.csv", _bad_csv(2000))
        details = error["details"]
        assert isinstance(details, dict)
        assert details["total"] == 2000 and details["report_listed"] == 500
        assert details["report_more"] == 1500
        assert sum(details["by_code"].values()) == 2000
        token = str(details["report"])
        twin = client.get(f"/api/v1/import/errors/{token}", headers=headers).json()
        assert (twin["total"], twin["report_listed"], twin["report_more"]) == (2000, 500, 1500)
        assert twin["by_code"] == details["by_code"]
        assert twin["by_column"] == details["by_column"]
        got = client.get(str(details["report_url"]), headers=headers)
        book = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        notes = " ".join(str(r[0]) for r in rows[:6])
        assert "2,000 处错误" in notes and "1,500 处未列出" in notes and "500" in notes
        assert "按类型" in notes and "按列" in notes and "1,200" in notes
        header = next(i for i, r in enumerate(rows) if r[2] == "行号")
        listed = [r for r in rows[header + 1:] if r[0] is not None]
        assert len(listed) == 500
        assert [r[2] for r in listed[:3]] == [2, 3, 4]  # errors first, by row
        browser = world.login("admin")
        page = browser.get(f"/import/errors/{token}")
        assert page.status_code == 200
        assert 'id="report-truncated"' in page.text and "1,500" in page.text
    finally:
        world.app.state.settings.import_report_max_rows = error_reports.MAX_ROWS


def test_the_workbook_of_a_report_is_bounded_on_its_own() -> None:
    """The command line's report (``--errors-report``) is cut the same way."""
    import polars as pl

    from jieneng.ingest.issue_table import empty_issues

    schema = empty_issues().schema
    frame = pl.DataFrame({
        "file": ["f.csv"] * 30, "sheet": [None] * 30, "row": list(range(31, 1, -1)),
        "column": ["月"] * 30, "value": ["=1+1"] * 30, "code": ["import.bad_month"] * 30,
        "severity": ["error"] * 30, "message_zh": ["月份无效"] * 30,
        "message_en": ["bad month"] * 30}, schema=schema)
    book = openpyxl.load_workbook(io.BytesIO(
        error_reports.report_xlsx(frame, "en", max_rows=10)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert any("20 more are not listed" in str(r[0]) for r in rows[:6])
    header = next(i for i, r in enumerate(rows) if r[2] == "Row")
    assert [r[2] for r in rows[header + 1:]] == list(range(2, 12))
    assert rows[header + 1][4] == "'=1+1"


def test_a_stored_file_says_what_was_stored_in_the_readers_language(world: World) -> None:
    browser = world.login("admin")
    good = (HEADER + f"{ORGAN},2025,2,电,100,千瓦时,\n").encode()
    page = browser.post("/import", data={"kind": "consumption", "csrf_token": csrf(browser)},
                        files={"file": ("好数据.csv", good)})
    assert page.status_code == 200, page.text
    assert "新增 1 · 修订 0 · 未变 0" in page.text
    assert "inserted" not in page.text
