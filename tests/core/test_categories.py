"""Institution categories (form NY101 机构类型)."""

from __future__ import annotations

import pytest

from jieneng.core.categories import (
    CATEGORIES,
    CATEGORY_CODES,
    categories_under,
    category,
    category_codes,
    parse_category,
)
from jieneng.core.exceptions import ValidationFailed


def test_codes_in_form_order() -> None:
    assert CATEGORY_CODES == ("01", "021", "022", "023", "024", "025", "026", "03")
    assert {c.group for c in CATEGORIES} == {"01", "02", "03"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("01", "01"),
        ("1", "01"),
        ("021", "021"),
        ("21", "021"),
        ("026", "026"),
        ("3", "03"),
        ("０２４", "024"),
        ("国家机关", "01"),
        ("机关", "01"),
        ("党政机关", "01"),
        ("教育", "021"),
        ("学校", "021"),
        ("教育机构", "021"),
        ("科技", "022"),
        ("文化", "023"),
        ("卫生", "024"),
        ("医院", "024"),
        ("体育", "025"),
        ("其他事业单位", "026"),
        ("团体组织", "03"),
        ("社会团体", "03"),
        (" 社会 团体 ", "03"),
        ("021 教育", "021"),
        ("024-卫生", "024"),
        ("024医院", "024"),
    ],
)
def test_parse_category(text: str, code: str) -> None:
    assert parse_category(text).code == code


def test_group_is_refused_with_its_leaves() -> None:
    with pytest.raises(ValidationFailed, match=r"类别组.*021、022、023、024、025、026"):
        parse_category("02")
    with pytest.raises(ValidationFailed, match="类别组"):
        parse_category("事业单位")


@pytest.mark.parametrize("text", ["04", "027", "7", "公司"])
def test_unknown(text: str) -> None:
    with pytest.raises(ValidationFailed, match=r"未知机构类型.*01 国家机关"):
        parse_category(text)


def test_code_and_name_disagree() -> None:
    with pytest.raises(ValidationFailed, match=r"代码与名称不符.*024 为卫生"):
        parse_category("024 教育")


def test_categories_under() -> None:
    assert categories_under("02") == ("021", "022", "023", "024", "025", "026")
    assert categories_under("01") == ("01",)
    assert categories_under("03") == ("03",)
    assert categories_under("024") == ("024",)
    assert category_codes("02") == categories_under("02")
    with pytest.raises(ValidationFailed, match="未知机构类型代码“05”"):
        categories_under("05")
    with pytest.raises(ValidationFailed, match="未知机构类型代码“”"):
        categories_under("")


def test_category_lookup() -> None:
    assert category("025").name_zh == "体育"
    with pytest.raises(ValidationFailed, match="unknown category code '02'"):
        category("02")
