"""Evaluation schemes on both databases: install the shipped ones (idempotent), load a
local variant as a new version (an identical file stores nothing), dry run, a bad
sheet stores nothing, who may load for which region, the reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, func, select

from jieneng.core.campaigns.shipped import SHIPPED, shipped_text
from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.ingest.campaign_schemes import template_csv
from jieneng.services.campaigns.schemes import (
    get_scheme,
    install_shipped,
    list_schemes,
    load_scheme,
    scheme_version,
)
from jieneng.storage import campaigns as c
from jieneng.storage import tables as t
from tests.sample import Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
CITY_ADMIN = user(Role.REGION_ADMIN, "450300", uid=2)
COUNTY_ADMIN = user(Role.REGION_ADMIN, "450321", uid=3)


@pytest.fixture
def world(engine: Engine, files: Files) -> Engine:
    load(engine, files)
    return engine


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_install_shipped_is_idempotent_and_lists_every_scheme(world: Engine) -> None:
    listed = list_schemes(world)
    assert {s["code"] for s in listed} == set(SHIPPED) and not any(s["stored"] for s in listed)
    assert install_shipped(world, ADMIN) == {"added": len(SHIPPED), "unchanged": 0}
    assert install_shipped(world, ADMIN) == {"added": 0, "unchanged": len(SHIPPED)}
    listed = list_schemes(world)
    assert all(s["stored"] and s["version"] == 1 and s["origin"] == "shipped" for s in listed)
    shown = get_scheme(world, "demonstration_unit")
    assert shown["version"] == 1 and shown["total"] == 110
    per_area = next(n for n in shown["nodes"] if n["code"] == "energy.per_area")
    assert [b["points"] for b in per_area["bands"]] == [7, 6, 5, 4, 0]
    with world.connect() as conn:
        items = c.items(conn, shown["id"])
    assert [i["code"] for i in items][:2] == ["energy", "energy.per_area"]
    with world.connect() as conn:
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert actions.count("campaigns.scheme_install") == len(SHIPPED)


def test_a_local_variant_is_a_new_version(world: Engine, tmp_path: Path) -> None:
    install_shipped(world, ADMIN)
    path = tmp_path / "local.csv"
    text = shipped_text("water_saving_unit").replace(
        "pass,min_score,,,,,,,,,,,90", "pass,min_score,,,,,,,,,,,85")
    assert text != shipped_text("water_saving_unit")
    path.write_text(text, encoding="utf-8")
    checked = load_scheme(world, CITY_ADMIN, path, dry_run=True)
    assert checked.dry_run and checked.version is None and checked.region_code == "450300"
    assert count(world, c.campaign_scheme_version) == len(SHIPPED)
    made = load_scheme(world, CITY_ADMIN, path)
    assert (made.code, made.version, made.region_code) == ("water_saving_unit", 2, "450300")
    again = load_scheme(world, CITY_ADMIN, path)
    assert again.unchanged and again.version == 2
    scheme, record = scheme_version(world, "water_saving_unit")
    assert record["origin"] == "local" and record["region_code"] == "450300"
    assert next(p.value for p in scheme.pass_rules if p.kind.value == "min_score") == 85
    old, _ = scheme_version(world, "water_saving_unit", 1)
    assert next(p.value for p in old.pass_rules if p.kind.value == "min_score") == 90
    with pytest.raises(NotFound):
        scheme_version(world, "water_saving_unit", 9)


def test_a_bad_sheet_stores_nothing(world: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(template_csv().replace("能源资源消耗指标,energy use,14".encode(),
                                            "能源资源消耗指标,energy use,15".encode()))
    batches = count(world, t.import_batch)
    with pytest.raises(ImportRejected) as caught:
        load_scheme(world, ADMIN, path)
    assert {i.code for i in caught.value.issues} >= {"campaign_points_mismatch"}
    assert count(world, c.campaign_scheme) == 0
    assert count(world, c.campaign_scheme_version) == 0
    assert count(world, t.import_batch) == batches


def test_who_may_load_for_which_region(world: Engine, tmp_path: Path) -> None:
    path = tmp_path / "local.csv"
    path.write_bytes(template_csv())
    assert load_scheme(world, COUNTY_ADMIN, path).region_code == "450321"
    assert load_scheme(world, CITY_ADMIN, path, region_code="450321").unchanged
    with pytest.raises(NotPermitted) as outside:
        load_scheme(world, COUNTY_ADMIN, path, region_code="450300")
    assert outside.value.code == "campaign_scheme_region_outside"
    with pytest.raises(CapabilityRequired):
        load_scheme(world, user(Role.REGION, "450300", uid=4), path)
    with pytest.raises(NotPermitted):
        install_shipped(world, CITY_ADMIN)
    assert load_scheme(world, ADMIN, path).region_code is None  # everywhere


def test_an_unknown_scheme(world: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        get_scheme(world, "nothing")
    assert caught.value.code == "campaign_scheme_not_found"
