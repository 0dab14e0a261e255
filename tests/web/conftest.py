"""A small 桂林 world for the web tests, on each database backend.

Regions of 桂林; five institutions — 秀峰区 (450302): an organ and a school;
阳朔县 (450321): the 教育局 (a competent department) with its two schools —
one month of figures, and one account per role:

========== =========== ===============================================
role       account     pinned to
========== =========== ===============================================
admin      admin       everything
region_admin yangshuo_admin 450321 阳朔县, and the accounts of its subtree
region     yangshuo    450321 阳朔县
department jiaoyuju    阳朔县演示教育局 (EDU) and its schools
institution school     阳朔县演示第一中学 (SCHOOL)
viewer     viewer      450302 秀峰区
========== =========== ===============================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.core.codes import make_credit_code
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.settings import Settings
from jieneng.storage.institutions import get_institution
from tests.sample import make_files, write_csv
from tests.templates import register_seed, seeded

ORGAN = make_credit_code("11", "450302", 1001)
OTHER = make_credit_code("12", "450302", 1002)
EDU = make_credit_code("11", "450321", 3001)
SCHOOL = make_credit_code("12", "450321", 3002)
SILENT = make_credit_code("12", "450321", 3003)
MISSING = make_credit_code("12", "450322", 9999)

NAMES = {
    ORGAN: "秀峰区演示机关事务服务中心",
    OTHER: "秀峰区演示第三小学",
    EDU: "阳朔县演示教育局",
    SCHOOL: "阳朔县演示第一中学",
    SILENT: "阳朔县演示第二中学",
}
PASSWORD = "Correct-Horse-Battery-9"
ROLES = ("admin", "region_admin", "region", "department", "institution", "viewer")
#: institutions each role must never see (a school's record names its own 主管部门,
#: so EDU's name is not a leak for the school's account)
OUTSIDE: dict[str, tuple[str, ...]] = {
    "admin": (),
    "region_admin": (ORGAN, OTHER),
    "region": (ORGAN, OTHER),
    "department": (ORGAN, OTHER),
    "institution": (ORGAN, OTHER, SILENT),
    "viewer": (EDU, SCHOOL, SILENT),
}


@dataclass
class World:
    app: FastAPI
    engine: Engine
    ids: dict[str, int]
    users: dict[str, User] = field(default_factory=dict)

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def login(self, role: str, client: TestClient | None = None) -> TestClient:
        client = client or self.client()
        client.get("/login")
        response = client.post("/login", data={
            "username": self.users[role].username, "password": PASSWORD,
            "csrf_token": csrf(client), "next": "/",
        })
        assert response.status_code == 303, response.text
        return client

    def markers(self, role: str) -> list[str]:
        """Strings whose presence in a response would leak data outside ``role``'s scope."""
        return [m for code in OUTSIDE[role] for m in (code, NAMES[code])]


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's session (from the meta tag of a page)."""
    page = client.get("/account")
    if page.status_code != 200:
        page = client.get("/login")
    text = page.text
    start = text.index('name="csrf-token" content="') + len('name="csrf-token" content="')
    return text[start:text.index('"', start)]


def _load(engine: Engine, tmp_path: Path) -> None:
    files = make_files(tmp_path)
    institutions = write_csv(
        tmp_path / "web_institutions.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [
            [ORGAN, NAMES[ORGAN], "450302", "01", "", "否", "在用"],
            [OTHER, NAMES[OTHER], "450302", "021", "", "否", "在用"],
            [EDU, NAMES[EDU], "450321", "01", "", "否", "在用"],
            [SCHOOL, NAMES[SCHOOL], "450321", "021", EDU, "否", "在用"],
            [SILENT, NAMES[SILENT], "450321", "021", EDU, "否", "在用"],
        ],
    )
    profiles = write_csv(
        tmp_path / "web_profiles.csv",
        ["统一社会信用代码", "年", "用能人数", "建筑面积(平方米)"],
        [[code, 2025, 100 + i, 1000 + i] for i, code in enumerate(NAMES)],
    )
    consumption = write_csv(
        tmp_path / "web_consumption.csv",
        ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"],
        [[code, 2025, 1, 1000 * (i + 1), 10 * (i + 1)] for i, code in enumerate(NAMES)],
    )
    for kind, path in (("regions", files.regions), ("institutions", institutions),
                       ("profiles", profiles), ("consumption", consumption)):
        import_file(engine, kind, path)


def _build(engine: Engine, tmp_path: Path) -> tuple[dict[str, int], dict[str, User]]:
    """Load the world into ``engine``'s database: the institutions' ids and the accounts."""
    from argon2 import PasswordHasher

    from jieneng.services.accounts import passwords

    _load(engine, tmp_path)
    with engine.connect() as conn:
        ids = {}
        for code in NAMES:
            row = get_institution(conn, code)
            assert row is not None
            ids[code] = row.id
    pins = {
        "admin": ("admin", None, None),
        "region_admin": ("yangshuo_admin", "450321", None),
        "region": ("yangshuo", "450321", None),
        "department": ("jiaoyuju", None, EDU),
        "institution": ("school", None, SCHOOL),
        "viewer": ("viewer", "450302", None),
    }
    users = {}
    with pytest.MonkeyPatch.context() as mp:  # also when building the template
        mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
        for role, (username, region, institution) in pins.items():
            users[role] = create_user(
                engine, Actor.cli(), username=username, password=PASSWORD, role=role,
                region_code=region, institution=institution,
            )
    return ids, users


# the world is built once per worker and backend; each test gets a copy of it
register_seed("world", Path(__file__).parent,
              lambda engine, _url, directory: _build(engine, directory))


@pytest.fixture
def world(request: pytest.FixtureRequest, engine: Engine, db_url: str,
          tmp_path: Path) -> Iterator[World]:
    from jieneng.web.app import create_app

    with_siblings = seeded(request, "siblings")  # tests.web.scope_world's seed
    built = seeded(request, "world") or (with_siblings[:2] if with_siblings else None) or _build(
        engine, tmp_path)
    ids, users = built
    app = create_app(Settings(database_url=db_url, environment="test",
                              secret_key="test-secret-key-not-default"))
    w = World(app=app, engine=engine, ids=dict(ids), users=dict(users))
    try:
        yield w
    finally:
        app.state.engine.dispose()
