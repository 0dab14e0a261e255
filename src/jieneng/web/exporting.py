"""What the list exports share (issue 11 §2): the workbook answer, the lines under a
workbook's title, reading every page of a paginated list, and the 导出 Excel link
of each list page.

Every list page ``P`` exports at ``P.xlsx`` with the page's own query parameters
(``/institutions.xlsx``, ``/quality.xlsx``, ``/alerts.xlsx``, ``/review.xlsx``,
``/overview/ranking.xlsx``, ``/reporting/rate.xlsx``, ``/summaries.xlsx``,
``/targets/assessment.xlsx``): the same service call as the page and its JSON
twin, written by :func:`jieneng.reports.tables.table_xlsx` with the columns of
the list (:mod:`jieneng.core.listing`). An export answers for the caller's scope
exactly as the page does.

Whether a page shows its link is :data:`EXPORTS`: the capability of
:data:`jieneng.core.permissions.ROLE_CAPABILITIES` the page is offered under
(the review queue: :attr:`Capability.REVIEW`, as in the navigation), or None for
a list every signed-in role reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.services.accounts.users import scope_label
from jieneng.web.errors import lang_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The most rows one export reads [rows]: a whole province's directory fits.
MAX_ROWS = 200_000

#: export path → the capability a role needs to be offered it (None: every signed-in role)
EXPORTS: dict[str, Capability | None] = {
    "/institutions.xlsx": None,
    "/quality.xlsx": None,
    "/alerts.xlsx": None,
    "/review.xlsx": Capability.REVIEW,
    "/overview/ranking.xlsx": None,
    "/reporting/rate.xlsx": None,
    "/summaries.xlsx": None,
    "/targets/assessment.xlsx": None,
    "/gateways.xlsx": Capability.MANAGE_GATEWAYS,
    "/projects.xlsx": None,
    # a document, not a list: the assessment as a 公文 (web.targets.annual)
    "/targets/assessment.docx": None,
}


def export_url(user: User | None, path: str, params: Mapping[str, Any] | None = None
               ) -> str | None:
    """The link to the export ``path`` with the page's query ``params`` (empty ones
    left out, ``page`` dropped: an export holds every page), or None when the
    caller's role is not offered it (:data:`EXPORTS`)."""
    if user is None or path not in EXPORTS:
        return None
    needed = EXPORTS[path]
    if needed is not None and not user.can(needed):
        return None
    given = {k: v for k, v in (params or {}).items()
             if v not in (None, "", False) and k != "page"}
    return path + ("?" + urlencode(given) if given else "")


def workbook_lang(request: Request) -> str:
    """The language of a workbook's headers: the page's (``zh-CN`` or ``en``)."""
    return "en" if lang_of(request) == "en" else "zh-CN"


def xlsx_response(content: bytes, name: str, ascii_name: str) -> Response:
    """A workbook download named ``name`` (``ascii_name`` for old clients)."""
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}"})


def every_page(fetch: Callable[[int, int], Mapping[str, Any]], per_page: int
               ) -> list[dict[str, Any]]:
    """The items of every page of a paginated list (``fetch(page, per_page)`` answering
    ``items`` and ``total``), at most :data:`MAX_ROWS`."""
    items: list[dict[str, Any]] = []
    page = 1
    while len(items) < MAX_ROWS:
        data = fetch(page, per_page)
        items.extend(data["items"])
        if not data["items"] or len(items) >= int(data["total"]):
            break
        page += 1
    return items[:MAX_ROWS]


def notes(engine: Engine, user: User, lang: str, *, count: int,
          period: str | None = None, basis: str | None = None,
          filters: Sequence[tuple[str, Any]] = ()) -> list[str]:
    """The lines under a workbook's title: the caller's scope, the period, the basis
    of the figures, the filters asked for, and when it was exported (with the count)."""
    lines = [text(lang, "export.scope", scope=scope_label(engine, user))]
    if period:
        lines.append(text(lang, "export.period", period=period))
    if basis:
        lines.append(text(lang, "export.basis", basis=basis))
    shown = [f"{text(lang, key)} {value}" for key, value in filters
             if value not in (None, "")]
    if shown:
        lines.append(text(lang, "export.filters", filters="；".join(shown)
                          if lang != "en" else "; ".join(shown)))
    lines.append(text(lang, "export.exported", at=datetime.now().strftime("%Y-%m-%d %H:%M"),
                      count=f"{count:,}"))
    return lines
