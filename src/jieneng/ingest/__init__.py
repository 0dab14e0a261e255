"""Files → validated polars frames and a list of :class:`ImportIssue`.

No database access: callers pass look-ups in (known region codes, the stored
institution directory as a polars frame). Every kind is parsed and checked with
vectorised polars expressions; each check's failing rows become issues naming
the file, sheet, row (as the spreadsheet shows it), column and value.

Entry points: :func:`parse_regions`, :func:`parse_institutions`,
:func:`parse_profiles`, :func:`parse_consumption`; :func:`read_table` beneath
them; :func:`jieneng.ingest.templates.write_template` for blank templates.
"""

from __future__ import annotations

from .consumption import parse_consumption
from .institutions import parse_institutions
from .issues import ImportIssue, IssueSummary, summarise_issues
from .profiles import parse_profiles
from .reader import DEFAULT_MAX_BYTES, Table, TableError, read_table
from .regions import parse_regions
from .result import Parsed

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ImportIssue",
    "IssueSummary",
    "Parsed",
    "Table",
    "TableError",
    "parse_consumption",
    "parse_institutions",
    "parse_profiles",
    "parse_regions",
    "read_table",
    "summarise_issues",
]
