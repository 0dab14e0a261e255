"""统一社会信用代码 (GB 32100-2015 + GB 11714) and GB/T 2260 region codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.codes import (
    CREDIT_CODE_WEIGHTS,
    RegionLevel,
    credit_code_check_char,
    expected_parent_prefix,
    is_public_institution_prefix,
    make_credit_code,
    organisation_code_check_char,
    parent_region_code,
    region_level,
    validate_credit_code,
    validate_region_code,
)
from jieneng.core.exceptions import InvalidCode, ValidationFailed

from .conftest import read_reference

REF = read_reference("credit_codes.csv")


@pytest.mark.reference(source="reference-data.md §7.2; dromara/hutool CreditCodeUtilTest")
@pytest.mark.parametrize("row", [r for r in REF if r["valid"] == "true"], ids=lambda r: r["code"])
def test_reference_codes_valid(row: dict[str, str]) -> None:
    assert validate_credit_code(row["code"]) == row["code"]


@pytest.mark.reference(source="reference-data.md §7.2 (待调试 codes)")
@pytest.mark.parametrize("row", [r for r in REF if r["valid"] == "false"], ids=lambda r: r["code"])
def test_reference_codes_invalid(row: dict[str, str]) -> None:
    with pytest.raises(
        InvalidCode, match=rf"应为“{row['expected_check']}”，实际为“{row['code'][-1]}”"
    ) as info:
        validate_credit_code(row["code"])
    assert info.value.details["expected"] == row["expected_check"]
    assert f"expected {row['expected_check']!r}, got {row['code'][-1]!r}" in str(info.value)


@pytest.mark.reference(source="reference-data.md §7.2 worked example")
def test_worked_example_weights_and_check_chars() -> None:
    assert CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert organisation_code_check_char("M000100Y") == "4"


def test_normalises_fullwidth_space_and_case() -> None:
    assert (
        validate_credit_code("  ９１３５０１００ｍ０００１００ｙ４３\u3000") == "91350100M000100Y43"
    )


def test_wrong_length() -> None:
    with pytest.raises(InvalidCode, match=r"应为18位，实际17位.*18 characters, got 17"):
        validate_credit_code("91350100M000100Y4")


@pytest.mark.parametrize(
    ("code", "position", "char"),
    [
        ("91350100M0001O0Y43", 14, "O"),
        ("9135010OM000100Y43", 8, "O"),
        ("9I350100M000100Y43", 2, "I"),
    ],
)
def test_illegal_character_position(code: str, position: int, char: str) -> None:
    with pytest.raises(
        InvalidCode, match=rf"第{position}位含非法字符“{char}”.*position {position}"
    ) as info:
        validate_credit_code(code)
    assert info.value.details["position"] == position


def test_punctuation_is_illegal() -> None:
    with pytest.raises(InvalidCode, match="第5位含非法字符“-”"):
        validate_credit_code("9135-100M000100Y43")


def test_wrong_organisation_check_char() -> None:
    # Org check char changed 4 → 5, credit check char recomputed so only the org part is wrong.
    first17 = "91350100M000100Y5"
    code = first17 + credit_code_check_char(first17)
    with pytest.raises(
        InvalidCode,
        match=r"组织机构代码（第9–17位）校验码错误：应为“4”，实际为“5”.*organisation code",
    ):
        validate_credit_code(code)
    assert validate_credit_code(code, check_organisation_code=False) == code


def test_org_check_x_and_zero() -> None:
    # Σ mod 11 == 1 → 10 → 'X'; Σ mod 11 == 0 → 11 → '0'.
    assert organisation_code_check_char("00000006") == "X"  # Σ = 6·2 = 12 ≡ 1
    assert organisation_code_check_char("99999999") == "8"  # Σ = 9·48 = 432 ≡ 3
    assert organisation_code_check_char("00000000") == "0"


def test_org_check_char_errors() -> None:
    with pytest.raises(InvalidCode, match="本体应为8位，实际3位"):
        organisation_code_check_char("123")
    with pytest.raises(InvalidCode, match="第2位含非法字符“-”"):
        organisation_code_check_char("1-345678")


def test_check_char_needs_17() -> None:
    with pytest.raises(InvalidCode, match=r"需要前17位，实际3位.*got 3"):
        credit_code_check_char("913")


def test_check_value_31_becomes_0() -> None:
    # Σ ≡ 0 (mod 31) gives 31 − 0 = 31 → '0'.
    assert credit_code_check_char("0" * 17) == "0"


@given(
    registration=st.sampled_from(["11", "12", "13", "51", "52", "53", "59", "91"]),
    region=st.sampled_from(["110000", "450300", "450302", "500103", "650000"]),
    serial=st.integers(min_value=0, max_value=10**8 - 1),
)
def test_make_credit_code_round_trip(registration: str, region: str, serial: int) -> None:
    code = make_credit_code(registration, region, serial)
    assert len(code) == 18
    assert validate_credit_code(code) == code
    assert code[2:8] == region
    assert code[8:16] == f"{serial:08d}"


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_single_substitution_detected(first17: str) -> None:
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code, check_organisation_code=False) == code
    wrong = "0" if code[0] != "0" else "1"
    with pytest.raises(InvalidCode, match="校验码错误"):
        validate_credit_code(wrong + code[1:], check_organisation_code=False)


def test_make_credit_code_errors() -> None:
    with pytest.raises(InvalidCode, match="序号须在0至99999999之间"):
        make_credit_code("12", "450300", 10**8)
    with pytest.raises(InvalidCode, match="应为2位，实际1位"):
        make_credit_code("1", "450300", 1)
    with pytest.raises(InvalidCode, match="应为6位数字"):
        make_credit_code("12", "4503", 1)


def test_public_institution_prefix() -> None:
    assert is_public_institution_prefix("12450300MB0000000X")
    assert is_public_institution_prefix("11")
    assert is_public_institution_prefix("53450300")
    assert not is_public_institution_prefix("91350100M000100Y43")


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("450000", RegionLevel.PROVINCE, "", None),
        ("450300", RegionLevel.CITY, "45", "450000"),
        ("450302", RegionLevel.COUNTY, "4503", "450300"),
        ("429004", RegionLevel.COUNTY, "4290", "429000"),
        ("５００１０３", RegionLevel.COUNTY, "5001", "500100"),
    ],
)
def test_region_levels(code: str, level: RegionLevel, prefix: str, parent: str | None) -> None:
    assert region_level(code) is level
    assert expected_parent_prefix(code) == prefix
    assert parent_region_code(code) == parent


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("45030", "应为6位数字"),
        ("4503021", "应为6位数字"),
        ("45030A", "应为6位数字"),
        ("990000", "省级代码“99”不存在"),
        ("450012", "有县级部分但地市部分为00"),
    ],
)
def test_invalid_region_codes(text: str, message: str) -> None:
    with pytest.raises(InvalidCode, match=message):
        validate_region_code(text)


def test_invalid_code_is_validation_failed() -> None:
    with pytest.raises(ValidationFailed, match="six digits"):
        validate_region_code("")
