"""Local carbon-points rules on both databases: loaded by an administrator from xlsx or
csv, all or nothing with every issue by sheet, row and column (zh and en), dry run,
versioned (each entry keeps the version that scored it; a correction rescores with it),
the export loading back unchanged, audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.carbon.points import rules
from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted
from jieneng.core.permissions import Role
from jieneng.services.carbon.corrections import correct_entry, ledger_entries
from jieneng.services.carbon.points import import_points, rules_in_force
from jieneng.services.carbon.rules import export_rules, load_rules, rule_set_list
from jieneng.storage import carbon as store
from jieneng.storage import tables as t
from tests.sample import SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_the_export_loads_back_unchanged(engine: Engine, ids: dict[str, int],
                                        tmp_path: Path) -> None:
    version, content = export_rules(engine, ADMIN)
    assert version == 0 and content.startswith(b"\xef\xbb\xbf")
    same = load_rules(engine, ADMIN, _write(tmp_path / "r.csv", _rows(content)))
    assert same.unchanged and same.version == 0 and same.rules == len(rules())
    assert rules_in_force(engine) == (0, rules())
    assert [v["version"] for v in rule_set_list(engine)] == [0]


def test_a_local_variant_is_a_new_version_and_entries_keep_theirs(
        engine: Engine, ids: dict[str, int], tmp_path: Path) -> None:
    entries = tmp_path / "p.csv"
    entries.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
                       f"{SCHOOL},S1,张,2024-05-06,光盘行动,2\n", encoding="utf-8")
    import_points(engine, ADMIN, entries)
    local = _rows(export_rules(engine, ADMIN)[1])
    plate = next(r for r in local if r["action"] == "clean_plate")
    plate.update(points_per_unit="5", daily_cap="2", source="某市碳普惠积分细则 第3条")
    local.append({**plate, "action": "stairs", "label_zh": "走楼梯", "label_en": "stairs",
                  "unit": "day", "unit_zh": "天", "points_per_unit": "1", "daily_cap": ""})
    dry = load_rules(engine, ADMIN, _write(tmp_path / "local.csv", local), dry_run=True)
    assert dry.version == 1 and dry.dry_run and not dry.unchanged
    assert rules_in_force(engine)[0] == 0  # nothing stored
    made = load_rules(engine, ADMIN, _write(tmp_path / "local.csv", local))
    assert (made.version, made.added, made.changed, made.removed) == (
        1, ["stairs"], ["clean_plate"], [])
    version, in_force = rules_in_force(engine)
    assert version == 1 and {r.action for r in in_force} >= {"stairs", "clean_plate"}
    again = load_rules(engine, ADMIN, _write(tmp_path / "local.csv", local))
    assert again.unchanged and again.version == 1
    entries.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
                       f"{SCHOOL},S1,张,2024-05-07,光盘行动,3\n"
                       f"{SCHOOL},S1,张,2024-05-07,走楼梯,1\n", encoding="utf-8")
    report = import_points(engine, ADMIN, entries)
    assert report.rule_version == 1 and report.points == 2 * 5 + 1
    listed = {(r["entry_date"], r["action"]): r for r in ledger_entries(
        engine, ADMIN, start=date(2024, 5, 1), end=date(2024, 5, 31))}
    old = listed[(date(2024, 5, 6), "clean_plate")]
    assert old["rule_version"] == 0 and old["points"] == 2
    assert listed[(date(2024, 5, 7), "clean_plate")]["rule_version"] == 1
    fixed = correct_entry(engine, ADMIN, int(old["id"]), 3, "补录")  # rescored with v0
    assert fixed["rule_version"] == 0 and fixed["points"] == 3
    v0 = _rows(export_rules(engine, ADMIN, 0)[1])
    assert next(r for r in v0 if r["action"] == "clean_plate")["points_per_unit"] == "1"
    with pytest.raises(NotFound):
        export_rules(engine, ADMIN, 7)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.audit_log).where(
            t.audit_log.c.action == "carbon.rules")).scalar() == 1
        assert conn.execute(select(func.count()).select_from(
            store.carbon_point_rule_set)).scalar() == 1


def test_a_bad_file_is_refused_whole_with_every_issue(engine: Engine, ids: dict[str, int],
                                                      tmp_path: Path) -> None:
    local = _rows(export_rules(engine, ADMIN)[1])
    local[0].update(action="Bad Code", points_per_unit="-1")
    local[1].update(co2_method="guess", status="")
    local[2].update(daily_cap="0", label_zh=local[0]["label_zh"])
    local[4].update(carrier="")  # factor_set without a carrier
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "规则"
    sheet.append(list(local[0]))
    for r in local:
        sheet.append(list(r.values()))
    path = tmp_path / "local.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as refused:
        load_rules(engine, ADMIN, path)
    found = {(i.row, i.column, i.code) for i in refused.value.issues}
    assert found >= {(2, "action", "carbon_rules_action_code"),
                     (2, "points_per_unit", "carbon_rules_number"),
                     (3, "co2_method", "carbon_rules_choice"),
                     (3, "status", "import.missing_value"),
                     (4, "daily_cap", "carbon_rules_number"),
                     (4, "label_zh", "import.duplicate_key"),
                     (6, "carrier", "carbon_rules_carrier")}
    assert all(i.sheet == "规则" for i in refused.value.issues)
    choice = next(i for i in refused.value.issues if i.code == "carbon_rules_choice")
    assert "guess" in choice.message_zh and "factor_set, none" in choice.message_en
    assert rules_in_force(engine)[0] == 0
    with pytest.raises(NotPermitted):
        load_rules(engine, user(Role.REGION, "450300", uid=3), path)
