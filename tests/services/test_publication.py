"""Publication of a (region, year) for the public big screen: covers the subtree, needs
data, administrators only, audited in the same transaction — on both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.publishing.publication import (
    list_publications,
    publication_key,
    publish,
    published_year,
    published_years,
    screen_state,
    withdraw,
)
from jieneng.storage import meta, regions
from tests.sample import Files

CLI = Actor.cli()
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def loaded(engine: Engine, files: Files) -> Engine:
    """桂林 regions; figures in 2025 for 秀峰区 (450302) and 阳朔县 (450321) only."""
    for kind in ("regions", "institutions", "profiles", "consumption"):
        import_file(engine, kind, getattr(files, kind))
    return engine


def _tree(engine: Engine) -> RegionTree:
    with engine.connect() as conn:
        return RegionTree(regions.load_regions(conn))


def _entries(engine: Engine, action: str) -> list[dict[str, object]]:
    items = audit.list_entries(engine, per_page=200)["items"]
    return [e for e in items if e["action"] == action]


def test_nothing_published_until_an_administrator_publishes(loaded: Engine) -> None:
    tree = _tree(loaded)
    assert published_year(loaded, "450321", tree=tree) is None
    assert list_publications(loaded) == []
    assert screen_state(loaded, "450321")["years"] == []


def test_a_year_published_for_a_city_covers_its_whole_subtree(loaded: Engine) -> None:
    tree = _tree(loaded)
    item = publish(loaded, actor=CLI, region_code="450300", year=2025)
    assert item["region_name"] == "桂林市" and item["year"] == 2025
    assert item["published_by"] == "cli" and item["published_at"]
    for code in ("450300", "450302", "450321", "450323"):  # city, counties (with or without data)
        assert published_year(loaded, code, tree=tree) == 2025, code
    assert published_year(loaded, "450000", tree=tree) is None  # the province above: not covered
    assert published_year(loaded, "999999", tree=tree) is None  # unknown: nothing
    with loaded.connect() as conn:  # a connection works as well as an engine
        assert published_year(conn, "450321", tree=tree) == 2025
        stored = json.loads(meta.get_meta(conn, "publish:450300:2025") or "")
    assert stored["by"] == "cli" and stored["user_id"] is None
    assert publication_key("450300", 2025) == "publish:450300:2025"


def test_a_county_publication_does_not_reach_its_siblings_or_the_city(loaded: Engine) -> None:
    tree = _tree(loaded)
    publish(loaded, actor=CLI, region_code="450321", year=2025)
    assert published_year(loaded, "450321", tree=tree) == 2025
    assert published_year(loaded, "450302", tree=tree) is None
    assert published_year(loaded, "450300", tree=tree) is None


def test_the_latest_covering_year_wins(loaded: Engine) -> None:
    tree = _tree(loaded)
    with loaded.begin() as conn:  # an older mark (as if 2024 had held data when published)
        meta.set_meta(conn, "publish:450300:2024", json.dumps({"by": "cli", "at": None}))
        meta.set_meta(conn, "publish:450321:2019", "not json")  # unreadable value: still a mark
        meta.set_meta(conn, "publish:bad:key", "{}")  # malformed key: ignored
    publish(loaded, actor=CLI, region_code="450321", year=2025)
    assert published_years(loaded, "450321", tree=tree) == [2019, 2024, 2025]
    assert published_year(loaded, "450321", tree=tree) == 2025
    assert published_year(loaded, "450302", tree=tree) == 2024
    listed = [(p["region_code"], p["year"]) for p in list_publications(loaded)]
    assert listed == [("450300", 2024), ("450321", 2025), ("450321", 2019)]


def test_a_year_without_data_cannot_be_published(loaded: Engine) -> None:
    with pytest.raises(ValidationFailed) as err:
        publish(loaded, actor=CLI, region_code="450300", year=2024)
    assert err.value.details["field"] == "year"
    assert "没有数据" in err.value.message("zh") and "no figures" in err.value.message("en")
    with pytest.raises(ValidationFailed):  # 2025 has figures, but none in this county
        publish(loaded, actor=CLI, region_code="450323", year=2025)
    with pytest.raises(ValidationFailed):
        publish(loaded, actor=CLI, region_code="450300", year=1066)
    with pytest.raises(NotFound):
        publish(loaded, actor=CLI, region_code="999999", year=2025)
    assert list_publications(loaded) == []
    assert _entries(loaded, "publication.publish") == []


def test_only_administrators_publish_and_withdraw(loaded: Engine) -> None:
    region = create_user(loaded, CLI, username="guilin", password=PASSWORD, role="region",
                         region_code="450300")
    admin = create_user(loaded, CLI, username="boss", password=PASSWORD, role="admin")
    with pytest.raises(NotPermitted) as err:
        publish(loaded, actor=region.actor, region_code="450300", year=2025)
    assert "管理员" in err.value.message("zh") and "administrators" in err.value.message("en")
    assert list_publications(loaded) == []
    publish(loaded, actor=admin.actor, region_code="450300", year=2025)
    with pytest.raises(NotPermitted):
        withdraw(loaded, actor=region.actor, region_code="450300", year=2025)
    assert [p["published_by"] for p in list_publications(loaded)] == ["boss"]
    assert len(_entries(loaded, "publication.withdraw")) == 0


def test_publish_and_withdraw_are_audited_with_before_and_after(loaded: Engine) -> None:
    admin = create_user(loaded, CLI, username="boss", password=PASSWORD, role="admin")
    tree = _tree(loaded)
    publish(loaded, actor=admin.actor, region_code="450300", year=2025)
    publish(loaded, actor=admin.actor, region_code="450300", year=2025)  # again: no change
    (entry,) = _entries(loaded, "publication.publish")
    assert entry["username"] == "boss" and entry["user_id"] == admin.id
    assert entry["object_type"] == "region" and entry["object_id"] == "450300:2025"
    assert entry["before"] is None
    after = entry["after"]
    assert isinstance(after, dict)
    assert after["region_code"] == "450300" and after["year"] == 2025 and after["by"] == "boss"
    withdraw(loaded, actor=admin.actor, region_code="450300", year=2025)
    assert published_year(loaded, "450321", tree=tree) is None
    (gone,) = _entries(loaded, "publication.withdraw")
    assert gone["after"] is None and isinstance(gone["before"], dict)
    assert gone["before"]["year"] == 2025
    with pytest.raises(NotFound):  # withdrawn already
        withdraw(loaded, actor=admin.actor, region_code="450300", year=2025)
    assert len(_entries(loaded, "publication.withdraw")) == 1


def test_withdrawing_below_leaves_a_mark_above(loaded: Engine) -> None:
    tree = _tree(loaded)
    publish(loaded, actor=CLI, region_code="450300", year=2025)
    publish(loaded, actor=CLI, region_code="450321", year=2025)
    withdraw(loaded, actor=CLI, region_code="450321", year=2025)
    assert published_year(loaded, "450321", tree=tree) == 2025  # the city's mark still covers it
    with pytest.raises(NotFound):  # the county has no mark of its own to withdraw
        withdraw(loaded, actor=CLI, region_code="450321", year=2025)


def test_screen_state_names_the_region_and_refuses_unknown_ones(loaded: Engine) -> None:
    publish(loaded, actor=CLI, region_code="450300", year=2025)
    state = screen_state(loaded, "450321")
    assert state["region"] == {"code": "450321", "name": "阳朔县"}
    assert state["years"] == [2025]
    with pytest.raises(NotFound):
        screen_state(loaded, "999999")


# ------------------------------------------------------------ completeness (issue 11 §1)
def _open_year(engine: Engine, region: str, months: range, approved: int) -> None:
    """Open the months as periods of ``region``; the first ``approved`` tasks (by id) of
    each are approved, the rest left not started."""
    from sqlalchemy import select, update

    from jieneng.core.caller import command_line_user
    from jieneng.services.workflow.periods import open_period
    from jieneng.storage import tables as t

    for month in months:
        open_period(engine, command_line_user(), region_code=region, period=f"2025-{month:02d}")
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(select(t.reporting_task.c.id)
                                          .order_by(t.reporting_task.c.id))]
        conn.execute(update(t.reporting_task).where(t.reporting_task.c.id.in_(ids[:approved]))
                     .values(state="approved"))


def test_readiness_shows_what_becomes_public_and_the_rates(loaded: Engine) -> None:
    from jieneng.services.publishing.publication import Thresholds, readiness

    ready = readiness(loaded, "450300", 2025, Thresholds())
    assert ready["region"] == {"code": "450300", "name": "桂林市"}
    assert ready["published"] is False and ready["covered_by"] == []
    assert ready["figures"]["energy_tce"] > 0 and ready["figures"]["institutions_reported"] >= 2
    assert {k: ready["tasks"][k] for k in ("expected", "reported", "approved", "not_due")
            } == {"expected": 0, "reported": 0, "approved": 0, "not_due": 0}
    assert ready["reporting_rate"] is None and ready["complete"] is False
    assert ready["shortfalls"] == ["reporting_rate", "review_rate"]
    # a threshold of 0 turns its check off
    assert readiness(loaded, "450300", 2025, Thresholds(0, 0))["complete"] is True
    _open_year(loaded, "450300", range(1, 2), approved=10**6)
    ready = readiness(loaded, "450300", 2025, Thresholds())
    assert ready["reporting_rate"] == ready["review_rate"] == 1.0 and ready["complete"]
    publish(loaded, actor=CLI, region_code="450300", year=2025)
    covered = readiness(loaded, "450321", 2025, Thresholds())
    assert covered["covered_by"] == ["450300"] and covered["published"] is False


def test_an_incomplete_year_is_refused_unless_a_reason_is_given(loaded: Engine) -> None:
    from jieneng.services.publishing.publication import Thresholds

    _open_year(loaded, "450300", range(1, 3), approved=1)
    with pytest.raises(ValidationFailed) as refused:
        publish(loaded, actor=CLI, region_code="450300", year=2025, thresholds=Thresholds())
    assert refused.value.code == "publication.incomplete"
    assert refused.value.details["field"] == "override_reason"
    assert "上报率" in refused.value.message_zh and "reporting rate" in refused.value.message_en
    assert list_publications(loaded) == []
    with pytest.raises(ValidationFailed) as long:
        publish(loaded, actor=CLI, region_code="450300", year=2025, thresholds=Thresholds(),
                override_reason="x" * 501)
    assert long.value.code == "publication.reason_too_long"
    item = publish(loaded, actor=CLI, region_code="450300", year=2025,
                   thresholds=Thresholds(), override_reason="  人大要求  提前公开 ")
    assert item["override_reason"] == "人大要求 提前公开"
    assert list_publications(loaded)[0]["override_reason"] == "人大要求 提前公开"
    (entry,) = _entries(loaded, "publication.publish")
    assert entry["after"]["override_reason"] == "人大要求 提前公开"
    assert entry["after"]["complete"] is False and 0 < entry["after"]["review_rate"] < 0.9
