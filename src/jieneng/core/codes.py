"""Identification codes: 统一社会信用代码 (GB 32100-2015) and region codes (GB/T 2260).

A 统一社会信用代码 has 18 characters::

    1   登记管理部门代码      (1 机构编制, 5 民政, 9 工商, Y 其他 …)
    1   机构类别代码
    6   登记管理机关行政区划码 (GB/T 2260)
    9   主体标识码 = 组织机构代码 (GB 11714): 8 body characters + 1 check character
    1   校验码

Both check characters are verified. Region codes are six digits: ``XX0000`` a
province, ``XXXX00`` a prefecture-level city, anything else a county.

References
----------
- GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》 — character set, weights
  3^(i-1) mod 31, check = 31 − (Σ mod 31), 31 → 0. Algorithm and worked example as
  in ``shared/reference/reference-data.md`` §7.2 (also dromara/hutool
  ``CreditCodeUtil``).
- GB 11714-1997 《全国组织机构代码编制规则》 — weights 3 7 9 10 5 8 4 2 over the
  values of 0–9 A–Z, check = 11 − (Σ mod 11), 10 → ``X``, 11 → ``0``.
- GB/T 2260 《中华人民共和国行政区划代码》 — six-digit structure.
"""

from __future__ import annotations

import unicodedata
from enum import IntEnum

from .exceptions import InvalidCode

#: The 31 characters of GB 32100-2015 (no I, O, S, V, Z), in value order.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
_CREDIT_MODULUS = len(CREDIT_CODE_CHARSET)  # 31
#: Weights of positions 1–17: 3^(i-1) mod 31 (GB 32100-2015).
CREDIT_CODE_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, _CREDIT_MODULUS) for i in range(17))

#: GB 11714 organisation-code weights of the 8 body characters.
ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUE = {ch: i for i, ch in enumerate(_ORG_CHARSET)}
_ORG_MODULUS = 11

#: Two-digit province prefixes of GB/T 2260 (31 provinces, 台湾, 香港, 澳门).
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def _fold(text: str) -> str:
    """Strip, NFKC-fold (full-width → ASCII) and upper-case a typed code."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def _org_check_char(body: str) -> str:
    """GB 11714 check character of the 8-character organisation-code body."""
    total = sum(_ORG_VALUE[ch] * w for ch, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = _ORG_MODULUS - total % _ORG_MODULUS
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def organisation_code_check_char(body: str) -> str:
    """Check character of a GB 11714 organisation code from its 8 body characters.

    Parameters
    ----------
    body : str
        The 8 body characters (digits and capital letters).

    Returns
    -------
    str
        ``0``–``9`` or ``X``.

    References
    ----------
    GB 11714-1997 clause 4 (weights 3 7 9 10 5 8 4 2, modulus 11).
    """
    folded = _fold(body)
    if len(folded) != 8:
        raise InvalidCode.of(
            "codes.organisation_body_length", count=len(folded), code=body,
        )
    for i, ch in enumerate(folded, start=1):
        if ch not in _ORG_VALUE:
            raise InvalidCode.of(
                "codes.organisation_illegal_character", ch=ch, code=body, position=i,
            )
    return _org_check_char(folded)


def credit_code_check_char(first17: str) -> str:
    """Check character (position 18) of a 统一社会信用代码.

    Parameters
    ----------
    first17 : str
        The first 17 characters, from ``CREDIT_CODE_CHARSET``.

    Returns
    -------
    str
        One character of ``CREDIT_CODE_CHARSET``.

    References
    ----------
    GB 32100-2015 clause 5 and Annex (weights 3^(i-1) mod 31; check value
    31 − (Σ mod 31), a result of 31 becomes 0).
    """
    folded = _fold(first17)
    if len(folded) != 17:
        raise InvalidCode.of("codes.check_needs_17_characters", count=len(folded), code=first17)
    _check_charset(folded, first17)
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(folded, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(_CREDIT_MODULUS - total % _CREDIT_MODULUS) % _CREDIT_MODULUS]


def _check_charset(folded: str, original: str) -> None:
    for i, ch in enumerate(folded, start=1):
        if ch not in _CREDIT_VALUE:
            raise InvalidCode.of(
                "codes.credit_illegal_character", ch=ch, code=original, position=i,
            )


def validate_credit_code(text: str, *, check_organisation_code: bool = True) -> str:
    """Validate a 统一社会信用代码 and return it normalised.

    The text is stripped, NFKC-folded (full-width ``９１３…`` → ``913…``) and
    upper-cased before checking.

    Parameters
    ----------
    text : str
        The code as typed.
    check_organisation_code : bool, default True
        Also verify the GB 11714 check character of the embedded organisation
        code (positions 9–17).

    Returns
    -------
    str
        The 18-character code in canonical form.

    Raises
    ------
    InvalidCode
        Naming exactly what is wrong: the length, an illegal character and its
        position (1-based), the expected and actual check character, or the
        organisation-code check character.

    References
    ----------
    GB 32100-2015; GB 11714-1997; ``reference-data.md`` §7.2.
    """
    code = _fold(text)
    if len(code) != 18:
        raise InvalidCode.of("codes.credit_code_length", count=len(code), code=text)
    _check_charset(code, text)
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise InvalidCode.of(
            "codes.credit_check_character", code=text, expected=expected, actual=code[17],
        )
    if check_organisation_code:
        org_expected = _org_check_char(code[8:16])
        if code[16] != org_expected:
            raise InvalidCode.of(
                "codes.organisation_check_character", code=text, expected=org_expected,
                actual=code[16],
            )
    return code


def is_public_institution_prefix(code: str) -> bool:
    """Whether the first two characters suit a 公共机构 (informative only).

    ``11`` 机关, ``12`` 事业单位, ``13`` 中央编办直接管理的群众团体 and ``5x``
    (民政: 社会团体, 民办非企业单位, 基金会 …). A ``False`` is a hint to review,
    never a reason to reject.

    References
    ----------
    GB 32100-2015 Table 1 (登记管理部门代码 and 机构类别代码), as listed in
    ``reference-data.md`` §7.2.
    """
    folded = _fold(code)
    return folded[:2] in {"11", "12", "13"} or (len(folded) >= 2 and folded[0] == "5")


def make_credit_code(registration: str, region_code: str, serial: int) -> str:
    """Build a valid 统一社会信用代码 for demo and benchmark data.

    Parameters
    ----------
    registration : str
        The two leading characters (登记管理部门代码 + 机构类别代码), e.g. ``12``.
    region_code : str
        A six-digit GB/T 2260 code (validated).
    serial : int
        0 ≤ serial < 10⁸; becomes the 8-digit organisation-code body.

    Returns
    -------
    str
        18 characters with a valid GB 11714 and GB 32100 check character.

    References
    ----------
    GB 32100-2015; GB 11714-1997.
    """
    reg = _fold(registration)
    if len(reg) != 2:
        raise InvalidCode.of(
            "codes.registration_prefix_length", count=len(reg), code=registration,
        )
    _check_charset(reg, registration)
    region = validate_region_code(region_code)
    if not 0 <= serial < 10**8:
        raise InvalidCode.of("codes.serial_out_of_range", serial=serial)
    body = f"{serial:08d}"
    first17 = reg + region + body + _org_check_char(body)
    return first17 + credit_code_check_char(first17)


class RegionLevel(IntEnum):
    """Level of a GB/T 2260 administrative division."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3


