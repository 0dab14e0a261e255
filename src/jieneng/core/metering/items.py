"""Energy item codes (能耗分项编码) a meter is tagged with: ``01A00`` 照明插座用电 …

The table is data with a source per row (``jieneng/data/metering/item_codes.csv``,
described in its ``README.md``); codes the reference marks unverified (third-level
codes, classes 07–13) are not in it and are refused.

References
----------
- 《国家机关办公建筑和大型公共建筑能耗监测系统 分项能耗数据采集技术导则》 (MOHURD
  2008): 5-character code, 分类 2 digits + 分项 letter + 一级子项 + 二级子项, as
  established in ``reference-data.md`` §6 and ``metering-and-scale.md`` §1.2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..carriers import Carrier
from ..exceptions import ValidationFailed


@dataclass(frozen=True, slots=True)
class ItemCode:
    """One row of the item-code table."""

    code: str
    name_zh: str
    name_en: str
    level: str  # "class" | "sub_item"
    carriers: frozenset[str]  # NY201 carrier codes a meter with this code may measure
    status: str
    source: str

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@cache
def item_codes() -> dict[str, ItemCode]:
    """Code → :class:`ItemCode`, in file order."""
    path = resources.files("jieneng") / "data" / "metering" / "item_codes.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return {
        r["code"]: ItemCode(r["code"], r["name_zh"], r["name_en"], r["level"],
                            frozenset(r["carriers"].split()), r["status"], r["source"])
        for r in rows
    }


def item_code(code: str) -> ItemCode:
    """The item code ``code`` (surrounding blanks ignored, letters upper-cased).

    Raises :class:`ValidationFailed` ``metering.unknown_item_code`` naming the known codes.
    """
    found = item_codes().get(code.strip().upper())
    if found is None:
        raise ValidationFailed.of("metering.unknown_item_code", code=code,
                                  known=", ".join(item_codes()))
    return found


def check_item_code(code: str, carrier: Carrier) -> ItemCode:
    """The item code ``code`` if a meter of ``carrier`` may carry it.

    Raises ``metering.unknown_item_code`` or ``metering.item_code_carrier`` (``01A00``
    on a water meter).
    """
    item = item_code(code)
    if carrier.code not in item.carriers:
        raise ValidationFailed.of(
            "metering.item_code_carrier", code=item.code, carrier=carrier.code,
            values={"item_zh": item.name_zh, "item_en": item.name_en,
                    "carrier_zh": carrier.name_zh, "carrier_en": carrier.name_en},
        )
    return item
