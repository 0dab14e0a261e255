"""The one answer of a page's form that a service refused.

A form POST that fails (the input is invalid, it collides with something, the
caller may not, the thing is gone) shows the same page again, with the message
beside the field it names and what was typed still in the fields, under the
HTTP status its JSON twin answers for the same refusal
(:func:`jieneng.web.errors.status_of`: 422 / 409 / 403 / 404 / 400) — so a
browser, a test and a client of the API see one verdict (issue 10 §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, overload

from fastapi import Request
from starlette.responses import HTMLResponse

from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.web.common import blank, error_message, page
from jieneng.web.errors import status_of

#: the key of the whole form's message (a refusal that names no field)
WHOLE_FORM = "_form"
#: the longest free text a form field keeps (a reason, a question, an answer)
MAX_TEXT = 2000


def form_text(form: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    """A form field's text, cut at ``limit`` characters; None when absent or blank."""
    raw = form.get(name)
    return blank(raw[:limit]) if isinstance(raw, str) else None


@overload
def form_date(value: str | None, field: str, *, required: Literal[True]) -> date: ...


@overload
def form_date(value: str | None, field: str, *, required: bool = False) -> date | None: ...


def form_date(value: str | None, field: str, *, required: bool = False) -> date | None:
    """A date typed in a form field (``YYYY-MM-DD``): None when left empty — refused
    (``form_field_required``) when ``required`` —, refused at its field when malformed
    (``form_date_invalid``)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ValidationFailed.of("form_field_required", field=field)
        return None
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ValidationFailed.of("form_date_invalid", field=field, value=cleaned[:20]) from None


def form_int(form: Mapping[str, Any], name: str) -> int | None:
    """A form field's whole number; None when absent or not digits."""
    text = form_text(form, name, 12)
    return int(text) if text and text.isdigit() else None


def field_errors(request: Request, err: DomainError, *, default_field: str = WHOLE_FORM,
                 at: str | None = None) -> dict[str, str]:
    """``{field: message}``: the message in the request's language under ``at`` if
    given, else the field the refusal names (``details.field``), else ``default_field``."""
    field = at or str(err.details.get("field") or default_field)
    return {field: error_message(request, err)}


def form_error(
    request: Request, template: str, context: dict[str, Any], err: DomainError, *,
    errors_key: str = "errors", default_field: str = WHOLE_FORM, at: str | None = None,
) -> HTMLResponse:
    """``template`` again with ``context`` (which carries what was typed, usually as
    ``form``), the refusal's message under ``errors_key`` (``{field: message}``) and
    as ``error`` (the text alone, for pages with one message line), answered with
    the status of the JSON twin. ``default_field``: where a refusal that names no
    field is shown."""
    errors = field_errors(request, err, default_field=default_field, at=at)
    ctx = {**context, errors_key: errors, "error": next(iter(errors.values()))}
    return page(request, template, ctx, status_code=status_of(err))
