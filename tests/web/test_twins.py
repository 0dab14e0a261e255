"""The twin rule: every HTML page has a JSON twin at ``/api/v1`` + its path.

Issue 10 §1 / DESIGN.md §4: ``web/<feature>.py`` holds a page and its JSON twin
side by side; the twin answers the same query parameters with the same figures
and declares a response model. This module is the ONE place that lists the pages
that break the rule, each with its reason:

- :data:`OLDER_TWINS` — the twin exists, at a path older than the rule (kept:
  clients, templates and tests use it);
- :data:`NO_TWIN` — forms, sign-in, redirects and file downloads, which have no
  JSON reading of their own.

The walk fails for a page that has none of the three, and for an entry here that
names no page (or a twin that does not exist), so the lists stay true.
"""

from __future__ import annotations

from fastapi.routing import APIRoute

from jieneng.web.app import ROUTERS

API = "/api/v1"

#: page → its JSON twin at an older path (same query parameters, same figures)
OLDER_TWINS: dict[str, str] = {
    # the start page is the workbench; the API root /api/v1/ names no resource
    "/": "/api/v1/workbench",
    "/admin/users": "/api/v1/users",
    "/admin/users/{user_id}": "/api/v1/users/{user_id}",
    "/admin/audit": "/api/v1/audit",
    "/admin/factor-sets": "/api/v1/factor-sets",
    "/quality": "/api/v1/quality/findings",
    "/overview/ranking": "/api/v1/ranking",
    "/review": "/api/v1/reporting/review",
    "/reporting": "/api/v1/reporting/periods",
    "/entry": "/api/v1/institutions",  # the chooser searches the directory (?q=)
}

#: page → why it has no JSON twin
NO_TWIN: dict[str, str] = {
    "/login": "the sign-in form (the API authenticates with a bearer token)",
    "/directory": "a redirect to /institutions (the navigation's name for it)",
    "/import": "the upload form; its JSON twin is POST /api/v1/imports",
    "/import/template/{kind}": "a file download (the import template)",
    "/summaries.xlsx": "a file download: the figures of /api/v1/summaries",
    "/institutions.xlsx": "a file download: the entries of /api/v1/institutions",
    "/quality.xlsx": "a file download: the findings of /api/v1/quality/findings",
    "/alerts.xlsx": "a file download: the alerts of /api/v1/alerts",
    "/overview/ranking.xlsx": "a file download: the ranking of /api/v1/ranking",
    "/reporting/rate.xlsx": "a file download: the rates of /api/v1/reporting/rate",
    "/review.xlsx": "a file download: the queue of /api/v1/reporting/review",
    "/review-report.docx": "a file download: the figures of /api/v1/review-report",
    "/targets/assessment.xlsx": "a file download: the figures of /api/v1/targets/assessment",
    "/targets/assessment.docx": "a file download: the figures of /api/v1/targets/assessment",
    "/reports/annual.docx": "a file download: the annual 通报 document",
    "/reports/annual.xlsx": "a file download: the annual 通报 workbook",
    "/metering/template.csv": "a file download (the registry file's template)",
    "/datacentre/summary.xlsx": "a file download: the lists of /api/v1/datacentre/summary",
    "/datacentre/template.xlsx": "a file download (the NY202 / NY203 import template)",
    "/gateways.xlsx": "a file download: the gateways of /api/v1/gateways",
    "/metering/utility": "the upload form of daily and billing files; what they store is read "
                         "at /api/v1/metering/accounts/{carrier}/{number}/days and /bills",
    "/metering/utility/daily-kwh.xlsx": "a file download (the daily-quantity template)",
    "/metering/utility/bills.xlsx": "a file download (the billing-period template)",
    "/projects.xlsx": "a file download: the projects of /api/v1/projects",
    "/weather.xlsx": "a file download: the stations and months of /api/v1/weather",
    "/projects/new": "the registration form; its JSON twin is POST /api/v1/projects",
    "/projects/import": "the upload form; its JSON twin is POST /api/v1/projects/import",
    "/projects/import/template.csv": "a file download (the project list's template)",
    "/projects/{code}/mv-report.docx": "a file download: the M&V report of "
                                       "/api/v1/projects/{code}",
    "/projects/{code}/settlement.docx": "a file download: a settlement of "
                                        "/api/v1/projects/{code}",
    "/projects/{code}/statements.xlsx": "a file download: the statements of "
                                        "/api/v1/projects/{code}",
    "/projects/{code}/contract": "the contract form; its JSON twin is "
                                 "PUT /api/v1/projects/{code}/contract",
    "/projects/{code}/documents/{document_id}": "a file download (a stored document)",
    "/workplans/import": "the upload form; its JSON twin is POST /api/v1/workplans/import",
    "/workplans/import/template.csv": "a file download (the work plan sheet's template)",
    "/workplans/{plan_id}.xlsx": "a file download: the items of /api/v1/workplans/{plan_id}",
    "/workplans/{plan_id}/summary.docx": "a file download: the figures of "
                                         "/api/v1/workplans/{plan_id}/review",
    "/workplans/{plan_id}/evidence/{evidence_id}": "a file download (a report's evidence)",
    "/campaigns/schemes/load": "the upload form; its JSON twin is "
                               "POST /api/v1/campaigns/schemes/load",
    "/campaigns/schemes/template.csv": "a file download (the scheme table's template)",
    "/campaigns/schemes/{code}.xlsx": "a file download: the version of "
                                      "/api/v1/campaigns/schemes/{code} as a loadable table",
    "/fleet.xlsx": "a file download: the figures and lists of /api/v1/fleet",
    "/campaigns/rounds/{round_id}/checks.xlsx": "a file download: the sample of "
                                                "/api/v1/campaigns/rounds/{round_id}/checks",
    "/campaigns/rechecks.xlsx": "a file download: the re-checks of /api/v1/campaigns/rechecks",
    "/campaigns/coverage.xlsx": "a file download: the rows of /api/v1/campaigns/coverage",
    "/campaigns/rounds/{round_id}.xlsx": "a file download: the members of "
                                         "/api/v1/campaigns/rounds/{round_id}",
    "/campaigns/rounds/{round_id}/members/{institution_code}/evidence/{evidence_id}":
        "a file download (a stored evidence file)",
    "/fleet/import": "the upload form; its JSON twin is POST /api/v1/fleet/import",
    "/fleet/template.csv": "a file download (a blank vehicle, parking or equipment file)",
    "/carbon/events.xlsx": "a file download: the events of /api/v1/carbon/events",
    "/carbon/events/{event_id}/offsets/{offset_id}": "a file download (an offset's "
                                                     "evidence document)",
    "/carbon/points.xlsx": "a file download: the leaderboards of /api/v1/carbon/points",
    "/carbon/points/template.csv": "a file download (the carbon-points file's template)",
    "/carbon/points/rules.csv": "a file download: the rules of /api/v1/carbon/points "
                                "(in force, or ?version=N)",
    "/assessments/{run_id}.xlsx": "a file download: the ranking of /api/v1/assessments/{run_id}",
    "/assessments/sheets/load": "the upload form; its JSON twin is "
                                "POST /api/v1/assessments/sheets/load",
    "/assessments/sheets/template.csv": "a file download (the assessment sheet's example)",
    "/assessments/{run_id}.docx": "a file download: the ranking of /api/v1/assessments/{run_id}",
}


