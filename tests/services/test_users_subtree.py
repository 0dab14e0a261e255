"""A 管理机构管理员 (region_admin) manages the accounts of its subtree, and only those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jieneng.core.caller import Actor, User, scope_of
from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import NotFound, NotPermitted
from jieneng.core.permissions import Role
from jieneng.services.accounts import audit
from jieneng.services.accounts.accounts import (
    create_user,
    get_manageable_user,
    list_users,
    manageable_roles,
    update_user,
)
from jieneng.services.entry.imports import import_file
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files, write_csv

CLI = Actor.cli()
PASSWORD = "Correct-Horse-Battery-9"
#: 阳朔县 教育局 with its school in 阳朔县; a 文旅局 in 阳朔县 with a unit in 秀峰区
EDU = make_credit_code("11", "450321", 3001)
EDU_SCHOOL = make_credit_code("12", "450321", 3002)
CROSS = make_credit_code("11", "450321", 4001)
CROSS_UNIT = make_credit_code("12", "450302", 4002)


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with small parameters: the default costs ~0.5 s per hash."""
    from argon2 import PasswordHasher

    from jieneng.services.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))


@pytest.fixture
def loaded(engine: Engine, files: Files, tmp_path: Path) -> Engine:
    for kind in ("regions", "institutions"):
        import_file(engine, kind, getattr(files, kind))
    more = write_csv(
        tmp_path / "departments.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [
            [EDU, "阳朔县演示教育局", "450321", "01", "", "否", "在用"],
            [EDU_SCHOOL, "阳朔县演示第三中学", "450321", "021", EDU, "否", "在用"],
            [CROSS, "阳朔县演示文旅局", "450321", "01", "", "否", "在用"],
            [CROSS_UNIT, "秀峰区演示文旅服务站", "450302", "03", CROSS, "否", "在用"],
        ],
    )
    import_file(engine, "institutions", more)
    return engine


def _make(engine: Engine, actor: Actor, username: str, role: str, *,
          region: str | None = None, institution: str | None = None) -> User:
    return create_user(engine, actor, username=username, password=PASSWORD, role=role,
                       region_code=region, institution=institution)


@pytest.fixture
def city(loaded: Engine) -> User:
    """The 节能科 chief of 桂林市 (450300)."""
    return _make(loaded, CLI, "guilin_admin", "region_admin", region="450300")


@pytest.fixture
def county(loaded: Engine) -> User:
    """The account manager of 阳朔县 (450321)."""
    return _make(loaded, CLI, "yangshuo_admin", "region_admin", region="450321")


def _entries(engine: Engine, action: str) -> list[dict[str, Any]]:
    return [e for e in audit.list_entries(engine, per_page=500)["items"]
            if e["action"] == action]


def test_region_admin_sees_data_exactly_as_a_region_user(city: User) -> None:
    assert city.role is Role.REGION_ADMIN
    assert city.scope == scope_of(Role.REGION, "450300", None)
    assert city.can_write and city.can_manage_accounts and not city.is_admin
    assert not _user_of_role(Role.REGION).can_manage_accounts
    assert manageable_roles(city) == [Role.REGION, Role.DEPARTMENT, Role.INSTITUTION,
                                      Role.VIEWER]


def _user_of_role(role: Role) -> User:
    return User(1, "x", "x", role, "450300", None, False, None, None)


def test_city_admin_creates_accounts_below_it_audited(loaded: Engine, city: User) -> None:
    made = [
        _make(loaded, city.actor, "yangshuo", "region", region="450321"),
        _make(loaded, city.actor, "guilin_viewer", "viewer", region="450300"),
        _make(loaded, city.actor, "edu", "department", institution=EDU),
        _make(loaded, city.actor, "cross", "department", institution=CROSS),
        _make(loaded, city.actor, "organ", "institution", institution=ORGAN),
    ]
    created = {e["object_id"]: e for e in _entries(loaded, "user.create")}
    for user in made:
        entry = created[str(user.id)]
        assert entry["username"] == "guilin_admin" and entry["user_id"] == city.id


@pytest.mark.parametrize(("role", "region", "institution"), [
    ("admin", None, None),
    ("region_admin", "450321", None),  # never another account manager, even below
    ("region", "450300", None),  # not at its own level
    ("region", "450000", None),  # not above
    ("viewer", "450000", None),
])
def test_city_admin_cannot_create_at_or_above_its_level(
    loaded: Engine, city: User, role: str, region: str | None, institution: str | None
) -> None:
    before = len(_entries(loaded, "user.create"))
    with pytest.raises(NotPermitted):
        _make(loaded, city.actor, "intruder", role, region=region, institution=institution)
    with loaded.connect() as conn:
        assert conn.execute(select(t.app_user.c.id).where(
            t.app_user.c.username == "intruder")).first() is None
    assert len(_entries(loaded, "user.create")) == before


