"""Factor set chosen per region: inheritance down the tree, validation, audit, and the
indicators that follow the choice — on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.statistics.explain import explain
from jieneng.services.statistics.factor_choice import (
    available_sets,
    describe_choice,
    effective_factor_set,
    list_choices,
    set_factor_set,
)
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from tests.sample import Files

CLI = Actor.cli()
GAS_PUBLISHED, GAS_STATISTICAL = 1.33, 1.2143  # kgce/m³ (ADR 0001)


@pytest.fixture
def loaded(engine: Engine, files: Files) -> Engine:
    for kind in ("regions", "institutions", "profiles", "consumption"):
        import_file(engine, kind, getattr(files, kind))
    return engine


def _effective(engine: Engine, code: str, default: str | None = None
               ) -> tuple[str, str | None, str | None]:
    with engine.connect() as conn:
        return effective_factor_set(conn, code, default=default)


def _gas(result: dict[str, object]) -> dict[str, object]:
    rows = result["by_carrier"]
    assert isinstance(rows, list)
    return next(r for r in rows if r["carrier"] == "natural_gas")


def test_default_until_a_region_chooses_then_inherited_down_the_tree(loaded: Engine) -> None:
    assert _effective(loaded, "450321") == ("pi-published", None, None)
    assert _effective(loaded, "450321", default="gbt2589-statistical") == (
        "gbt2589-statistical", None, None)
    set_factor_set(loaded, actor=CLI, region_code="450300", name="gbt2589-statistical",
                   co2_scope=None)
    assert _effective(loaded, "450300") == ("gbt2589-statistical", None, "450300")
    assert _effective(loaded, "450321") == ("gbt2589-statistical", None, "450300")
    assert _effective(loaded, "450000") == ("pi-published", None, None)  # above: untouched
    # a county makes its own choice; its sibling still inherits the city's
    set_factor_set(loaded, actor=CLI, region_code="450321", name="pi-published",
                   co2_scope="provincial")
    assert _effective(loaded, "450321") == ("pi-published", "provincial", "450321")
    assert _effective(loaded, "450302") == ("gbt2589-statistical", None, "450300")
    assert [(c["region_code"], c["factor_set"], c["co2_scope"]) for c in list_choices(loaded)] == [
        ("450300", "gbt2589-statistical", None), ("450321", "pi-published", "provincial")]
    described = describe_choice(loaded, "450321", default="pi-published")
    assert described["co2_scope"] == "provincial" and described["source_region"] == "450321"
    assert described["own"] == {"factor_set": "pi-published", "co2_scope": "provincial"}
    # removing the county's choice: it inherits again
    assert set_factor_set(loaded, actor=CLI, region_code="450321", name=None) is None
    assert _effective(loaded, "450321") == ("gbt2589-statistical", None, "450300")
    inherited = describe_choice(loaded, "450321")
    assert inherited["own"] is None and inherited["source_region_name"]
    assert inherited["co2_scope"] == "national"  # the set's own scope


def test_choosing_a_set_changes_the_city_by_exactly_the_gas_difference(loaded: Engine) -> None:
    query = IndicatorQuery(region_code="450300", year=2025)
    before = compute(loaded, query)
    assert before["factor_set"]["name"] == "pi-published"
    assert _gas(before)["kgce_per_unit"] == pytest.approx(GAS_PUBLISHED)
    gas_m3 = _gas(before)["quantity"]
    assert isinstance(gas_m3, float) and gas_m3 > 0

    set_factor_set(loaded, actor=CLI, region_code="450300", name="gbt2589-statistical",
                   co2_scope=None)
    after = compute(loaded, query)
    assert after["factor_set"]["name"] == "gbt2589-statistical"
    assert _gas(after)["kgce_per_unit"] == pytest.approx(GAS_STATISTICAL)
    expected = gas_m3 * (GAS_PUBLISHED - GAS_STATISTICAL) / 1000.0  # tce
    assert before["energy_tce"] - after["energy_tce"] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(100 * 0.1157 / 1000)  # the sample's 100 m³
    # only natural gas moved
    others = {r["carrier"]: r["energy_tce"] for r in before["by_carrier"]
              if r["carrier"] != "natural_gas"}
    assert others == {r["carrier"]: r["energy_tce"] for r in after["by_carrier"]
                      if r["carrier"] != "natural_gas"}
    # the children inherit; grouped results name the set too
    county = compute(loaded, IndicatorQuery(region_code="450302", year=2025, group_by="region"))
    assert county["factor_set"]["name"] == "gbt2589-statistical"
    assert all(g["factor_set"]["name"] == "gbt2589-statistical" for g in county["groups"])
    # the explanation follows the region's choice by itself (page = API = CLI)
    _, _, source = _effective(loaded, "450300")
    explained = explain(loaded, Scope.everything(), region_code="450300", year=2025)
    assert explained["factor_set"]["name"] == "gbt2589-statistical" and source == "450300"
    assert explained["figures"]["energy_tce"] == pytest.approx(after["energy_tce"])
    gas_row = next(c for c in explained["factor_set"]["coefficients"]
                   if c["carrier"] == "natural_gas")
    assert gas_row["source_value"] == pytest.approx(GAS_STATISTICAL)
    # a query that names a set still gets that set
    named = compute(loaded, IndicatorQuery(region_code="450300", year=2025,
                                           factor_set="pi-published"))
    assert named["factor_set"]["name"] == "pi-published"
    assert named["energy_tce"] == pytest.approx(before["energy_tce"])
    # the dashboard overview follows the choice too
    from jieneng.services.statistics.overview import overview

    seen = overview(loaded, Scope.everything(), region_code="450300", year=2025)
    assert seen["factor_set"]["name"] == "gbt2589-statistical"
    assert seen["energy_tce"] == pytest.approx(after["energy_tce"])


def test_chosen_co2_scope_is_applied_unless_the_query_names_one(loaded: Engine) -> None:
    set_factor_set(loaded, actor=CLI, region_code="450300", name="pi-published",
                   co2_scope="regional")
    result = compute(loaded, IndicatorQuery(region_code="450300", year=2025))
    assert result["factor_set"]["electricity_co2_scope"] == "regional"
    asked = compute(loaded, IndicatorQuery(region_code="450300", year=2025,
                                           co2_scope="national"))
    assert asked["factor_set"]["electricity_co2_scope"] == "national"
    assert result["energy_tce"] == pytest.approx(asked["energy_tce"])
    assert result["co2_t"] != pytest.approx(asked["co2_t"])


def test_installation_default_when_nothing_is_chosen(loaded: Engine) -> None:
    query = IndicatorQuery(region_code="450300", year=2025,
                           default_factor_set="gbt2589-statistical")
    assert compute(loaded, query)["factor_set"]["name"] == "gbt2589-statistical"
    set_factor_set(loaded, actor=CLI, region_code="450000", name="pi-published")
    assert compute(loaded, query)["factor_set"]["name"] == "pi-published"


def test_validation(loaded: Engine) -> None:
    with pytest.raises(ValidationFailed) as bad_set:
        set_factor_set(loaded, actor=CLI, region_code="450300", name="made-up")
    assert bad_set.value.details["field"] == "factor_set"
    with pytest.raises(ValidationFailed) as bad_scope:
        set_factor_set(loaded, actor=CLI, region_code="450300", name="pi-published",
                       co2_scope="global")
    assert bad_scope.value.details["field"] == "co2_scope"
    with pytest.raises(ValidationFailed):
        set_factor_set(loaded, actor=CLI, region_code="450300", name=None, co2_scope="regional")
    with pytest.raises(NotFound):
        set_factor_set(loaded, actor=CLI, region_code="999999", name="pi-published")
    with pytest.raises(NotFound):
        describe_choice(loaded, "999999")
    assert list_choices(loaded) == []
    assert [s["name"] for s in available_sets()] == ["pi-published", "gbt2589-statistical"]


def test_admins_only_and_every_change_is_audited(loaded: Engine) -> None:
    officer = create_user(loaded, CLI, username="officer", password="Correct-Horse-Battery-9",
                          role="region", region_code="450300")
    admin = create_user(loaded, CLI, username="root", password="Correct-Horse-Battery-9",
                        role="admin")
    with pytest.raises(NotPermitted):
        set_factor_set(loaded, actor=officer.actor, region_code="450300",
                       name="gbt2589-statistical")
    assert list_choices(loaded) == []
    set_factor_set(loaded, actor=admin.actor, region_code="450300", name="gbt2589-statistical")
    set_factor_set(loaded, actor=admin.actor, region_code="450300", name="gbt2589-statistical")
    set_factor_set(loaded, actor=admin.actor, region_code="450300", name="pi-published",
                   co2_scope="regional")
    set_factor_set(loaded, actor=admin.actor, region_code="450300", name="")
    entries = [e for e in audit.list_entries(loaded)["items"]
               if e["action"].startswith("factor_set.")]
    assert [(e["action"], e["object_id"], e["username"], e["before"], e["after"])
            for e in reversed(entries)] == [  # the unchanged repeat is not recorded
        ("factor_set.set", "450300", "root", None,
         {"factor_set": "gbt2589-statistical", "co2_scope": None}),
        ("factor_set.set", "450300", "root",
         {"factor_set": "gbt2589-statistical", "co2_scope": None},
         {"factor_set": "pi-published", "co2_scope": "regional"}),
        ("factor_set.clear", "450300", "root",
         {"factor_set": "pi-published", "co2_scope": "regional"}, None),
    ]


def test_scope_of_describe_choice(loaded: Engine) -> None:
    set_factor_set(loaded, actor=CLI, region_code="450300", name="gbt2589-statistical")
    county = Scope.region("450321")
    assert describe_choice(loaded, "450321", scope=county)["source_region"] == "450300"
    for outside in ("450302", "450300", "999999"):
        with pytest.raises(NotFound):
            describe_choice(loaded, outside, scope=county)
