"""Institution categories (机构类型) of the statistics system.

Leaf categories are stored on each institution: ``01`` 国家机关; ``021`` 教育,
``022`` 科技, ``023`` 文化, ``024`` 卫生, ``025`` 体育, ``026`` 其他事业单位
(group ``02`` 事业单位); ``03`` 团体组织. A group code (``02``) selects its leaves
in queries but is not a category an institution can have.

References
----------
- 公共机构能源资源消费统计调查制度, form NY101 机构类型 (2009 form codes 01, 021–026,
  03), as in ``shared/reference/reference-data.md`` §2.5.
- 《公共机构节能条例》 (2008) art. 2: 全部或部分使用财政性资金的国家机关、事业单位和团体组织.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .carriers import normalise_label
from .exceptions import ValidationFailed


@dataclass(frozen=True, slots=True)
class Category:
    """One category: ``code`` (``01``, ``021`` …), names, and its group code."""

    code: str
    name_zh: str
    name_en: str
    group: str


#: Groups (first level).
CATEGORY_GROUPS: dict[str, tuple[str, str]] = {
    "01": ("国家机关", "state organs"),
    "02": ("事业单位", "public service units"),
    "03": ("团体组织", "organisations and associations"),
}

#: Leaf categories in form order.
CATEGORIES: tuple[Category, ...] = (
    Category("01", "国家机关", "state organs", "01"),
    Category("021", "教育", "education", "02"),
    Category("022", "科技", "science and technology", "02"),
    Category("023", "文化", "culture", "02"),
    Category("024", "卫生", "health", "02"),
    Category("025", "体育", "sports", "02"),
    Category("026", "其他事业单位", "other public service units", "02"),
    Category("03", "团体组织", "organisations and associations", "03"),
)
CATEGORY_CODES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)
_BY_CODE = {c.code: c for c in CATEGORIES}

#: Other names accepted in files (folded with ``normalise_label``).
_ALIASES: dict[str, str] = {
    "机关": "01",
    "党政机关": "01",
    "国家机关": "01",
    "行政机关": "01",
    "学校": "021",
    "教育机构": "021",
    "教育": "021",
    "科研": "022",
    "科研院所": "022",
    "科技": "022",
    "文化": "023",
    "医院": "024",
    "卫生": "024",
    "医疗卫生": "024",
    "医疗机构": "024",
    "体育": "025",
    "其他": "026",
    "其他事业单位": "026",
    "社会团体": "03",
    "团体组织": "03",
    "社会团体组织": "03",
}
#: Codes written without their leading zero, as spreadsheets do (``1``, ``21``).
_SHORT_CODES: dict[str, str] = {c.lstrip("0"): c for c in CATEGORY_CODES}


def _known() -> str:
    return "、".join(f"{c.code} {c.name_zh}" for c in CATEGORIES)


def _from_code(digits: str, text: str) -> Category:
    if digits in _BY_CODE:
        return _BY_CODE[digits]
    if digits in _SHORT_CODES:
        return _BY_CODE[_SHORT_CODES[digits]]
    if digits.lstrip("0") == "2":
        leaves = "、".join(categories_under("02"))
        raise ValidationFailed.of("categories.group_not_category", leaves=leaves, value=text)
    raise ValidationFailed.of(
        "categories.unknown_code", known=_known(), value=text,
    )


def parse_category(text: str) -> Category:
    """The category written as a code (``021``, ``21``), a name (``教育``,
    ``医院``) or both (``021 教育``).

    A code without its leading zero is accepted (``1`` → ``01``, ``21`` →
    ``021``): no two codes collide that way. The group 事业单位 (``02``) is
    refused with the list of its categories.

    Raises
    ------
    ValidationFailed
        For an unknown code or name, or a code and a name that disagree.

    References
    ----------
    Form NY101 机构类型 codes (``reference-data.md`` §2.5).
    """
    folded = normalise_label(text)
    match = re.fullmatch(r"(\d+)[-.、:：]?(.*)", folded)
    if match:
        category = _from_code(match.group(1), text)
        name = match.group(2)
        if name and _ALIASES.get(name, category.code) != category.code:
            raise ValidationFailed.of(
                "categories.code_name_disagree", code=category.code,
                name_zh=category.name_zh, name_en=category.name_en, value=text,
            )
        return category
    if folded in _ALIASES:
        return _BY_CODE[_ALIASES[folded]]
    if folded == "事业单位":
        return _from_code("02", text)
    raise ValidationFailed.of(
        "categories.unknown_category", known=_known(), value=text,
    )


def categories_under(code: str) -> tuple[str, ...]:
    """Leaf category codes under a group or leaf code.

    ``02`` → ``('021', …, '026')``; ``01`` → ``('01',)``; ``024`` → ``('024',)``.

    Raises
    ------
    ValidationFailed
        When no category starts with ``code``.
    """
    found = tuple(c for c in CATEGORY_CODES if c.startswith(code)) if code else ()
    if not found:
        raise ValidationFailed.of(
            "categories.unknown_code", known=_known(), value=code,
        )
    return found


#: Name used in ``docs/architecture.md``.
category_codes = categories_under


def category(code: str) -> Category:
    """The leaf category with exactly this code."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValidationFailed.of(
            "categories.unknown_code", known=_known(), value=code,
        ) from None
