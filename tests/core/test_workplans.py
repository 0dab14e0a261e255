"""core.workplans: the plan-indicator catalogue (sources, registry keys, units) and the
progress arithmetic (meets, share complete, status, units as written)."""

from __future__ import annotations

from datetime import date

import pytest

from jieneng.core import indicator_registry as registry
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.workplans import (
    indicator,
    indicator_catalogue,
    item_status,
    meets,
    parse_comparison,
    resolve_indicator,
    share_complete,
    tally,
    unit_factor,
    work_state,
)
from jieneng.core.workplans.catalogue import PARENT_RULES, SOURCE_KINDS


def test_catalogue_rows_have_sources_and_known_keys() -> None:
    rows = indicator_catalogue()
    assert len({i.code for i in rows}) == len(rows) >= 25
    for i in rows:
        assert i.source and i.status in {"found", "partial", "convention"}, i.code
        assert i.source_kind in SOURCE_KINDS and i.parent_rule in PARENT_RULES
        assert i.how_zh and i.how_en and i.name_zh and i.name_en
        if i.registry_key is not None:
            assert i.registry_key in registry.BY_CODE
    # a figure of the registry is referenced, never defined twice
    assert indicator("energy_tce").registry_key == "energy_tce"
    assert indicator("datacentre_pue").registry_key == "datacentre_pue"
    assert indicator("publicity_participants").computed is False
    assert indicator("publicity_participants").parent_rule == "sum"


def test_resolve_by_code_name_or_alias() -> None:
    assert resolve_indicator("PUE").code == "datacentre_pue"  # type: ignore[union-attr]
    assert resolve_indicator("抽查率").code == "campaign_spot_check_rate"  # type: ignore[union-attr]
    assert resolve_indicator("charging-space share").code == "charging_space_share"  # type: ignore[union-attr]
    assert resolve_indicator("nothing") is None
    with pytest.raises(ValidationFailed) as err:
        indicator("nothing")
    assert err.value.code == "workplan_unknown_indicator"


def test_meets_and_share() -> None:
    assert meets(85.0, ">=", 85.0) and not meets(84.9, ">=", 85.0)
    assert meets(1.5, "<", 1.6) and not meets(1.6, "<", 1.6)
    assert meets(2001, ">", 2000) and not meets(2000, ">", 2000)
    assert meets(None, ">=", 1) is None and meets(1, None, 1) is None
    assert share_complete(90_000, ">=", 180_000) == pytest.approx(0.5)
    assert share_complete(200_000, ">=", 180_000) == 1.0
    assert share_complete(2.0, "<=", 1.6) == pytest.approx(0.8)
    assert share_complete(0, ">=", 0) == 1.0
    assert share_complete(None, ">=", 5) is None


def test_status() -> None:
    end = date(2024, 12, 31)
    assert item_status("not_started", end, date(2024, 6, 30), None) == "not_started"
    assert item_status("in_progress", end, date(2024, 6, 30), None) == "in_progress"
    assert item_status("not_started", end, date(2024, 6, 30), None, True) == "in_progress"
    assert item_status("done", end, date(2025, 3, 1), None) == "done"
    assert item_status("in_progress", end, date(2025, 1, 1), False) == "overdue"
    assert item_status("not_started", end, date(2024, 6, 30), True) == "done"
    # an upper bound met mid-year is on track, not done; after the deadline it is done
    assert item_status("not_started", end, date(2024, 6, 30), True, True,
                       at_most=True) == "in_progress"
    assert item_status("not_started", end, date(2025, 1, 1), True, True, at_most=True) == "done"


def test_comparisons_and_units_as_written() -> None:
    assert [parse_comparison(t) for t in ("≥", "不低于", "以内", "超", "<", "??")] == [
        ">=", ">=", "<=", ">", "<", None]
    assert unit_factor("m2", "万平方米") == 10_000.0
    assert unit_factor("m2", "平方米") == 1.0
    assert unit_factor("tce", "万吨标准煤") == 10_000.0
    assert unit_factor("%", "%") == 1.0 and unit_factor("%", None) == 1.0
    assert unit_factor("m2", "立方米") is None


def test_one_count_rule_overdue_is_a_mark_on_top() -> None:
    end = date(2024, 12, 31)
    late = date(2025, 1, 1)
    assert work_state("in_progress", end, late, False) == "in_progress"
    assert item_status("in_progress", end, late, False) == "overdue"
    assert work_state("not_started", end, late, True) == "done"
    got = tally([("in_progress", True), ("not_started", True), ("done", False),
                 ("in_progress", False)])
    assert got == {"items": 4, "done": 1, "in_progress": 2, "not_started": 1, "overdue": 2}