def _get_routes() -> tuple[set[str], dict[str, APIRoute]]:
    """(HTML page paths, JSON GET routes by path) of every router of the app."""
    pages: set[str] = set()
    json: dict[str, APIRoute] = {}
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            if route.path.startswith(API + "/"):
                json[route.path] = route
            elif not route.path.startswith("/api/"):
                pages.add(route.path)
    return pages, json


def test_every_page_has_its_json_twin() -> None:
    pages, json = _get_routes()
    missing = sorted(p for p in pages
                     if API + p not in json and p not in OLDER_TWINS and p not in NO_TWIN)
    assert not missing, f"pages without a JSON twin at /api/v1 + path: {missing}"


def test_the_exceptions_name_real_pages_and_twins() -> None:
    pages, json = _get_routes()
    listed = {*OLDER_TWINS, *NO_TWIN}
    assert not (set(OLDER_TWINS) & set(NO_TWIN))
    assert listed <= pages, f"not a page: {sorted(listed - pages)}"
    redundant = sorted(p for p in listed if API + p in json)
    assert not redundant, f"these pages have a twin at /api/v1 + path now: {redundant}"
    absent = sorted(t for t in OLDER_TWINS.values() if t not in json)
    assert not absent, f"named twins that are not JSON GET routes: {absent}"


def test_twins_declare_a_response_model() -> None:
    """A twin's contract is its model (as every JSON route's,
    ``tests/web/test_response_models.py``)."""
    pages, json = _get_routes()
    twins = {API + p for p in pages if API + p in json} | set(OLDER_TWINS.values())
    bare = sorted(t for t in twins if json[t].response_model is None)
    assert not bare, f"twins without a response model: {bare}"