def validate_region_code(text: str) -> str:
    """Validate a six-digit GB/T 2260 region code and return it normalised.

    Checks the shape only (six digits, a known province prefix, no county part
    under a missing city part); whether the code exists is a matter for the
    region table.

    Raises
    ------
    InvalidCode
        With the reason.

    References
    ----------
    GB/T 2260 (structure ``XX`` province, ``XXXX`` prefecture, ``XXXXXX`` county);
    ``reference-data.md`` §7.1.
    """
    code = _fold(text)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise InvalidCode.of("codes.region_code_length", code=text)
    if code[:2] not in PROVINCE_PREFIXES:
        raise InvalidCode.of(
            "codes.region_unknown_province", region_code=code, province=code[:2], code=text,
        )
    if code[2:4] == "00" and code[4:] != "00":
        raise InvalidCode.of("codes.region_county_without_city", region_code=code, code=text)
    return code


def region_level(code: str) -> RegionLevel:
    """Level of a region code: ``XX0000`` province, ``XXXX00`` city, else county.

    References
    ----------
    GB/T 2260 code structure.
    """
    valid = validate_region_code(code)
    if valid.endswith("0000"):
        return RegionLevel.PROVINCE
    if valid.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def expected_parent_prefix(code: str) -> str:
    """Prefix that the code of this region's parent shares with it.

    ``""`` for a province, ``XX`` for a city, ``XXXX`` for a county. (A county
    directly under a province — 省直辖县级, e.g. ``429004`` — still shares the
    ``XXXX`` of its grouping code ``429000``.)
    """
    valid = validate_region_code(code)
    level = region_level(valid)
    return {RegionLevel.PROVINCE: "", RegionLevel.CITY: valid[:2], RegionLevel.COUNTY: valid[:4]}[
        level
    ]


def parent_region_code(code: str) -> str | None:
    """Six-digit code of the parent by structure (``None`` for a province)."""
    prefix = expected_parent_prefix(code)
    return prefix.ljust(6, "0") if prefix else None


def province_prefix(code: str) -> str:
    """The two-digit province part of a region code (validated)."""
    return validate_region_code(code)[:2]
