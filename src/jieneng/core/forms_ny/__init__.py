"""Forms NY202 (data-centre rooms, 数据中心机房) and NY203 (heating, 采暖): fields as
data (:mod:`.fields`), checks (:mod:`.checks`), PUE and its targets (:mod:`.pue`)."""

from .checks import RULES, Problem, Rule, check_record, rule_fails, rules
from .fields import (
    ANNUAL,
    FORMS,
    NY202_FIELDS,
    NY203_FIELDS,
    ROOM_STATUS_NAMES,
    ROOM_STATUSES,
    Field,
    Kind,
    current,
    field_of,
    removed,
)
from .pue import DEFAULT_TARGETS, PueTargets, pue

__all__ = [
    "ANNUAL", "DEFAULT_TARGETS", "FORMS", "NY202_FIELDS", "NY203_FIELDS", "ROOM_STATUSES",
    "ROOM_STATUS_NAMES", "RULES", "Field", "Kind", "Problem", "PueTargets", "Rule",
    "check_record", "current", "field_of", "pue", "removed", "rule_fails", "rules",
]
