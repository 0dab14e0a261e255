"""Data-quality rule catalogue, configuration, messages and statistics (core.quality.*)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.quality.catalogue import RULES, rule
from jieneng.core.quality.config import (
    RuleConfig,
    default_config,
    effective_config,
    effective_configs,
)
from jieneng.core.quality.document import catalogue_markdown
from jieneng.core.quality.findings import Finding, example_finding, render
from jieneng.core.quality.model import (
    INDICATORS,
    PLACEHOLDERS,
    Level,
    Rule,
    Severity,
    template_placeholders,
)
from jieneng.core.quality.stats import peer_bounds, percentile, robust_spike, unit_slip, yoy_change

DOCS = Path(__file__).resolve().parents[2] / "docs" / "quality-rules.md"
HAN = re.compile(r"[\u4e00-\u9fff]")

# --------------------------------------------------------------------------- catalogue

REQUIRED = {
    "missing_month", "negative_value", "unexpected_zero", "yoy_change", "mom_spike",
    "unit_slip_10000", "profile_change", "unit_price_range", "quota_outlier",
    "peer_outlier", "duplicate_institution",
    "metered_difference",  # issue 12 §5: reported vs metered
    "datacentre_pue_above",  # issue 12 §7: rooms above their PUE target
}


def test_catalogue_covers_the_issue() -> None:
    codes = [r.code for r in RULES]
    assert set(codes) == REQUIRED
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in codes)


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.code)
def test_rule_is_bilingual(r: Rule) -> None:
    for zh in (r.title_zh, r.description_zh, r.message_zh):
        assert HAN.search(zh), zh
    for en in (r.title_en, r.description_en, r.message_en):
        plain = en
        for term in ("用能人数", "建筑面积", "约束值", "引导值", "万"):  # quoted terms
            plain = plain.replace(term, "")
        assert re.search("[A-Za-z]", en) and not HAN.search(plain), en
    for p in r.params:
        assert HAN.search(p.description_zh) and p.description_en
        assert p.minimum <= p.default <= p.maximum
        assert not p.integer or p.default == int(p.default)


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.code)
def test_templates_use_documented_placeholders(r: Rule) -> None:
    zh, en = template_placeholders(r.message_zh), template_placeholders(r.message_en)
    assert zh == en == r.placeholders
    assert r.placeholders <= set(PLACEHOLDERS)


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.code)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders_its_example(r: Rule, lang: str) -> None:
    text = render(example_finding(r), lang)
    assert "{" not in text and "}" not in text
    assert bool(HAN.search(text)) or lang == "en"


def test_render_formats_by_kind() -> None:
    finding = Finding(
        "yoy_change", Severity.WARNING, 5, 2025, 3, "electricity", 14808.0,
        params={"change": 0.234, "previous": 12000.0, "threshold": 0.1},
    )
    assert render(finding) == (
        "2025年3月电同比变化 +23.4%（12,000 → 14,808 千瓦时），超过 10%，请说明原因"
    )
    assert render(finding, "en") == (
        "2025-03 electricity changed +23.4% on last year (12,000 → 14,808 kWh), more than 10%; "
        "please explain"
    )


def test_render_total_energy_and_indicators() -> None:
    total = Finding("negative_value", Severity.ERROR, 1, 2025, None, None, -3.5)
    assert render(total) == "2025年综合能耗为负值 -3.5 tce"
    assert render(total, "en") == "2025 total energy is negative: -3.5 tce"
    profile = Finding(
        "profile_change", Severity.WARNING, 1, 2025, None, None, 260.0,
        params={"indicator": "occupants", "previous": 200.0, "change": 0.3, "threshold": 0.1},
    )
    assert "用能人数由 200 变为 260（+30.0%）" in render(profile)
    assert set(INDICATORS) >= {"occupants", "floor_area_m2"}


def test_render_missing_months_and_slip_factor() -> None:
    missing = Finding("missing_month", Severity.ERROR, 1, 2025, None, "water", None,
                      params={"months": "2,5"})
    assert render(missing) == "2025年水缺少 2、5 月的数据；未消耗请填 0"
    slip = example_finding(rule("unit_slip_10000"))
    assert "的 1/9,868，" in render(slip) and "建议值 15,200 千瓦时" in render(slip)
    assert "is 1/9,868 the reference" in render(slip, "en")
    double = Finding("unit_slip_10000", Severity.WARNING, 1, 2025, 3, "electricity",
                     1.5e8, 15000.0, 15000.0, params={"ratio": 10000.0})
    assert "10,000×" in render(double)


def test_render_refuses_missing_values() -> None:
    finding = Finding("yoy_change", Severity.WARNING, 1, 2025, 3, "electricity", 1.0)
    with pytest.raises(ValidationFailed) as err:
        render(finding)
    assert "change" in err.value.message_en


def test_unknown_rule() -> None:
    with pytest.raises(ValidationFailed) as err:
        rule("nope")
    assert "yoy_change" in err.value.message_en


def test_catalogue_levels_and_requirements() -> None:
    assert rule("peer_outlier").level is Level.PEER_GROUP
    assert rule("quota_outlier").requires == "quotas"
    assert rule("negative_value").severity is Severity.ERROR
    assert rule("yoy_change").defaults()["threshold"] == 0.10
    assert Severity.WARNING.label() == "警告" and Severity.NOTICE.label("en") == "notice"


def test_docs_file_is_generated_from_the_code() -> None:
    assert DOCS.read_text(encoding="utf-8") == catalogue_markdown("en"), (
        "regenerate: .venv/bin/python -m jieneng.core.quality.document > docs/quality-rules.md"
    )


def test_chinese_catalogue() -> None:
    text = catalogue_markdown("zh")
    assert text.startswith("# 数据审核规则目录")
    for r in RULES:
        assert f"`{r.code}`" in text and r.title_zh in text


# --------------------------------------------------------------------------- configuration


def test_default_config() -> None:
    r = rule("yoy_change")
    assert default_config(r) == RuleConfig(True, Severity.WARNING, r.defaults())
    assert effective_config(r) == default_config(r)


def test_overrides_inherit_from_root_to_leaf() -> None:
    r = rule("yoy_change")
    province = {"params": {"threshold": 0.15}, "severity": "notice"}
    city = {"params": {"min_previous": 100}}
    county = {"severity": "warning"}
    got = effective_config(r, [province, city, county])
    assert got.params == {"threshold": 0.15, "min_previous": 100.0}
    assert got.severity is Severity.WARNING and got.enabled
    assert effective_config(r, [province, {"enabled": False}]).enabled is False
    assert effective_config(r, [province]).severity is Severity.NOTICE


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"thresold": 1}, "unknown keys"),
        ({"params": {"thresold": 0.2}}, "no parameter 'thresold'"),
        ({"params": {"threshold": "0.2"}}, "must be a number"),
        ({"params": {"threshold": True}}, "must be a number"),
        ({"params": {"threshold": math.nan}}, "must be a number"),
        ({"params": {"threshold": -0.1}}, "outside"),
        ({"severity": "fatal"}, "severity 'fatal'"),
        ({"enabled": "yes"}, "enabled must be"),
        ({"params": [("threshold", 0.2)]}, "params must map"),
    ],
)
def test_bad_overrides(override: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        effective_config(rule("yoy_change"), [override])
    assert fragment in err.value.message_en
    assert HAN.search(err.value.message_zh)


def test_integer_and_ordered_params() -> None:
    with pytest.raises(ValidationFailed, match="whole number"):
        effective_config(rule("mom_spike"), [{"params": {"min_pairs": 6.5}}])
    slip = rule("unit_slip_10000")
    with pytest.raises(ValidationFailed, match="min_ratio must be below max_ratio"):
        effective_config(slip, [{"params": {"min_ratio": 5000}}, {"params": {"max_ratio": 4000}}])
    assert effective_config(slip, [{"params": {"min_ratio": 5000}}]).params["min_ratio"] == 5000


def test_effective_configs_for_a_region() -> None:
    configs = effective_configs([{"yoy_change": {"params": {"threshold": 0.2}}},
                                 {"peer_outlier": {"enabled": False}}])
    assert set(configs) == {r.code for r in RULES}
    assert configs["yoy_change"].params["threshold"] == 0.2
    assert not configs["peer_outlier"].enabled and configs["mom_spike"].enabled
    with pytest.raises(ValidationFailed):
        effective_configs([{"no_such_rule": {}}])


# --------------------------------------------------------------------------- statistics


def _seasonal(years: int, growth: float = 0.02) -> list[float]:
    """Monthly electricity with a summer cooling and a winter heating peak, growing 2 %/year."""
    shape = [1.3, 1.2, 1.0, 0.9, 1.0, 1.5, 1.9, 2.0, 1.4, 1.0, 1.0, 1.2]
    wobble = [0.01, -0.02, 0.015, 0.0, -0.01, 0.02, -0.015, 0.01, 0.0, -0.02, 0.01, 0.005]
    return [
        10000 * shape[m] * (1 + growth) ** y * (1 + wobble[(m + y) % 12])
        for y in range(years)
        for m in range(12)
    ]


def test_seasonal_peak_is_not_a_spike() -> None:
    series = _seasonal(4)
    july = 3 * 12 + 6  # July of the fourth year
    history, value = series[:july], series[july]
    assert value > 1.4 * (sum(x for x in history[-12:] if x) / 12)  # a real peak
    result = robust_spike(history, value, july)
    assert result is not None and not result.is_spike
    assert abs(result.expected - value) / value < 0.05


def test_real_spike_is_flagged_in_a_low_month() -> None:
    series = _seasonal(4)
    april = 3 * 12 + 3
    value = series[april] * 1.6  # April (low season) 60 % above the seasonal level
    result = robust_spike(series, value, april)  # whole series may be passed
    assert result is not None and result.is_spike and result.score > 3.5
    assert result.pairs == 12
    # Not a spike against the last 12 months alone: it is below the summer peak.
    assert value < max(x for x in series[april - 12 : april] if x)


def test_spike_needs_history() -> None:
    series = _seasonal(2)
    assert robust_spike(series[:11], 1.0, 11) is None  # no same month last year
    assert robust_spike(series, 1.0, 14, min_pairs=6) is None  # only 2 pairs
    series = _seasonal(3)
    gappy: list[float | None] = list(series)
    for i in (13, 14, 15, 17, 19, 21, 23):
        gappy[i] = None  # seven of the twelve year-on-year pairs lost
    assert robust_spike(gappy, series[24], 24) is None
    assert robust_spike(gappy, series[24], 24, min_pairs=5) is not None
    assert robust_spike(series, 0.0, 20) is None
    assert robust_spike(series, 5.0, 40) is None  # month beyond the history


def test_regular_history_uses_the_scale_floor() -> None:
    flat = [100.0] * 24
    small, large = robust_spike(flat, 103.0, 24), robust_spike(flat, 130.0, 24)
    assert small is not None and not small.is_spike
    assert large is not None and large.is_spike


def test_an_earlier_spike_does_not_mask_a_new_one() -> None:
    series = _seasonal(4)
    series[3 * 12 + 1] *= 3  # a one-off in February of the fourth year
    april = 3 * 12 + 3
    result = robust_spike(series, series[april] * 1.6, april)
    assert result is not None and result.is_spike


@given(st.floats(0.5, 2.0), st.integers(24, 47))
def test_spike_scale_invariant(factor: float, month: int) -> None:
    """Multiplying the whole history and the value by a constant changes nothing."""
    series = _seasonal(4)
    a = robust_spike(series, series[month], month)
    b = robust_spike([x * factor for x in series], series[month] * factor, month)
    assert a is not None and b is not None
    assert a.is_spike == b.is_spike and math.isclose(a.score, b.score, abs_tol=1e-9)


def test_unit_slip_wan_kwh_as_kwh() -> None:
    # 1.52 万kWh entered in a kWh field where ~15,000 kWh is expected.
    assert unit_slip(1.52, 15000.0) == pytest.approx(15200.0)
    # 152,000,000 kWh: kWh entered where the figure was already … ×10,000.
    assert unit_slip(152_000_000.0, 15000.0) == pytest.approx(15200.0)
    assert unit_slip(30000.0, 15000.0) is None  # doubled: not a unit slip
    assert unit_slip(15000.0 * 500, 15000.0) is None
    assert unit_slip(0.0, 15000.0) is None and unit_slip(5.0, 0.0) is None


@given(st.floats(1.0, 1e7), st.floats(0.4, 2.5))
def test_unit_slip_recovers_the_value(expected: float, noise: float) -> None:
    true = expected * noise
    assert unit_slip(true / 1e4, expected) == pytest.approx(true)
    assert unit_slip(true * 1e4, expected) == pytest.approx(true)
    assert unit_slip(true, expected) is None


def test_yoy_change() -> None:
    assert yoy_change(110.0, 100.0) == pytest.approx(0.10)
    assert yoy_change(90.0, 100.0) == pytest.approx(-0.10)
    assert yoy_change(5.0, 0.0) is None and yoy_change(None, 1.0) is None
    assert yoy_change(1.0, None) is None


def test_percentile_type_7() -> None:
    # numpy.percentile([1, 2, 3, 4], 25) == 1.75 (linear, Hyndman & Fan type 7)
    assert percentile([4.0, 1.0, 3.0, 2.0], 25) == pytest.approx(1.75)
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0], 100) == 2.0 and percentile([1.0, 2.0], 0) == 1.0
    with pytest.raises(ValidationFailed):
        percentile([], 50)
    with pytest.raises(ValidationFailed):
        percentile([1.0], 101)
    with pytest.raises(ValidationFailed):
        percentile([1.0, math.inf], 50)


def test_peer_bounds_are_robust() -> None:
    values = [float(v) for v in range(100, 200)] + [10_000.0]
    low, high = peer_bounds(values, 5, 95)
    assert 100 < low < 110 and 190 < high < 200  # the extreme value does not pull the range
    with pytest.raises(ValidationFailed):
        peer_bounds(values, 90, 10)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0, 100),
       st.floats(0, 100))
def test_percentile_monotone_and_bounded(values: list[float], p: float, q: float) -> None:
    lo, hi = sorted((p, q))
    a, b = percentile(values, lo), percentile(values, hi)
    assert min(values) <= a <= b + 1e-6 <= max(values) + 1e-6
