"""Data entry (数据填报): the monthly form of one institution.

``GET /entry`` picks an institution and a month; ``GET /entry/{code}/{year}/{month}``
shows every carrier with its unit selector and cost, the previous month and the
same month last year beside each input; ``POST …/check`` (htmx) returns the
findings before saving; ``POST …`` saves. A save whose figures jump beyond the
thresholds is shown back with the warnings and asks for confirmation first;
invalid values are shown beside their field and nothing is stored. Only roles
that may write reach these pages (:data:`jieneng.web.deps.WriterUser`); the
session's CSRF token is checked on every POST by the same dependency.

A figure filled from metering shows "来自计量" with its source and is read-only; "覆盖
override" takes another value with a reason (``o_<carrier>``, ``r_<carrier>``), and
``POST …/metered/{carrier}/clear`` withdraws an override (back to the metered figure).

JSON twin: ``/api/v1/entry/{code}/{year}/{month}`` (``GET`` the form's data, ``POST``
``…/check`` and ``POST`` save) in :mod:`.api`. A refused save shows the form again with what
was typed and the status the twin answers (:func:`jieneng.web.forms.form_error`).

Modules: :mod:`.pages` (the form), :mod:`.api` (its twin), :mod:`.common` (their path
parameters). A package because together they were over 400 lines.
"""

from .api import api
from .pages import router

__all__ = ["api", "router"]
