"""The import issue codes: their default severity here, their bilingual message
templates in the one message catalogue (``data/messages``, key = the code; see
:mod:`jieneng.core.messages`).

Templates are :meth:`str.format` strings; the placeholders each code uses are
listed in its templates (a ``_zh``/``_en`` pair where each language names a thing
its own way). Codes are stable: tools and tests match on them, never on the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jieneng.core.messages import template

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    severity: Severity
    zh: str
    en: str


#: code → default severity (the texts are the catalogue's).
SEVERITY: dict[str, Severity] = {
    # --- the file as a whole ---
    "import.file_too_large": "error",
    "import.unsupported_format": "error",
    # no library text or path: the file may be damaged, renamed or not a spreadsheet
    "import.unreadable": "error",
    "import.encrypted": "error",
    # limits on what a file may expand to (jieneng.ingest.limits)
    "import.unpacks_too_large": "error",
    "import.too_many_parts": "error",
    "import.too_many_rows": "error",
    "import.too_many_columns": "error",
    "import.too_many_cells": "error",
    "import.too_many_strings": "error",
    "import.bad_encoding": "error",
    "import.sheet_not_found": "error",
    "import.header_not_found": "error",
    "import.empty": "error",
    "import.more_issues": "error",
    # --- headers (reported once, not per row) ---
    "import.missing_column": "error",
    "import.unknown_header": "error",
    "import.ignored_column": "warning",
    "import.duplicate_column": "error",
    "import.missing_unit": "error",
    "import.no_carrier_columns": "error",
    # --- cell values ---
    "import.missing_value": "error",
    "import.not_a_number": "error",
    "import.not_an_integer": "error",
    "import.negative": "error",
    "import.unknown_indicator": "error",
    "import.unknown_target_metric": "error",
    "import.bad_target_value": "error",
    "import.quota_levels": "error",
    "import.bad_year": "error",
    "import.bad_month": "error",
    "import.bad_boolean": "error",
    "import.bad_status": "error",
    "import.unknown_carrier": "error",
    "import.unknown_unit": "error",
    "import.unit_mismatch": "error",
    "import.cost_without_quantity": "error",
    # --- codes and references ---
    "import.invalid_credit_code": "error",
    "import.invalid_region_code": "error",
    "import.bad_category": "error",
    "import.unknown_institution": "error",
    "import.unknown_region": "error",
    "import.unknown_parent": "error",
    "import.bad_parent": "error",
    "import.unknown_department": "error",
    "import.price_range": "error",
    "import.duplicate_key": "error",
    "import.name_near_duplicate": "warning",
    # --- forms NY202 / NY203 (jieneng.ingest.forms_ny) ---
    "import.form_check": "error",
    "import.out_of_bounds": "error",
    "import.bad_period_month": "error",
    "import.bad_room_status": "error",
    # --- utility files: daily kWh and bills per 户号 (jieneng.ingest.utility_files) ---
    "utility.bad_date": "error",
    "utility.future_date": "error",
    "utility.bad_carrier": "error",
    "utility.tou_mismatch": "error",
    "utility.period_order": "error",
    "utility.period_overlap": "error",
    "utility.period_overlap_stored": "error",
    "utility.duplicate_conflict": "error",
    "utility.duplicate_same": "warning",
    "utility.unknown_account": "error",
    "utility.not_bound": "error",
    # --- weather files: a station's daily or hourly temperatures (jieneng.ingest.weather) ---
    "weather.no_time_column": "error",
    "weather.bad_unit": "error",
    "weather.unit_conflict": "error",
    "weather.unit_unknown": "error",
    "weather.bad_date": "error",
    "weather.bad_timestamp": "error",
    "weather.future_date": "error",
    "weather.out_of_range": "error",
    "weather.duplicate_conflict": "error",
    "weather.duplicate_same": "warning",
    "weather.low_coverage": "warning",
    # --- M&V files: meter and temperature (jieneng.ingest.mv_files) ---
    "mv.file.bad_month": "error",
    "mv.file.bad_timestamp": "error",
    "mv.file.temperature_range": "error",
    "mv.file.temperature_missing": "warning",
    "mv.file.value_missing": "warning",
}

#: code → default severity and the zh / en templates.
MESSAGES: dict[str, MessageTemplate] = {
    code: MessageTemplate(severity, template("zh-CN", code), template("en", code))
    for code, severity in SEVERITY.items()
}


def render(code: str, **params: object) -> tuple[Severity, str, str]:
    """Severity and the zh / en texts of ``code`` with ``params`` filled in."""
    found = MESSAGES[code]
    return found.severity, found.zh.format(**params), found.en.format(**params)
