"""The metering registry on both databases: one account → one institution at a time
(conflict naming both), binding history, meters checked by core.metering, replacement
continuity, virtual meters (cycles refused), scope, roles, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.services.metering.listing import institution_registry
from jieneng.services.metering.registry import (
    MeterSpec,
    add_meter,
    bind_account,
    define_virtual,
    remove_meter,
    replace_meter,
    unbind_account,
)
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    return load(engine, files)


def bind(engine: Engine, code: str, number: str = "0301234567", when: date = date(2026, 1, 1),
         who: object = ADMIN) -> dict[str, object]:
    return bind_account(engine, who, credit_code=code, carrier_text="电",  # type: ignore[arg-type]
                        number=number, valid_from=when, utility="广西电网")


def test_bind_is_idempotent_and_a_second_institution_is_refused_naming_both(
    engine: Engine, ids: dict[str, int]
) -> None:
    first = bind(engine, ORGAN)
    assert first["created"] and first["carrier"] == "electricity"
    again = bind(engine, ORGAN)
    assert not again["created"] and again["binding_id"] == first["binding_id"]
    with pytest.raises(Conflict) as err:
        bind(engine, SCHOOL)
    assert err.value.code == "metering.registry.account_bound_elsewhere"
    assert "秀峰区演示机关事务服务中心" in err.value.message_zh
    assert "阳朔县演示第一中学" in err.value.message_zh
    assert "阳朔县演示第一中学" in err.value.message_en and "0301234567" in err.value.message_en
    with engine.connect() as conn:
        assert conn.execute(select(m.metering_binding)).all().__len__() == 1


def test_unbind_keeps_history_and_then_another_institution_may_bind(
    engine: Engine, ids: dict[str, int]
) -> None:
    bind(engine, ORGAN)
    with pytest.raises(ValidationFailed):
        unbind_account(engine, ADMIN, carrier_text="electricity", number="0301234567",
                       valid_to=date(2026, 1, 1))
    unbind_account(engine, ADMIN, carrier_text="electricity", number="0301234567",
                   valid_to=date(2026, 7, 1))
    with pytest.raises(Conflict):  # would start inside the ended binding
        bind(engine, SCHOOL, when=date(2026, 6, 30))
    with pytest.raises(Conflict) as err:  # the same unit again, inside its ended binding
        bind(engine, ORGAN, when=date(2026, 3, 1))
    assert err.value.code == "metering.registry.binding_overlaps"
    bind(engine, SCHOOL, when=date(2026, 7, 1))
    organ = institution_registry(engine, ADMIN, ORGAN, history=True)
    assert [(a["valid_from"], a["valid_to"]) for a in organ["accounts"]] == [
        ("2026-01-01", "2026-07-01")]
    assert institution_registry(engine, ADMIN, ORGAN)["accounts"] == []
    school = institution_registry(engine, ADMIN, SCHOOL)["accounts"]
    assert [(a["number"], a["valid_to"]) for a in school] == [("0301234567", None)]
    with engine.connect() as conn:
        actions = conn.execute(select(t.audit_log.c.action).order_by(t.audit_log.c.id))
        assert [a for a in actions.scalars() if a.startswith("metering.")] == [
            "metering.bind", "metering.unbind", "metering.bind"]


def test_a_school_cannot_bind_another_units_account_nor_touch_its_meters(
    engine: Engine, ids: dict[str, int]
) -> None:
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    bind(engine, ORGAN)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("M1", "electricity", account="0301234567"))
    with pytest.raises(Conflict) as err:  # the other unit is not named to the school
        bind(engine, SCHOOL, who=school)
    assert "秀峰区" not in err.value.message_zh and "不在您的范围内" in err.value.message_zh
    with pytest.raises(NotFound):  # another unit as target: as if it did not exist
        bind(engine, SILENT, number="999", who=school)
    with pytest.raises(NotFound):
        replace_meter(engine, school, ORGAN, "M1", at=datetime(2026, 3, 1), final=1.0,
                      initial=0.0)
    with pytest.raises(NotFound):
        unbind_account(engine, school, carrier_text="电", number="0301234567",
                       valid_to=date(2026, 7, 1))
    with pytest.raises(NotFound):
        institution_registry(engine, school, ORGAN)
    assert bind(engine, SCHOOL, number="0309", who=school)["created"]
    viewer = user(Role.VIEWER, region="450300", uid=6)
    with pytest.raises(NotPermitted):
        bind(engine, SCHOOL, number="0310", who=viewer)


def test_meter_checks_account_parent_and_domain(engine: Engine, ids: dict[str, int]) -> None:
    bind(engine, ORGAN)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("TOTAL", "电", "01000", ct=40, pt=100,
                                              account="0301234567", name="总表"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "electricity", "01b00", parent="TOTAL"))
    with pytest.raises(Conflict):
        add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "electricity"))
    with pytest.raises(ValidationFailed) as err:
        add_meter(engine, ADMIN, ORGAN, MeterSpec("W1", "water", "01A00"))
    assert err.value.code == "metering.item_code_carrier"
    with pytest.raises(ValidationFailed) as err:
        add_meter(engine, ADMIN, ORGAN, MeterSpec("X", "electricity", parent="NOPE"))
    assert err.value.code == "metering.unknown_parent"
    with pytest.raises(ValidationFailed) as err:
        add_meter(engine, ADMIN, SCHOOL, MeterSpec("S", "electricity", account="0301234567"))
    assert err.value.code == "metering.registry.account_not_bound"
    with pytest.raises(ValidationFailed):
        add_meter(engine, ADMIN, ORGAN, MeterSpec("Y", "electricity", ct=0))
    meters = {x["number"]: x for x in institution_registry(engine, ADMIN, ORGAN)["meters"]}
    assert meters["TOTAL"]["multiplier"] == 4000 and meters["TOTAL"]["account"] == "0301234567"
    assert meters["AC"]["parent"] == "TOTAL" and meters["AC"]["item_code"] == "01B00"


def test_replacement_records_both_readings_and_keeps_history_continuous(
    engine: Engine, ids: dict[str, int]
) -> None:
    add_meter(engine, ADMIN, ORGAN, MeterSpec("M", "electricity", ct=40,
                                              installed_at=datetime(2026, 1, 1),
                                              initial=100.0))
    out = replace_meter(engine, ADMIN, ORGAN, "M", at=datetime(2026, 3, 1, 10, 0),
                        final=500.6, initial=0.0, ct=60)
    assert (out["final"], out["initial"], out["multiplier"]) == (500.6, 0.0, 60.0)
    with pytest.raises(ValidationFailed) as err:  # not after the last event
        replace_meter(engine, ADMIN, ORGAN, "M", at=datetime(2026, 2, 1), final=1.0,
                      initial=0.0)
    assert err.value.code == "metering.registry.event_not_after_last"
    remove_meter(engine, ADMIN, ORGAN, "M", at=datetime(2026, 6, 1), final=820.0)
    with pytest.raises(ValidationFailed) as err:  # nothing to replace after removal
        replace_meter(engine, ADMIN, ORGAN, "M", at=datetime(2026, 7, 1), final=1.0,
                      initial=0.0)
    assert err.value.code == "metering.event_order"
    (meter,) = institution_registry(engine, ADMIN, ORGAN)["meters"]
    assert meter["status"] == "removed"
    assert [(e["kind"], e["time"], e["final"], e["initial"]) for e in meter["events"]] == [
        ("install", "2026-01-01 00:00", None, 100.0),
        ("replace", "2026-03-01 10:00", 500.6, 0.0),
        ("remove", "2026-06-01 00:00", 820.0, None)]
    with engine.connect() as conn:
        ts = conn.execute(select(m.metering_event.c.ts).where(
            m.metering_event.c.kind == "replace")).scalar_one()
    assert ts == int(datetime(2026, 3, 1, 2, 0, tzinfo=UTC).timestamp())  # 10:00 China


def test_virtual_meters_are_parsed_and_loops_refused(engine: Engine,
                                                     ids: dict[str, int]) -> None:
    add_meter(engine, ADMIN, ORGAN, MeterSpec("BUILDING", "electricity"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("DC", "electricity"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("W", "water"))
    assert define_virtual(engine, ADMIN, ORGAN, number="OFFICE", carrier_text="电",
                          formula="BUILDING - DC")["created"]
    define_virtual(engine, ADMIN, ORGAN, number="HALF", carrier_text="电",
                   formula="0.5 * OFFICE")
    with pytest.raises(ValidationFailed) as err:
        define_virtual(engine, ADMIN, ORGAN, number="OFFICE", carrier_text="电",
                       formula="BUILDING - HALF")
    assert err.value.code == "metering.virtual_cycle"
    for formula, code in (("BUILDING -", "metering.formula_syntax"),
                          ("BUILDING * DC", "metering.formula_nonlinear"),
                          ("BUILDING - W", "metering.formula_carrier"),
                          ("BUILDING - NOPE", "metering.formula_unknown_meter")):
        with pytest.raises(ValidationFailed) as err:
            define_virtual(engine, ADMIN, ORGAN, number="V2", carrier_text="电",
                           formula=formula)
        assert err.value.code == code
    with pytest.raises(ValidationFailed):
        replace_meter(engine, ADMIN, ORGAN, "OFFICE", at=datetime(2026, 3, 1), final=1.0,
                      initial=0.0)
    meters = {x["number"]: x for x in institution_registry(engine, ADMIN, ORGAN)["meters"]}
    assert meters["OFFICE"]["virtual"] and meters["OFFICE"]["formula"] == "BUILDING - DC"