def test_county_admin_is_limited_to_its_county(loaded: Engine, county: User) -> None:
    _make(loaded, county.actor, "school", "institution", institution=SCHOOL)
    _make(loaded, county.actor, "edu", "department", institution=EDU)
    _make(loaded, county.actor, "county_viewer", "viewer", region="450321")
    for role, region, inst in (("institution", None, ORGAN), ("viewer", "450302", None),
                               ("region", "450302", None), ("region", "450321", None),
                               # a department with a unit outside the county sees outside
                               ("department", None, CROSS)):
        with pytest.raises(NotPermitted):
            _make(loaded, county.actor, "outside", role, region=region, institution=inst)


def test_the_list_holds_only_the_subtree_filtered_in_the_query(
    loaded: Engine, city: User, county: User
) -> None:
    inside = [
        _make(loaded, CLI, "school", "institution", institution=SCHOOL),
        _make(loaded, CLI, "silent", "institution", institution=SILENT),
        _make(loaded, CLI, "edu", "department", institution=EDU),
        _make(loaded, CLI, "county_viewer", "viewer", region="450321"),
    ]
    outside = [
        _make(loaded, CLI, "root", "admin"),
        _make(loaded, CLI, "organ", "institution", institution=ORGAN),
        _make(loaded, CLI, "cross", "department", institution=CROSS),
        _make(loaded, CLI, "yangshuo", "region", region="450321"),  # a peer
        _make(loaded, CLI, "xiufeng_viewer", "viewer", region="450302"),
    ]
    data = list_users(loaded, actor=county.actor, per_page=2)
    assert data["total"] == len(inside)
    assert len(data["items"]) == 2
    names = {u.username for p in (1, 2) for u in
             list_users(loaded, actor=county.actor, page=p, per_page=2)["items"]}
    assert names == {u.username for u in inside}
    # the city manager sees the county's accounts, the county manager is not among them
    city_names = {u.username for u in list_users(loaded, actor=city.actor, per_page=100)["items"]}
    assert city_names == {u.username for u in inside} | {"organ", "cross", "yangshuo",
                                                         "xiufeng_viewer"}
    # the administrator (and the command line) see everyone
    assert list_users(loaded)["total"] == len(inside) + len(outside) + 2
    assert {u.username for u in outside} & names == set()


def test_changes_inside_are_audited_outside_are_404(loaded: Engine, county: User) -> None:
    school = _make(loaded, CLI, "school", "institution", institution=SCHOOL)
    organ = _make(loaded, CLI, "organ", "institution", institution=ORGAN)
    peer = _make(loaded, CLI, "yangshuo", "region", region="450321")
    locked = update_user(loaded, county.actor, school.id, locked=True)
    assert locked.is_locked
    entry = _entries(loaded, "user.lock")[0]
    assert entry["username"] == "yangshuo_admin" and entry["object_id"] == str(school.id)
    update_user(loaded, county.actor, school.id, password="Another-Password-1")
    assert _entries(loaded, "user.password")[0]["username"] == "yangshuo_admin"
    assert get_manageable_user(loaded, county.actor, school.id).id == school.id
    for target in (organ, peer, county):  # outside, a peer, itself
        with pytest.raises(NotFound):
            get_manageable_user(loaded, county.actor, target.id)
        with pytest.raises(NotFound):
            update_user(loaded, county.actor, target.id, locked=True)
    with pytest.raises(NotFound):
        get_manageable_user(loaded, county.actor, 999_999)


def test_a_change_that_would_leave_the_subtree_is_refused_and_rolled_back(
    loaded: Engine, county: User
) -> None:
    viewer = _make(loaded, CLI, "county_viewer", "viewer", region="450321")
    for changes in ({"role": "admin"}, {"role": "region_admin"},
                    {"region_code": "450302"}, {"role": "institution", "institution": ORGAN},
                    {"role": "region", "region_code": "450321"}):
        with pytest.raises(NotPermitted):
            update_user(loaded, county.actor, viewer.id, **changes)  # type: ignore[arg-type]
    with loaded.connect() as conn:
        row = conn.execute(select(t.app_user).where(t.app_user.c.id == viewer.id)).one()
    assert (row.role, row.region_code, row.institution_id) == ("viewer", "450321", None)
    assert _entries(loaded, "user.update") == []
    moved = update_user(loaded, county.actor, viewer.id, role="institution", institution=SILENT)
    assert moved.role is Role.INSTITUTION


def test_other_roles_manage_nothing(loaded: Engine) -> None:
    region = _make(loaded, CLI, "yangshuo", "region", region="450321")
    school = _make(loaded, CLI, "school", "institution", institution=SCHOOL)
    with pytest.raises(NotPermitted):
        _make(loaded, region.actor, "new", "viewer", region="450321")
    with pytest.raises(NotPermitted):
        list_users(loaded, actor=school.actor)
    with pytest.raises(NotPermitted):
        update_user(loaded, region.actor, school.id, locked=True)


def test_an_administrator_still_manages_every_account(loaded: Engine, city: User) -> None:
    root = _make(loaded, CLI, "root", "admin")
    other = _make(loaded, root.actor, "root2", "admin")
    update_user(loaded, root.actor, city.id, locked=True)
    update_user(loaded, root.actor, other.id, role="region_admin", region_code="450321")
    assert get_manageable_user(loaded, root.actor, city.id).is_locked
