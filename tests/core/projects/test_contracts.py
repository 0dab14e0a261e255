"""Contract rules as data: Beijing 京机管发〔2022〕21号 (term 5–10 years 第四条, base period
1–3 years 第六条, ≥ 10 % intensity cut over 5 years with the ×1.2 yearly step 第八条) and
the national rules per contract subtype; every rule carries its source."""

from __future__ import annotations

from datetime import date

import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.projects.contracts import (
    Contract,
    check_contract,
    required_cut,
    rule_set_for,
    rules,
    whole_years,
)
from jieneng.core.projects.types import ProjectType, Subtype, label, parse_subtype, parse_type

BJ = "beijing-2022-21"


def trust(term: int = 5, base: int = 2, cut: float | None = 0.10, **kw: object) -> Contract:
    return Contract(term_start=date(2026, 1, 1), term_end=date(2026 + term, 1, 1),
                    base_start=date(2026 - base, 1, 1), base_end=date(2026, 1, 1),
                    price_mode="base_year", fee_base_yuan=1.2e6, guaranteed_rate=cut,
                    **kw)


def failed(c: Contract, subtype: str | None = "trusteeship",
           rule_set: str | None = BJ) -> list[str]:
    return [r.rule for r in check_contract(c, subtype, rule_set) if not r.passed]


def test_every_rule_names_its_article_document_and_source() -> None:
    for r in rules():
        assert r.article and r.document and r.source_url.startswith("http"), r.rule
    beijing = {r.rule: r for r in rules() if r.rule_set == BJ}
    assert (beijing["term_years"].min, beijing["term_years"].max) == (5, 10)
    assert (beijing["base_years"].min, beijing["base_years"].max) == (1, 3)
    assert beijing["term_years"].article == "第四条" and beijing["base_years"].article == "第六条"
    assert beijing["intensity_cut"].article == "第八条" and beijing["intensity_cut"].min == 0.10


def test_beijing_applies_by_region_or_by_name() -> None:
    assert rule_set_for("110105") == BJ
    assert rule_set_for("450321") is None
    assert rule_set_for("450321", BJ) == BJ
    with pytest.raises(ValidationFailed) as err:
        rule_set_for("450321", "shanghai")
    assert err.value.code == "project_rule_set_unknown"


def test_term_and_base_period_limits() -> None:
    assert failed(trust(5, 2)) == []
    assert failed(trust(4, 2)) == ["term_years"]
    assert failed(trust(11, 2, cut=0.9)) == ["term_years"]
    assert failed(trust(5, 4)) == ["base_years"]
    assert "term_years" not in failed(trust(4, 2), rule_set=None)  # no local set: national only


def test_intensity_cut_reads_the_yearly_step_as_relative() -> None:
    rule = next(r for r in rules() if r.rule == "intensity_cut")
    assert required_cut(rule, 5) == pytest.approx(0.10)
    assert required_cut(rule, 6) == pytest.approx(0.12)
    assert required_cut(rule, 8) == pytest.approx(0.10 * 1.2 ** 3)
    assert failed(trust(5, 2, cut=0.099)) == ["intensity_cut"]
    assert failed(trust(6, 2, cut=0.11)) == ["intensity_cut"]
    assert failed(trust(6, 2, cut=0.12)) == []
    assert failed(trust(5, 2, cut=None)) == ["intensity_cut"]


def test_base_period_must_precede_the_term_and_subtype_fields_are_required() -> None:
    late = Contract(term_start=date(2026, 1, 1), term_end=date(2031, 1, 1),
                    base_start=date(2025, 1, 1), base_end=date(2026, 6, 1),
                    sharing_ratio=0.7)
    assert failed(late, "shared_savings", None) == ["base_before_term"]
    share = Contract(term_start=date(2026, 1, 1), term_end=date(2031, 1, 1),
                     base_start=date(2025, 1, 1), base_end=date(2026, 1, 1))
    assert failed(share, "shared_savings", None) == ["sharing_ratio"]
    assert failed(share, "guaranteed_savings", None) == ["guarantee"]
    assert failed(share, "trusteeship", None) == ["fee_base", "price_mode"]
    assert failed(share, None, None) == []
    with pytest.raises(ValidationFailed) as err:
        check_contract(Contract(term_start=date(2026, 1, 1), term_end=date(2031, 1, 1),
                                base_start=date(2025, 1, 1), base_end=date(2026, 1, 1),
                                sharing_ratio=70), "shared_savings", None)
    assert err.value.code == "project_contract_fraction"


def test_whole_years_counts_whole_months() -> None:
    assert whole_years(date(2026, 1, 1), date(2031, 1, 1)) == 5
    assert whole_years(date(2026, 1, 15), date(2031, 1, 14)) == pytest.approx(59 / 12)


def test_types_and_subtypes_parse_from_labels() -> None:
    assert parse_type("数据中心改造") is ProjectType.DATACENTRE
    assert parse_type("气改电") is ProjectType.ELECTRIFICATION
    assert parse_subtype(ProjectType.EPC, "节能效益分享型") is Subtype.SHARED_SAVINGS
    assert parse_subtype(ProjectType.EPC, "保证型") is Subtype.GUARANTEED_SAVINGS
    assert parse_subtype(ProjectType.WATER_CONTRACT, "效果保证型") is Subtype.GUARANTEED_SAVINGS
    assert parse_subtype(ProjectType.PV, None) is None
    assert label("subtype", "trusteeship", "water_contract").name_zh == "费用托管型"
    with pytest.raises(ValidationFailed) as err:
        parse_subtype(ProjectType.PV, "托管型")
    assert err.value.code == "project_subtype_not_allowed"
