"""services.metering.statistics on both databases: metered figures fill the monthly
statistics (source ``meter``), idempotently; sub-meters and virtual meters are not
added again; submitted/approved months and overridden keys are left alone; units are
converted; the precedence of accounts and meters follows the region's rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Engine, insert, select

from jieneng.core.permissions import Role
from jieneng.services.metering import statistics as st
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import meter_readings as r
from jieneng.storage import metered_statistics as ms
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
YEAR, MONTH = 2026, 1


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    ids = load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("TOTAL", "电", "01000"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "电", "01B00", parent="TOTAL"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("W1", "水"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S1", "电"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S2", "电"))
    with engine.begin() as conn:
        meters = dict(conn.execute(select(m.metering_meter.c.number,
                                          m.metering_meter.c.id)).all())
    return {**{k: int(v) for k, v in meters.items()}, "organ": ids[ORGAN],
            "school": ids[SCHOOL]}


def _rollups(engine: Engine, values: dict[int, tuple[float, int, int]],
             year: int = YEAR, month: int = MONTH) -> None:
    start, _ = st.month_bounds(year, month)
    with engine.begin() as conn:
        r.write_rollups(conn, pl.DataFrame({
            "meter_id": list(values), "level": ["month"] * len(values),
            "start": [start] * len(values), "energy": [v[0] for v in values.values()],
            "present": [v[1] for v in values.values()],
            "expected": [v[2] for v in values.values()], "flags": [0] * len(values)},
            schema={"meter_id": pl.Int64, "level": pl.String, "start": pl.Int64,
                    "energy": pl.Float64, "present": pl.Int64, "expected": pl.Int64,
                    "flags": pl.Int64}))


def _current(engine: Engine, institution_id: int) -> dict[str, tuple[float, str, int]]:
    cr = t.consumption_record
    with engine.connect() as conn:
        rows = conn.execute(select(cr.c.carrier, cr.c.quantity, cr.c.source, cr.c.revision)
                            .where(cr.c.institution_id == institution_id, cr.c.year == YEAR,
                                   cr.c.month == MONTH, cr.c.is_current)).all()
    return {c: (q, s, n) for c, q, s, n in rows}


FULL = 2976  # 31 days × 96


def test_fill_writes_top_level_meters_only_and_is_idempotent(
        engine: Engine, world: dict[str, int]) -> None:
    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL), world["AC"]: (5000.0, FULL, FULL),
                      world["W1"]: (300.0, FULL, FULL), world["S1"]: (800.0, FULL, FULL),
                      world["S2"]: (200.0, FULL - 10, FULL)})
    out = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert (out["figures"], out["inserted"], out["from_meters"]) == (3, 3, 3)
    organ = _current(engine, world["organ"])
    assert organ["electricity"] == (12000.0, "meter", 1)  # AC (a sub-meter) not added
    assert organ["water"] == (300.0, "meter", 1)
    assert _current(engine, world["school"])["electricity"][0] == 1000.0
    with engine.connect() as conn:
        figs = {(f["institution_id"], f["carrier"]): f
                for f in ms.figures_of(conn, world["school"], YEAR, [MONTH])}
    fig = figs[(world["school"], "electricity")]
    assert fig["completeness"] == pytest.approx((2 * FULL - 10) / (2 * FULL))
    assert st.describe(fig["origin"], fig["detail"]) == "计量表 S1 等 2 块表，完整率 99.8 %"
    # the same figures again: no new revision
    again = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert (again["inserted"], again["revised"], again["unchanged"]) == (0, 0, 3)
    # a late reading changes one figure: one revision
    _rollups(engine, {world["TOTAL"]: (12500.0, FULL, FULL)})
    third = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert (third["revised"], third["unchanged"]) == (1, 2)
    assert _current(engine, world["organ"])["electricity"] == (12500.0, "meter", 2)


def test_virtual_meters_and_incomplete_months_are_not_filled(
        engine: Engine, world: dict[str, int]) -> None:
    with engine.begin() as conn:
        m.update_meter(conn, world["S2"], formula="S1", register=None)  # now virtual
    _rollups(engine, {world["S1"]: (800.0, FULL, FULL), world["S2"]: (800.0, FULL, FULL),
                      world["TOTAL"]: (100.0, FULL // 2, FULL)})  # 50 % < 95 %
    out = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert out["figures"] == 1
    assert _current(engine, world["school"])["electricity"][0] == 800.0
    assert "electricity" not in _current(engine, world["organ"])


def _task(engine: Engine, institution_id: int, state: str, kind: str = "monthly") -> None:
    with engine.begin() as conn:
        pid = conn.execute(insert(t.reporting_period).values(
            region_code="450300", kind=kind, year=YEAR, month=MONTH if kind == "monthly" else 0,
            deadline=date(YEAR, 2, 10), opened_at=datetime.now(UTC))
            .returning(t.reporting_period.c.id)).scalar_one()
        conn.execute(insert(t.reporting_task).values(period_id=pid,
                                                     institution_id=institution_id,
                                                     state=state))


@pytest.mark.parametrize("state", ["approved", "submitted"])
def test_submitted_and_approved_months_are_never_overwritten(
        engine: Engine, world: dict[str, int], state: str) -> None:
    with engine.begin() as conn:
        from jieneng.storage import consumption

        consumption.write_consumption(conn, pl.DataFrame({
            "institution_id": [world["organ"]], "year": [YEAR], "month": [MONTH],
            "carrier": ["electricity"], "quantity": [11111.0]}), source="manual",
            import_id=None)
    _task(engine, world["organ"], state)
    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL), world["S1"]: (800.0, FULL, FULL),
                      world["S2"]: (200.0, FULL, FULL)})
    out = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert out["locked"] == 1 and out["inserted"] == 1  # the school only
    assert _current(engine, world["organ"])["electricity"] == (11111.0, "manual", 1)
    # the metered figure is kept for the form and the quality rule
    with engine.connect() as conn:
        figs = ms.figures_of(conn, world["organ"], YEAR, [MONTH])
    assert [f["quantity"] for f in figs] == [12000.0]


def test_region_rule_and_unit_conversion_of_account_figures(
        engine: Engine, world: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    organ = world["organ"]

    def accounts(conn: object, ids: list[int], year: int, month: int) -> pl.DataFrame:
        return pl.DataFrame({
            "institution_id": [organ, organ], "carrier": ["electricity", "water"],
            "quantity": [13.0, 250.0], "unit": ["MWh", "吨"], "source": ["bills", "daily"],
            "accounts": [1, 2], "completeness": [1.0, 0.99]})

    monkeypatch.setattr(st, "account_figures", lambda conn, ids, y, mo: st.normalise_account_frame(
        accounts(conn, ids, y, mo)))
    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL)})
    st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    now = _current(engine, organ)
    assert now["electricity"][0] == pytest.approx(13000.0)  # MWh → kWh, the bill first
    assert now["water"][0] == pytest.approx(250.0)  # 吨 of water → m³
    with engine.connect() as conn:
        fig = {f["carrier"]: f for f in ms.figures_of(conn, organ, YEAR, [MONTH])}
    assert st.describe("accounts", fig["electricity"]["detail"]) == (
        "1 个户号，按账单分摊到自然月，完整率 100.0 %")
    st.set_rule(engine, ADMIN, "450300", "meters_first", 0.9)
    st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert _current(engine, organ)["electricity"][:2] == (12000.0, "meter")


def test_override_with_reason_kept_audited_and_cleared(
        engine: Engine, world: dict[str, int]) -> None:
    from jieneng.core.caller import Actor
    from jieneng.core.exceptions import ValidationFailed
    from jieneng.services.entry import entry
    from jieneng.services.entry.entry_checks import EntryValue
    from jieneng.services.metering import overrides

    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL)})
    st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    filer = Actor(7, "filer7")
    scope = ADMIN.scope
    # the metered value saved again unchanged: no reason needed, nothing written
    same = entry.save_entry(engine, scope, ORGAN, YEAR, MONTH,
                            [EntryValue("electricity", "12000", "kWh", None)], actor=filer)
    assert same["unchanged"] == 1
    with pytest.raises(ValidationFailed) as refused:
        entry.save_entry(engine, scope, ORGAN, YEAR, MONTH,
                         [EntryValue("electricity", "11800", "kWh", None)], actor=filer)
    assert refused.value.code == "metered.override_reason_required"
    entry.save_entry(engine, scope, ORGAN, YEAR, MONTH,
                     [EntryValue("electricity", "11800", "kWh", None)], actor=filer,
                     reasons={"electricity": "表计故障 3 天，按账单"})
    assert _current(engine, world["organ"])["electricity"] == (11800.0, "manual", 2)
    with engine.connect() as conn:
        (fig,) = ms.figures_of(conn, world["organ"], YEAR, [MONTH])
        audits = conn.execute(select(t.audit_log.c.action, t.audit_log.c.before,
                                     t.audit_log.c.after)
                              .where(t.audit_log.c.action.like("consumption.metered%"))
                              .order_by(t.audit_log.c.id)).all()
    assert fig["override"]["reason"] == "表计故障 3 天，按账单"
    assert (fig["override"]["metered_quantity"], fig["override"]["quantity"]) == (12000, 11800)
    assert audits[-1][0] == "consumption.metered_override"
    assert "12000" in str(audits[-1][1]) and "11800" in str(audits[-1][2])
    # the fill leaves an overridden key alone
    again = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert again["overridden"] == 1
    assert _current(engine, world["organ"])["electricity"][0] == 11800.0
    view = entry.entry_form(engine, scope, ORGAN, YEAR, MONTH)
    (elec,) = [f for f in view["fields"] if f["carrier"] == "electricity"]
    assert elec["metered"]["override"]["reason"] == "表计故障 3 天，按账单"
    assert elec["metered"]["source_zh"].startswith("计量表 TOTAL")
    from jieneng.services.entry import year as years

    grid = years.year_grid(engine, ADMIN, ORGAN, YEAR)["months"][MONTH - 1]["metered"]
    assert grid["electricity"]["override"]["quantity"] == 11800.0
    # clearing returns to the metered figure
    overrides.clear_override(engine, ADMIN, ORGAN, YEAR, MONTH, "electricity")
    assert _current(engine, world["organ"])["electricity"] == (12000.0, "meter", 3)
    with engine.connect() as conn:
        (fig,) = ms.figures_of(conn, world["organ"], YEAR, [MONTH])
        kept = conn.execute(select(ms.metered_override.c.cleared_by)).scalars().all()
    assert fig["override"] is None and kept == [ADMIN.username]


def _findings(engine: Engine, institution_id: int) -> list[tuple[str, float, float]]:
    table = t.quality_finding
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.rule, table.c.value, table.c.expected).where(
            table.c.institution_id == institution_id, table.c.rule == "metered_difference"))
        return [(r, v, e) for r, v, e in rows]


def test_quality_rule_reported_vs_metered(engine: Engine, world: dict[str, int]) -> None:
    from jieneng.core.caller import Actor
    from jieneng.services.entry import entry
    from jieneng.services.entry.entry_checks import EntryValue
    from jieneng.services.quality import quality

    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL), world["S1"]: (800.0, FULL, FULL),
                      world["S2"]: (200.0, FULL, FULL)})
    st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert _findings(engine, world["organ"]) == []  # reported = metered
    filer = Actor(7, "filer7")
    # within the tolerance: 4 % off
    entry.save_entry(engine, ADMIN.scope, ORGAN, YEAR, MONTH,
                     [EntryValue("electricity", "11520", "kWh", None)], actor=filer,
                     reasons={"electricity": "按账单"})
    assert _findings(engine, world["organ"]) == []
    # beyond it: 10 % off and more than 100 kWh
    entry.save_entry(engine, ADMIN.scope, ORGAN, YEAR, MONTH,
                     [EntryValue("electricity", "10800", "kWh", None)], actor=filer,
                     reasons={"electricity": "按账单"})
    assert _findings(engine, world["organ"]) == [("metered_difference", 10800.0, 12000.0)]
    # 10 % off but only 100 kWh: under the least absolute difference (school: 1000 kWh)
    entry.save_entry(engine, ADMIN.scope, SCHOOL, YEAR, MONTH,
                     [EntryValue("electricity", "1100", "kWh", None)], actor=filer,
                     reasons={"electricity": "估算"})
    assert _findings(engine, world["school"]) == []
    with engine.begin() as conn:
        quality.check_institutions(conn, [world["organ"], world["school"]], YEAR, MONTH)
    assert len(_findings(engine, world["organ"])) == 1


def test_accounts_first_from_a_real_daily_file(engine: Engine, world: dict[str, int],
                                                tmp_path: object) -> None:
    """The utility path end to end: a bound 户号 with every day of January in a daily
    file wins over the 总表 (accounts first), and describes itself."""
    from datetime import timedelta
    from pathlib import Path

    from jieneng.services.metering.registry import bind_account
    from jieneng.services.metering.utility import import_days
    from tests.sample import write_csv

    bind_account(engine, ADMIN, credit_code=ORGAN, carrier_text="电", number="0301",
                 valid_from=date(2025, 12, 1))
    days = [date(YEAR, MONTH, 1) + timedelta(days=d) for d in range(31)]
    path = write_csv(Path(str(tmp_path)) / "d.csv", ["户号", "日期", "电量(千瓦时)"],
                     [["0301", d.isoformat(), 400] for d in days])
    import_days(engine, ADMIN, path, today=date(YEAR, 2, 3))
    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL)})
    out = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    assert out["from_accounts"] == 1
    assert _current(engine, world["organ"])["electricity"][:2] == (12400.0, "meter")
    with engine.connect() as conn:
        (fig,) = ms.figures_of(conn, world["organ"], YEAR, [MONTH])
    assert st.describe(fig["origin"], fig["detail"]) == "1 个户号，按日用量汇总，完整率 100.0 %"


def test_a_cost_typed_beside_a_metered_quantity_needs_no_reason(
        engine: Engine, world: dict[str, int]) -> None:
    from jieneng.core.caller import Actor
    from jieneng.services.entry import entry
    from jieneng.services.entry.entry_checks import EntryValue

    _rollups(engine, {world["TOTAL"]: (12000.0, FULL, FULL)})
    st.fill_from_metering(engine, ADMIN, YEAR, MONTH)
    entry.save_entry(engine, ADMIN.scope, ORGAN, YEAR, MONTH,
                     [EntryValue("electricity", "12000", "kWh", "9600")], actor=Actor(7, "f"))
    assert _current(engine, world["organ"])["electricity"] == (12000.0, "manual", 2)
    view = entry.entry_form(engine, ADMIN.scope, ORGAN, YEAR, MONTH)
    (elec,) = [f for f in view["fields"] if f["carrier"] == "electricity"]
    assert elec["metered"]["applied"] and elec["cost_yuan"] == 9600.0
    again = st.fill_from_metering(engine, ADMIN, YEAR, MONTH)  # the cost is kept
    assert (again["unchanged"], again["revised"]) == (1, 0)
