"""The scope walk: every GET route of the app, as every role, inside and outside its scope.

How it works
------------
:data:`ROUTES` holds one or more :class:`Sample` per route path. A sample names
the kind of each path parameter and of each scope-bearing query parameter
(``region``, ``institution_code``, …); :data:`VALUES` gives, for each role, a
value of each kind *inside* its scope and one *outside* it (for the
administrator, "outside" is something that does not exist). The walk then:

1. fails if the app has a GET route with no entry in :data:`ROUTES` (so a route
   added later is covered or the suite is red), or an entry without a route, or
   a path parameter without a sample kind;
2. calls every route anonymously: 401 (API) or a redirect to /login (pages),
   except the public routes (login, static files, the OpenAPI document, the
   public big screen);
3. calls every route as every role with the inside values: 200 (or 403 for
   administrator-only routes), and with the outside values: 404 (403 for
   administrator-only routes). The account pages are also open to a
   管理机构管理员 (``account_manager``): inside its subtree 200, outside 404;
4. checks that no response body — inside or outside — shows anything of the
   sibling data outside the role's scope (:mod:`tests.web.scope_world`: a sibling
   institution in the same county, a sibling department, a sibling county with an
   open period; each with an alert, a quality finding, tasks and a question): its
   credit code or name, an ``institution_id``/``task_id``/``alert_id``/… field in
   JSON, a link to its task or alert, its period's label, its alert's values (a
   code the request itself carried may be echoed in the 404 message). Public
   routes are exempt: what they show is published to everyone.

Every list switch is walked too (``group_by``, ``kind``, ``sort``, ``closed``,
``state``, ``severity``, ``status``…), and every route taking a ``region`` is also
walked with the widest region the role may ask for (kind ``city``: 450300 for a
department or an institution, whose units lie in one county of it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import pytest

from jieneng.core.permissions import ROLE_CAPABILITIES, Role
from tests.web.conftest import EDU, MISSING, NAMES, ORGAN, ROLES, SCHOOL, SILENT, World
from tests.web.routes import iter_routes
from tests.web.scope_world import (
    CLINIC,
    HEALTH,
    OUTSIDE_PERIOD,
    SIBLING_NAMES,
    Siblings,
    add_siblings,
)


@pytest.fixture
def siblings(world: World, tmp_path: Path) -> Siblings:
    out = add_siblings(world, tmp_path)
    _sibling_meters(world)
    from tests.forms_ny.world import add_rooms

    add_rooms(world.engine, tmp_path)  # NY202 / NY203 figures of every unit, siblings too
    return out


def _sibling_meters(world: World) -> None:
    """A meter of every institution, siblings too (no data: each is a silent meter on
    the live monitoring pages, so a sibling's leaking there names it)."""
    from jieneng.services.metering.registry import MeterSpec, add_meter

    for code in (*NAMES, *SIBLING_NAMES):
        add_meter(world.engine, world.users["admin"], code, MeterSpec(f"LIVE-{code[-4:]}", "电"))


@dataclass(frozen=True)
class Sample:
    params: dict[str, str] = field(default_factory=dict)  # path parameter → kind
    scoped_query: dict[str, str] = field(default_factory=dict)  # query parameter → kind
    query: dict[str, str] = field(default_factory=dict)  # fixed query parameters
    public: bool = False
    admin_only: bool = False
    #: also open to a 管理机构管理员 (region_admin), inside its subtree only
    account_manager: bool = False
    writer_only: bool = False  # a viewer gets 403
    signed_in_status: int = 200  # e.g. /login sends a signed-in user on (303)
    #: a list filtered by something outside the scope may answer an empty list (200)
    outside_status: int = 404
    #: a capability the route needs: a role without it gets 403 (both sides)
    capability: str | None = None


ROUTES: dict[str, tuple[Sample, ...]] = {
    "/api/v1/openapi.json": (Sample(public=True),),
    "/api/v1/docs": (Sample(public=True),),
    "/static/{path}": (Sample(public=True, params={"path": "static"}),),
    "/login": (Sample(public=True, signed_in_status=303),),
    "/": (Sample(),),
    "/api/v1/workbench": (Sample(),),
    # the unit search of the top bar: a name fragment of every world institution and
    # its credit code's prefix (the outside ones must not appear)
    "/search": (Sample(query={"q": "演示"}), Sample(query={"q": "12450"}),
                Sample(query={"q": "阳朔"}), Sample(query={"q": "秀峰"}), Sample()),
    "/api/v1/search": (Sample(query={"q": "演示"}), Sample(query={"q": "1"}),
                       Sample(query={"q": "阳朔"}), Sample(query={"q": "秀峰"})),
    "/account": (Sample(),),
    "/admin/users": (Sample(admin_only=True, account_manager=True),),
    "/admin/users/{user_id}": (Sample(admin_only=True, account_manager=True,
                                      params={"user_id": "user"}),),
    "/admin/audit": (Sample(admin_only=True),),
    "/admin/factor-sets": (Sample(admin_only=True),),
    "/admin/publication": (Sample(admin_only=True),),
    "/api/v1/admin/publication": (Sample(admin_only=True),),
    "/admin/publication/confirm": (
        Sample(admin_only=True, query={"region_code": "450300", "year": "2025"}),
        Sample(admin_only=True, query={"region_code": "450321", "year": "2025",
                                       "action": "withdraw"})),
    "/api/v1/admin/publication/confirm": (
        Sample(admin_only=True, query={"region_code": "450300", "year": "2025"}),),
    # notifications: only the caller's own (no scope parameter); channels: administrators
    "/notifications": (Sample(),),
    "/api/v1/notifications": (Sample(),),
    "/admin/channels": (Sample(admin_only=True),),
    "/api/v1/admin/channels": (Sample(admin_only=True),),
    "/api/v1/factor-sets": (Sample(),),
    "/api/v1/factor-sets/{region}": (Sample(params={"region": "region"}),),
    "/api/v1/me": (Sample(),),
    "/api/v1/account": (Sample(),),
    "/api/v1/tokens": (Sample(),),
    "/api/v1/users": (Sample(admin_only=True),),
    "/api/v1/users/{user_id}": (Sample(admin_only=True, params={"user_id": "user"}),),
    "/api/v1/audit": (Sample(admin_only=True),),
    # pages and their JSON twins (web.{overview,directory,entry,screen})
    "/overview": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/api/v1/overview": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/overview/ranking": (Sample(scoped_query={"region": "region"},
                                 query={"year": "2025", "category": "02"}),),
    "/overview/ranking.xlsx": (Sample(scoped_query={"region": "region"},
                                      query={"year": "2025", "category": "02"}),),
    "/api/v1/ranking": (Sample(scoped_query={"region": "region"},
                               query={"year": "2025", "category": "02"}),
                        Sample(scoped_query={"region": "region"},
                               query={"year": "2025", "category": "02", "order": "asc"})),
    "/explain": (
        Sample(scoped_query={"region": "region"}, query={"year": "2025"}),
        Sample(scoped_query={"institution": "institution_code"}, query={"year": "2025"}),
    ),
    "/api/v1/explain": (
        Sample(scoped_query={"region": "region"}, query={"year": "2025"}),
        Sample(scoped_query={"institution": "institution_code"}, query={"year": "2025"}),
    ),
    "/directory": (Sample(signed_in_status=307),),
    "/institutions": (
        Sample(scoped_query={"region": "region"}),
        Sample(scoped_query={"department": "department_code"}),
        Sample(query={"q": "演示"}), Sample(query={"status": "active"}),
    ),
    "/api/v1/institutions": (
        Sample(scoped_query={"region": "region"}),
        Sample(scoped_query={"department": "department_code"}),
        Sample(query={"q": "演示"}), Sample(query={"status": "active"}),
    ),
    "/institutions.xlsx": (
        Sample(scoped_query={"region": "region"}),
        Sample(scoped_query={"department": "department_code"}),
        Sample(query={"q": "演示"}), Sample(query={"status": "active"}),
    ),
    "/institutions/{credit_code}": (Sample(params={"credit_code": "institution_code"}),),
    "/api/v1/institutions/{credit_code}": (
        Sample(params={"credit_code": "institution_code"}),),
    "/entry": (Sample(writer_only=True),),
    "/entry/{credit_code}/{year}/{month}": (Sample(
        params={"credit_code": "institution_code", "year": "year", "month": "month"},
        writer_only=True),),
    "/api/v1/entry/{credit_code}/{year}/{month}": (Sample(
        params={"credit_code": "institution_code", "year": "year", "month": "month"},
        writer_only=True),),
    # the year grid and the annual 基本信息 (issue 11 §1)
    **{path: (Sample(params={"credit_code": "institution_code", "year": "year"},
                     writer_only=True),)
       for path in ("/entry/{credit_code}/{year}", "/api/v1/entry/{credit_code}/{year}",
                    "/entry/{credit_code}/{year}/profile",
                    "/api/v1/entry/{credit_code}/{year}/profile")},
    "/import": (Sample(writer_only=True),),
    # the metering registry (web.metering): view_metering is not a viewer's; an
    # institution account without ?institution= opens its own unit, others an empty form
    "/metering": (Sample(scoped_query={"institution": "institution_code"}, writer_only=True),
                  Sample(writer_only=True)),
    "/api/v1/metering": (Sample(scoped_query={"institution": "institution_code"},
                                writer_only=True),
                         Sample(scoped_query={"institution": "institution_code"},
                                query={"history": "true"}, writer_only=True)),
    "/metering/template.csv": (Sample(writer_only=True),),
    # forms NY202 / NY203 (web.forms_ny): entry needs enter_data (not a viewer's); the
    # summary is scoped like the other summaries (sibling rooms: tests.forms_ny.world)
    "/datacentre": (Sample(scoped_query={"institution": "institution_code"},
                           query={"year": "2025", "month": "1"}, writer_only=True),),
    "/api/v1/datacentre": (Sample(scoped_query={"institution": "institution_code"},
                                  query={"year": "2025", "month": "1"}, writer_only=True),),
    "/datacentre/template.xlsx": (Sample(writer_only=True), Sample(
        query={"kind": "heating"}, writer_only=True)),
    **{path: (Sample(scoped_query={"region": "region"}, query={"year": "2025", "month": "1"}),
              Sample(query={"year": "2025", "month": "0"}))
       for path in ("/datacentre/summary", "/api/v1/datacentre/summary",
                    "/datacentre/summary.xlsx")},
    # utility files (web.utility_data): the upload page and its templates need import_data;
    # an account's days and bills: bound inside the scope 200, another unit's 404
    **{path: (Sample(capability="import_data"),)
       for path in ("/metering/utility", "/metering/utility/daily-kwh.xlsx",
                    "/metering/utility/bills.xlsx")},
    **{path: (Sample(params={"carrier": "utility_carrier", "number": "utility_account"},
                     capability="view_metering"),)
       for path in ("/api/v1/metering/accounts/{carrier}/{number}/days",
                    "/api/v1/metering/accounts/{carrier}/{number}/bills")},
    "/api/v1/metering/month-rule": (Sample(scoped_query={"region": "region"},
                                           capability="view_metering"),),
    # live monitoring (web.monitoring): a region's institutions in scope, one institution
    **{path: (Sample(scoped_query={"region": "region"}, writer_only=True), Sample(writer_only=True))
       for path in ("/monitoring", "/api/v1/monitoring")},
    **{path: (Sample(params={"credit_code": "institution_code"}, writer_only=True),)
       for path in ("/monitoring/{credit_code}", "/api/v1/monitoring/{credit_code}")},
    # the gateway registry (web.gateways): manage_gateways, the offices' own subtree;
    # another county's gateway (of 秀峰区's ORGAN, whose name would show) is outside
    **{path: (Sample(scoped_query={"region": "region"}, capability="manage_gateways"),
              Sample(capability="manage_gateways"))
       for path in ("/gateways", "/api/v1/gateways", "/gateways.xlsx")},
    **{path: (Sample(params={"gateway_id": "gateway"}, capability="manage_gateways"),)
       for path in ("/gateways/{gateway_id}", "/api/v1/gateways/{gateway_id}",
                    "/api/v1/gateways/{gateway_id}/log")},
    # energy-saving projects (web.projects): every role reads its scope's; a region
    # outside answers an empty list
    **{path: (Sample(scoped_query={"region": "region"}), Sample(),
              Sample(query={"type": "pv", "state": "declared", "year": "2025"}))
       for path in ("/projects", "/api/v1/projects", "/projects.xlsx")},
    **{path: (Sample(capability="manage_projects"),)
       for path in ("/projects/new", "/projects/import", "/projects/import/template.csv")},
    **{path: (Sample(params={"code": "project"}),)
       for path in ("/projects/{code}", "/api/v1/projects/{code}",
                    "/projects/{code}/mv-report.docx", "/projects/{code}/settlement.docx",
                    "/projects/{code}/statements.xlsx")},
    "/projects/{code}/documents/{document_id}": (
        Sample(params={"code": "project", "document_id": "project_document"}),),
    **{path: (Sample(params={"code": "project"}, capability="manage_projects"),)
       for path in ("/projects/{code}/contract", "/projects/{code}/measures",
                    "/api/v1/projects/{code}/measures")},
    # weather (web.weather): public reference data, every signed-in role reads it all
    **{path: (Sample(),)
       for path in ("/weather", "/api/v1/weather", "/weather.xlsx")},
    # work plans (web.workplans): every role reads the plans of its scope and the items
    # assigned inside it; a region outside answers 404, as a plan or item outside does
    **{path: (Sample(scoped_query={"region": "region"}), Sample(), Sample(query={"year": "2025"}))
       for path in ("/workplans", "/api/v1/workplans")},
    **{path: (Sample(capability="manage_work_plans"),)
       for path in ("/workplans/import", "/workplans/import/template.csv")},
    **{path: (Sample(params={"plan_id": "workplan"}),
              Sample(params={"plan_id": "workplan"}, query={"status": "overdue", "overdue": "1"}))
       for path in ("/workplans/{plan_id}", "/api/v1/workplans/{plan_id}",
                    "/workplans/{plan_id}.xlsx")},
    **{path: (Sample(params={"plan_id": "workplan"}, query={"stage": "mid"}),
              Sample(params={"plan_id": "workplan"}, query={"stage": "end"}))
       for path in ("/workplans/{plan_id}/review", "/api/v1/workplans/{plan_id}/review",
                    "/workplans/{plan_id}/summary.docx")},
    **{path: (Sample(params={"plan_id": "workplan", "item_id": "workplan_item"}),)
       for path in ("/workplans/{plan_id}/items/{item_id}",
                    "/api/v1/workplans/{plan_id}/items/{item_id}")},
    "/workplans/{plan_id}/evidence/{evidence_id}": (
        Sample(params={"plan_id": "workplan", "evidence_id": "workplan_evidence"}),),
    # evaluation schemes (web.campaigns.schemes): reference data, every role reads them;
    # loading a local variant needs manage_schemes
    **{path: (Sample(),) for path in ("/campaigns/schemes", "/api/v1/campaigns/schemes")},
    **{path: (Sample(params={"code": "scheme"}),)
       for path in ("/campaigns/schemes/{code}", "/api/v1/campaigns/schemes/{code}",
                    "/campaigns/schemes/{code}.xlsx")},
    **{path: (Sample(capability="manage_schemes"),)
       for path in ("/campaigns/schemes/load", "/campaigns/schemes/template.csv")},
    # performance assessment (web.assessments): the list and the sheets are every role's;
    # a run is the assessing offices' (manage_assessments), inside their scope; once
    # confirmed, every caller covering a subject reads its own rows (the samples are
    # confirmed runs); the hand-scoring form stays the assessors'
    **{path: (Sample(),) for path in ("/assessments", "/api/v1/assessments")},
    **{path: (Sample(params={"code": "assessment_sheet"}),)
       for path in ("/assessments/sheets/{code}", "/api/v1/assessments/sheets/{code}")},
    **{path: (Sample(capability="manage_assessments"),)
       for path in ("/assessments/sheets/load", "/assessments/sheets/template.csv")},
    **{path: (Sample(params={"run_id": "assessment_run"}),)
       for path in ("/assessments/{run_id}", "/api/v1/assessments/{run_id}",
                    "/assessments/{run_id}.xlsx", "/assessments/{run_id}.docx")},
    **{path: (Sample(params={"run_id": "assessment_run"}, capability="manage_assessments"),)
       for path in ("/assessments/{run_id}/score", "/api/v1/assessments/{run_id}/score")},
    # vehicles, charging, coal (web.fleet): every role reads its scope's; the import
    # needs import_data
    **{path: (Sample(scoped_query={"region": "region"}, query={"year": "2025"}), Sample())
       for path in ("/fleet", "/api/v1/fleet", "/fleet.xlsx")},
    "/fleet/import": (Sample(capability="import_data"),),
    "/fleet/template.csv": (Sample(capability="import_data", query={"kind": "parking"}),),
    # spot checks, 公示 (web.campaigns.checks): a round the role sees (its sample and
    # publicity cut to the role's scope); 回头看 and coverage: every role reads its scope's
    **{path: (Sample(params={"round_id": "check_round"}),)
       for path in ("/campaigns/rounds/{round_id}/checks",
                    "/api/v1/campaigns/rounds/{round_id}/checks",
                    "/campaigns/rounds/{round_id}/checks.xlsx")},
    **{path: (Sample(scoped_query={"region": "region"}), Sample(),
              Sample(query={"state": "pending", "year": "2025"}))
       for path in ("/campaigns/rechecks", "/api/v1/campaigns/rechecks",
                    "/campaigns/rechecks.xlsx")},
    **{path: (Sample(scoped_query={"region": "region"},
                     query={"year": "2025", "scheme": "canteen_food_waste"}), Sample())
       for path in ("/campaigns/coverage", "/api/v1/campaigns/coverage",
                    "/campaigns/coverage.xlsx")},
    # evaluation rounds (web.campaigns.rounds): every role reads the rounds of its regions
    # and above and the members in its scope; a region outside answers 404
    **{path: (Sample(scoped_query={"region": "region"}), Sample(),
              Sample(query={"year": "2025", "scheme": "demonstration_unit", "state": "open"}))
       for path in ("/campaigns/rounds", "/api/v1/campaigns/rounds")},
    **{path: (Sample(params={"round_id": "round"}),
              Sample(params={"round_id": "round"}, query={"state": "invited", "q": "演示"}))
       for path in ("/campaigns/rounds/{round_id}", "/api/v1/campaigns/rounds/{round_id}",
                    "/campaigns/rounds/{round_id}.xlsx")},
    **{path: (Sample(params={"round_id": "round", "institution_code": "institution_code"}),)
       for path in ("/campaigns/rounds/{round_id}/members/{institution_code}",
                    "/api/v1/campaigns/rounds/{round_id}/members/{institution_code}")},
    "/campaigns/rounds/{round_id}/members/{institution_code}/evidence/{evidence_id}": (
        Sample(params={"round_id": "round", "institution_code": "institution_code",
                       "evidence_id": "round_evidence"}),),
    "/import/template/{kind}": (Sample(params={"kind": "template"}, writer_only=True),),
    # a rejected file's error report: its uploader's only (outside: another account's)
    **{path: (Sample(params={"report": "report"}, writer_only=True),)
       for path in ("/import/errors/{report}", "/api/v1/import/errors/{report}",
                    "/api/v1/import/errors/{report}.xlsx")},
    # carbon (web.carbon, web.carbon_points): every role reads its scope's events and
    # points; a region or an institution outside answers 404
    **{path: (Sample(scoped_query={"region": "region"}), Sample())
       for path in ("/carbon/events", "/api/v1/carbon/events", "/carbon/events.xlsx")},
    **{path: (Sample(params={"event_id": "carbon_event"}),)
       for path in ("/carbon/events/{event_id}", "/api/v1/carbon/events/{event_id}")},
    "/carbon/events/{event_id}/offsets/{offset_id}": (
        Sample(params={"event_id": "carbon_event", "offset_id": "carbon_offset"}),),
    **{path: (Sample(scoped_query={"region": "region"}), Sample(),
              Sample(scoped_query={"institution": "institution_code"},
                     query={"year": "2025"}), Sample(query={"month": "2025-05"}))
       for path in ("/carbon/points", "/api/v1/carbon/points", "/carbon/points.xlsx")},
    "/carbon/points/template.csv": (Sample(),),
    **{path: (Sample(), Sample(scoped_query={"institution": "institution_code"},
                               query={"month": "2025-05"}))
       for path in ("/carbon/points/entries", "/api/v1/carbon/points/entries")},
    "/carbon/points/rules.csv": (Sample(), Sample(query={"version": "0"})),
    "/screen/{region}": (Sample(public=True, params={"region": "region"}),),
    "/api/v1/screen/{region}": (Sample(public=True, params={"region": "region"}),),
    # reporting rate and summaries (web.summaries)
    "/reporting/rate": (Sample(scoped_query={"region": "region"}),
                        Sample(scoped_query={"period": "period"})),
    "/reporting/rate.xlsx": (Sample(scoped_query={"region": "region"}),
                             Sample(scoped_query={"period": "period"})),
    "/api/v1/reporting/rate": (Sample(scoped_query={"region": "region"}),
                               Sample(scoped_query={"period": "period"})),
    "/summaries": tuple(
        Sample(scoped_query={"region": "region"}, query={"year": "2025", "kind": kind})
        for kind in ("region", "department", "category")),
    "/api/v1/summaries": tuple(
        Sample(scoped_query={"region": "region"}, query={"year": "2025", "kind": kind})
        for kind in ("region", "department", "category")),
    "/summaries.xlsx": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    # spot checks and the 会审 report (web.spot_checks); a spot check is
    # visible where its region is, with the items of the caller's scope only
    "/spot-checks": (Sample(scoped_query={"region": "region"}),),
    "/api/v1/spot-checks": (Sample(scoped_query={"region": "region"}),),
    "/spot-checks/{spot_check_id}": (Sample(params={"spot_check_id": "spot_check"}),),
    "/api/v1/spot-checks/{spot_check_id}": (Sample(params={"spot_check_id": "spot_check"}),),
    "/review-report": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/api/v1/review-report": (Sample(scoped_query={"region": "region"},
                                     query={"year": "2025"}),),
    "/review-report.docx": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    # reporting tasks and the review queue (web.reporting)
    "/reporting": (Sample(),),
    "/api/v1/reporting/periods": (Sample(),),
    "/reporting/tasks": (Sample(), Sample(query={"state": "not_started"}),
                         Sample(scoped_query={"period": "period"}, outside_status=200)),
    "/api/v1/reporting/tasks": (Sample(), Sample(query={"state": "not_started"}),
                                Sample(scoped_query={"period": "period"}, outside_status=200)),
    "/reporting/tasks/{task_id}": (Sample(params={"task_id": "task"}),),
    "/api/v1/reporting/tasks/{task_id}": (Sample(params={"task_id": "task"}),),
    "/review": (Sample(), Sample(scoped_query={"period": "period"}, outside_status=200)),
    "/review.xlsx": (Sample(), Sample(scoped_query={"period": "period"}, outside_status=200)),
    "/api/v1/reporting/review": (Sample(), Sample(scoped_query={"period": "period"},
                                                  outside_status=200)),
    # data-quality findings and rule settings (web.quality)
    "/quality": tuple(Sample(scoped_query={"region": "region"}, query={"year": "2025", **q})
                      for q in ({}, {"severity": "error"}, {"state": "open"},
                                {"rule": "negative_value"})),
    "/api/v1/quality/findings": tuple(
        Sample(scoped_query={"region": "region"}, query={"year": "2025", **q})
        for q in ({}, {"severity": "error"}, {"state": "open"}, {"rule": "negative_value"})),
    "/quality.xlsx": tuple(Sample(scoped_query={"region": "region"}, query={"year": "2025", **q})
                           for q in ({}, {"severity": "error"}, {"state": "open"})),
    "/quality/rules": (Sample(scoped_query={"region": "region"}),),
    "/api/v1/quality/rules": (Sample(scoped_query={"region": "region"}),),
    "/api/v1/quality/reference-prices": (Sample(),),
    # targets, alerts, quotas and the annual 通报 (web.targets)
    "/targets": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/api/v1/targets": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/api/v1/targets/institutions": (Sample(scoped_query={"region": "region"},
                                            query={"year": "2025"}),),
    "/targets/assessment": tuple(Sample(scoped_query={"region": "region"},
                                        query={"year": "2025", "sort": sort})
                                 for sort in ("region", "met", "unmet")),
    "/targets/assessment.xlsx": (Sample(scoped_query={"region": "region"},
                                        query={"year": "2025"}),),
    "/targets/assessment.docx": (Sample(scoped_query={"region": "region"},
                                        query={"year": "2025"}),),
    "/api/v1/targets/assessment": tuple(Sample(scoped_query={"region": "region"},
                                               query={"year": "2025", "sort": sort})
                                        for sort in ("region", "met", "unmet")),
    # without a region: the caller's own node (a school's and a 教育局's too: 200)
    "/alerts": (Sample(scoped_query={"region": "region"}), Sample(),
                Sample(query={"year": "2025"})),
    "/api/v1/alerts": (Sample(scoped_query={"region": "region"}, query={"closed": "true"}),
                       Sample(scoped_query={"region": "region"}), Sample(),
                       Sample(scoped_query={"institution": "institution_code"})),
    "/alerts.xlsx": (Sample(scoped_query={"region": "region"}), Sample(),
                     Sample(scoped_query={"institution": "institution_code"})),
    "/api/v1/quotas": (Sample(),),
    "/quotas": (Sample(scoped_query={"region": "region"}, query={"year": "2025"}),),
    "/api/v1/quotas/positions": (Sample(scoped_query={"region": "region"},
                                        query={"year": "2025"}),),
    "/reports/annual.docx": (Sample(scoped_query={"region": "region"},
                                    query={"year": "2025"}),),
    "/reports/annual.xlsx": (Sample(scoped_query={"region": "region"},
                                    query={"year": "2025"}),),
    "/api/v1/indicators": (
        *(Sample(scoped_query={"region": "region"}, query={"year": "2025", **q})
          for q in ({}, {"group_by": "region"}, {"group_by": "category"})),
        Sample(scoped_query={"department": "department_code"},
               query={"year": "2025", "group_by": "region"}),
        Sample(scoped_query={"region": "region"},
               query={"year": "2025", "group_by": "institution"}),
        Sample(scoped_query={"institution": "institution_code"},
               query={"year": "2025", "group_by": "institution"}),
        Sample(scoped_query={"department": "department_code"},
               query={"year": "2025", "group_by": "institution"}),
    ),
}


def _with_city(routes: dict[str, tuple[Sample, ...]]) -> dict[str, tuple[Sample, ...]]:
    """Each sample asking for a region, again with the widest region the role may ask
    for (kind ``city``)."""
    return {path: (*samples, *(replace(s, scoped_query={**s.scoped_query, "region": "city"})
                               for s in samples if s.scoped_query.get("region") == "region"))
            for path, samples in routes.items()}


ROUTES = _with_city(ROUTES)

#: role → kind → (inside, outside); ids are resolved per database by :func:`_values`
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "admin": {"region": ("450300", "999999"), "city": ("450300", "999999"),
              "institution_code": (SCHOOL, MISSING), "department_code": (EDU, MISSING)},
    "region_admin": {"region": ("450321", "450302"), "city": ("450321", "450302"),
                     "institution_code": (SCHOOL, ORGAN), "department_code": (EDU, ORGAN)},
    "region": {"region": ("450321", "450302"), "city": ("450321", "450302"),
               "institution_code": (SCHOOL, ORGAN), "department_code": (EDU, ORGAN)},
    # the sibling department of the same county and its unit
    "department": {"region": ("450321", "450302"), "city": ("450300", "450302"),
                   "institution_code": (SCHOOL, CLINIC), "department_code": (EDU, HEALTH)},
    "institution": {"region": ("450321", "450302"), "city": ("450300", "450302"),
                    "institution_code": (SCHOOL, SILENT), "department_code": (EDU, HEALTH)},
    "viewer": {"region": ("450302", "450321"), "city": ("450302", "450321"),
               "institution_code": (ORGAN, SCHOOL), "department_code": (ORGAN, EDU)},
}


#: sample kinds that carry no scope (the same value inside and outside)
UNSCOPED_KINDS = frozenset({"static", "year", "month", "template", "scheme",
                            "assessment_sheet",
                            "utility_carrier"})


def _values(world: World, role: str, siblings: Siblings | None = None
            ) -> dict[str, tuple[str, str]]:
    values = dict(VALUES[role])
    values["period"] = ("1", "999999")
    if siblings is not None:  # the city's 2025-01 period; outside: a period of another county
        county = OUTSIDE_PERIOD[role]
        values["period"] = (str(siblings.city_period),
                            str(siblings.periods[county]) if county else "999999")
    values["user"] = (str(world.users[role].id), "999999")
    if role == "region_admin":  # its own account is not one it manages; the viewer's is outside
        values["user"] = (str(world.users["institution"].id), str(world.users["viewer"].id))
    values["static"] = ("app.css", "app.css")
    values["year"] = ("2025", "2025")
    values["month"] = ("1", "1")
    values["template"] = ("consumption", "consumption")
    values["scheme"] = ("demonstration_unit", "demonstration_unit")  # reference data
    values["spot_check"] = _spot_checks(world, role)
    values["report"] = _reports(world, role)
    values["task"] = _tasks(world, role)
    values["gateway"] = _gateways(world, role)
    values["utility_carrier"] = ("electricity", "electricity")
    values["utility_account"] = _utility_accounts(world, role)
    values["project"], values["project_document"] = _projects(world, role)
    values["workplan"], values["workplan_item"], values["workplan_evidence"] = _workplans(
        world, role)
    values["check_round"] = _check_rounds(world, role)
    values["round"], values["round_evidence"] = _rounds(world, role)
    values["assessment_sheet"] = ("county_energy", "county_energy")  # reference data
    values["assessment_run"] = _assessment_runs(world, role)
    values["carbon_event"], values["carbon_offset"] = _carbon(world, role)
    return values


def _assessment_runs(world: World, role: str) -> tuple[str, str]:
    """The units' assessment of 阳朔县 and of 秀峰区 for 2025, confirmed: (inside,
    outside) run ids (阳朔县's units — the 教育局 and its schools — read theirs; the
    viewer's inside is 秀峰区's; the administrator's outside: a run that does not
    exist)."""
    from jieneng.services.assessments.runs import confirm_run, list_runs, open_run

    admin = world.users["admin"]
    ids = {region: str(open_run(world.engine, admin, code="unit_energy", region_code=region,
                                year=2025)["id"]) for region in ("450321", "450302")}
    for run in list_runs(world.engine, admin):
        if str(run["id"]) in ids.values() and run["state"] == "open":
            confirm_run(world.engine, admin, run["id"])
    if role == "admin":
        return ids["450321"], "999999"
    if role == "viewer":
        return ids["450302"], ids["450321"]
    return ids["450321"], ids["450302"]


def _check_rounds(world: World, role: str) -> tuple[str, str]:
    """Canteen-evaluation rounds of 阳朔县 and 秀峰区, each with every member drawn for a
    spot check: (inside, outside) ids (the viewer's inside is 秀峰区's; the
    administrator's outside: a round that does not exist)."""
    from sqlalchemy import select

    from jieneng.services.campaigns.checks import draw_sample
    from jieneng.services.campaigns.rounds import open_round
    from jieneng.services.campaigns.schemes import install_shipped
    from jieneng.storage.campaign_rounds import campaign_round as cr

    admin = world.users["admin"]
    with world.engine.connect() as conn:
        found = {str(code).strip(): str(rid) for rid, code in conn.execute(
            select(cr.c.id, cr.c.region_code).where(cr.c.title == "walk checks"))}
    for region in ("450321", "450302"):
        if region not in found:
            install_shipped(world.engine, admin)
            opened = open_round(world.engine, admin, "canteen_food_waste", region, 2025,
                                title="walk checks")
            found[region] = str(opened["id"])
            draw_sample(world.engine, admin, int(opened["id"]), rate=1.0, seed=1)
    if role == "admin":
        return found["450321"], "999999"
    if role == "viewer":
        return found["450302"], found["450321"]
    return found["450321"], found["450302"]


def _rounds(world: World, role: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """示范单位 rounds of 阳朔县 and 秀峰区 (every unit a member), with evidence of the
    school and of the organ: (inside, outside) round ids and evidence ids (the viewer's
    inside is 秀峰区's; the administrator's outside: a round that does not exist)."""
    from sqlalchemy import select

    from jieneng.services.campaigns.evidence import add_evidence
    from jieneng.services.campaigns.rounds import open_round
    from jieneng.storage.campaign_rounds import campaign_evidence as ce
    from jieneng.storage.campaign_rounds import campaign_round as cr
    from jieneng.storage.campaign_rounds import campaign_round_member as cm

    admin = world.users["admin"]
    with world.engine.connect() as conn:
        found = {str(code).strip(): str(rid) for rid, code in conn.execute(
            select(cr.c.id, cr.c.region_code).where(cr.c.title == "walk round"))}
    docs: dict[str, str] = {}
    for region, unit in (("450321", SCHOOL), ("450302", ORGAN)):
        if region not in found:
            found[region] = str(open_round(world.engine, admin, "demonstration_unit", region,
                                           2025, title="walk round")["id"])
            add_evidence(world.engine, admin, int(found[region]), unit, "management",
                         file_name="walk.pdf", data=b"%PDF walk")
        with world.engine.connect() as conn:
            docs[region] = str(conn.execute(
                select(ce.c.id).join(cm, cm.c.id == ce.c.member_id)
                .where(cm.c.round_id == int(found[region]))).scalar())
    if role == "admin":
        return (found["450321"], "999999"), (docs["450321"], "999999")
    inside, outside = ("450302", "450321") if role == "viewer" else ("450321", "450302")
    return (found[inside], found[outside]), (docs[inside], docs[outside])


def _projects(world: World, role: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Projects of the school (阳朔县) and of 秀峰区's organ, each with a document:
    (inside, outside) codes and document ids (the viewer's inside is the organ's; the
    administrator's outside: a project that does not exist)."""
    from jieneng.core.exceptions import Conflict
    from jieneng.core.projects.spec import project_spec
    from jieneng.services.projects.documents import add_document, list_documents
    from jieneng.services.projects.registry import create_project

    admin = world.users["admin"]
    docs = {}
    for code, owner in (("WALK-YS", SCHOOL), ("WALK-XF", ORGAN)):
        try:
            create_project(world.engine, admin, project_spec(
                code=code, name=f"{code} project", type_text="retrofit", owners=[owner],
                year=2025))
            add_document(world.engine, admin, code, title="walk", kind="evidence",
                         file_name="walk.pdf", content=b"%PDF walk")
        except Conflict:
            pass
        docs[code] = str(list_documents(world.engine, admin, code)[0]["id"])
    inside, outside = ("WALK-XF", "WALK-YS") if role == "viewer" else ("WALK-YS", "WALK-XF")
    if role == "admin":
        return ("WALK-YS", "MISSING-PROJECT"), (docs["WALK-YS"], "999999")
    return (inside, outside), (docs[inside], docs[outside])


def _carbon(world: World, role: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """An event of the school (阳朔县) and of 秀峰区's organ, each with an offset and its
    evidence: (inside, outside) event and offset ids (the viewer's inside is the organ's;
    the administrator's outside: an event that does not exist)."""
    from datetime import date

    from jieneng.services.carbon.events import EventSpec, add_offset, create_event, list_events

    admin = world.users["admin"]
    found = {e["credit_code"]: e["id"] for e in list_events(world.engine, admin)}
    ids: dict[str, tuple[str, str]] = {}
    for owner in (SCHOOL, ORGAN):
        if owner not in found:
            made = create_event(world.engine, admin, EventSpec(
                credit_code=owner, name="walk meeting", start_date=date(2025, 5, 6),
                end_date=date(2025, 5, 6), attendees=10,
                lines={"venue_electricity": 100.0}))
            found[owner] = made["event"]["id"]
            add_offset(world.engine, admin, int(found[owner]), kind="ccer", quantity_t=1,
                       file_name="walk.pdf", content=b"%PDF walk")
        event = str(found[owner])
        from jieneng.services.carbon.events import get_event

        ids[owner] = (event, str(get_event(world.engine, admin, int(event))["offsets"][0]["id"]))
    inside, outside = (ORGAN, SCHOOL) if role == "viewer" else (SCHOOL, ORGAN)
    if role == "admin":
        return (ids[SCHOOL][0], "999999"), (ids[SCHOOL][1], "999999")
    return (ids[inside][0], ids[outside][0]), (ids[inside][1], ids[outside][1])


def _workplans(world: World, role: str) -> tuple[tuple[str, str], ...]:
    """Plans of 阳朔县 (450321) and 秀峰区 (450302), each with an item carrying a progress
    report and its evidence: (inside, outside) plan ids, item ids and evidence ids (the
    viewer's inside is 秀峰's; the administrator's outside: ids that do not exist)."""
    from jieneng.services.workplans.items import add_item, get_item
    from jieneng.services.workplans.plans import create_plan, get_plan, list_plans
    from jieneng.services.workplans.review import report_progress

    admin = world.users["admin"]
    ids: dict[str, tuple[str, str, str]] = {}
    for code in ("450321", "450302"):
        found = [p for p in list_plans(world.engine, admin, region_code=code, year=2025)
                 if p["title"] == "walk plan"]
        if found:
            plan_id = int(found[0]["id"])
            item_id = int(get_plan(world.engine, admin, plan_id)["items"][0]["id"])
        else:
            plan_id = int(create_plan(world.engine, admin, region_code=code, year=2025,
                                      title="walk plan")["id"])
            item_id = int(add_item(world.engine, admin, plan_id, {
                "item_no": "1", "text": "walk item", "deadline": "2025-06-30",
                "responsible_region": code})["id"])
            report_progress(world.engine, admin, item_id, state="in_progress",
                            comment="walk", evidence=[("walk.pdf", b"%PDF walk")])
        evidence = get_item(world.engine, admin, item_id)["reports"][0]["files"][0]["id"]
        ids[code] = (str(plan_id), str(item_id), str(evidence))
    inside, outside = ("450302", "450321") if role == "viewer" else ("450321", "450302")
    if role == "admin":
        return tuple((ids[inside][k], "999999") for k in range(3))
    return tuple((ids[inside][k], ids[outside][k]) for k in range(3))


def _utility_accounts(world: World, role: str) -> tuple[str, str]:
    """户号 bound to the role's inside and outside institutions (the administrator's
    outside: an account that does not exist)."""
    from datetime import date

    from jieneng.storage import metering as m

    out: list[str] = []
    with world.engine.begin() as conn:
        for code in VALUES[role]["institution_code"]:
            number = f"walk-{code[-8:]}"
            out.append(number)
            if code not in world.ids or m.find_account(conn, "electricity", number):
                continue
            account = m.insert_account(conn, "electricity", number, utility=None, name=None)
            m.insert_binding(conn, account, world.ids[code], date(2025, 1, 1), "walk")
    return out[0], out[1]


def _gateways(world: World, role: str) -> tuple[str, str]:
    """Gateways of 阳朔县 (the school's) and of 秀峰区 (ORGAN's, with a refusal logged):
    inside and outside a county office (the administrator's outside: none such)."""
    from sqlalchemy import select

    from jieneng.services.metering.ingest import log_refusal
    from jieneng.storage.gateways import metering_gateway as g

    out: list[str] = []
    with world.engine.begin() as conn:
        for code, region, unit in (("walk-ys", "450321", SCHOOL), ("walk-xf", "450302", ORGAN)):
            found = conn.execute(select(g.c.id).where(g.c.code == code)).scalar()
            if found is None:
                found = conn.execute(g.insert().values(
                    code=code, name=f"{code} gateway", protocol="http", region_code=region,
                    institution_id=world.ids[unit], created_by="walk", created_at=0
                ).returning(g.c.id)).scalar_one()
            out.append(str(found))
    log_refusal(world.engine, "walk-xf", "meter_unknown", f"refused for {ORGAN}")
    return out[0], "999999" if role == "admin" else out[1]


def _reports(world: World, role: str) -> tuple[str, str]:
    """Error reports of a rejected import: one the role's account uploaded (naming its
    inside institution), one another account did (naming the outside one)."""
    from jieneng.ingest.issue_table import issues_frame
    from jieneng.ingest.issues import make_issue
    from jieneng.services.entry import error_reports

    inside, outside = VALUES[role]["institution_code"]
    kept = []
    for owner, code in ((world.users[role].id, inside), (-world.users[role].id, outside)):
        issue = make_issue("import.unknown_institution", file="walk.csv", row=2,
                           column="统一社会信用代码", value=code)
        kept.append(error_reports.keep(issues_frame([issue]), owner))
    return kept[0], kept[1]


def _tasks(world: World, role: str) -> tuple[str, str]:
    """Reporting tasks (a 2025-01 period of 450300, opened once) of the role's inside
    and outside institutions (the administrator's outside: an id that does not exist)."""
    from jieneng.core.scope import Filters
    from jieneng.services.workflow import periods
    from jieneng.storage import reporting as store

    periods.open_period(world.engine, world.users["admin"], region_code="450300",
                        period="2025-01")
    out: list[str] = []
    with world.engine.connect() as conn:
        for code in VALUES[role]["institution_code"]:
            if code not in world.ids:
                out.append("999999")
                continue
            rows, _ = store.task_page(conn, Filters(institution_ids=[world.ids[code]]),
                                      limit=1)
            out.append(str(rows[0]["id"]))
    return out[0], out[1]


def _spot_checks(world: World, role: str) -> tuple[str, str]:
    """Spot checks of the role's inside and outside regions (the administrator's outside:
    an id that does not exist), each holding every institution of its region's subtree."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from jieneng.storage import tables as t

    inside, outside = VALUES[role]["region"]
    out: list[str] = []
    with world.engine.begin() as conn:
        for code in ("450300" if role == "admin" else inside, outside):
            if code == "999999":
                out.append("999999")
                continue
            found = conn.execute(select(t.spot_check.c.id).where(
                t.spot_check.c.region_code == code)).scalar()
            if found is None:
                found = conn.execute(t.spot_check.insert().values(
                    region_code=code, year=2025, seed=1, share=0.05, tolerance=0.05,
                    created_at=datetime.now(UTC)).returning(t.spot_check.c.id)).scalar_one()
                conn.execute(t.spot_check_item.insert(), [
                    {"spot_check_id": found, "institution_id": iid, "carrier": "electricity",
                     "category": "01", "reported": 1000.0, "verified": 1020.0}
                    for credit_code, iid in world.ids.items()
                    if code == "450300" or credit_code[2:8] == code])
            out.append(str(found))
    return out[0], out[1]


def _url(path: str, sample: Sample, values: dict[str, tuple[str, str]], side: int) -> str:
    url = path
    for name, kind in sample.params.items():
        url = url.replace("{" + name + "}", values[kind][side])
    query = dict(sample.query)
    query.update({name: values[kind][side] for name, kind in sample.scoped_query.items()})
    return url + ("?" + urlencode(query) if query else "")


def _get_routes(world: World) -> set[str]:
    return {path for path, methods in iter_routes(world.app) if "GET" in methods}


def test_every_get_route_has_samples(world: World) -> None:
    routes = _get_routes(world)
    missing = sorted(routes - set(ROUTES))
    assert not missing, f"add these routes to ROUTES in {__file__}: {missing}"
    stale = sorted(set(ROUTES) - routes)
    assert not stale, f"ROUTES names routes the app does not have: {stale}"
    for path, samples in ROUTES.items():
        names = set(re.findall(r"{(\w+)(?::\w+)?}", path))
        for sample in samples:
            assert names == set(sample.params), f"{path}: sample kinds for {names}"


def test_anonymous_gets_401_or_login_except_public_routes(world: World) -> None:
    client = world.client()
    values = _values(world, "admin")
    for path in sorted(_get_routes(world)):
        for sample in ROUTES[path]:
            url = _url(path, sample, values, 0)
            response = client.get(url)
            if sample.public:
                assert response.status_code == 200, url
            elif path.startswith("/api/"):
                assert response.status_code == 401, url
                assert response.json()["error"]["code"] == "not_authenticated"
            else:
                assert response.status_code == 303, url
                assert response.headers["location"].startswith("/login?next="), url


#: an ISO timestamp as stored (UTC, ``T``) — a page shows China time (``| local_time``)
_ISO_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_NOT_SHOWN = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]*>", re.S)


def _raw_stamps(content_type: str, body: str) -> list[str]:
    """Stored timestamps in the text a person reads on an HTML page (not in its tags,
    attributes or the JSON data blocks of its charts)."""
    if not content_type.startswith("text/html"):
        return []
    return _ISO_STAMP.findall(_NOT_SHOWN.sub(" ", body))


def test_scope_walk_every_route_every_role(world: World, siblings: Siblings) -> None:
    checked = 0
    for role in ROLES:
        client = world.login(role)
        values = _values(world, role, siblings)
        markers = world.markers(role)
        seen: set[str] = set()
        for path in sorted(_get_routes(world)):
            for sample in ROUTES[path]:
                kinds = {*sample.params.values(), *sample.scoped_query.values()}
                scoped = bool(kinds - UNSCOPED_KINDS) and not sample.public
                for side in (0, 1) if scoped else (0,):
                    url = _url(path, sample, values, side)
                    if url in seen:  # e.g. the "city" of a county account is its county
                        continue
                    seen.add(url)
                    response = client.get(url)
                    where = f"{role} GET {url}"
                    manager = sample.account_manager and role == "region_admin"
                    if (sample.admin_only and role != "admin" and not manager) or (
                        sample.writer_only and role == "viewer") or (
                        sample.capability is not None
                        and sample.capability not in {c.value for c in ROLE_CAPABILITIES[
                            Role(role)]}
                    ):
                        expected = 403
                    elif sample.public or side == 0:
                        expected = sample.signed_in_status
                    else:
                        expected = sample.outside_status
                    assert response.status_code == expected, f"{where}: {response.text[:300]!r}"
                    body = response.text
                    # a code the caller sent may be echoed back; nothing else may appear
                    # public routes (the big screen) publish to everyone by design
                    leaked = [] if sample.public else [
                        m for m in markers if m in body and m not in url]
                    if not sample.public:
                        leaked += siblings.leaks(role, body, url)
                    assert not leaked, f"{where} leaks {leaked}"
                    stamps = _raw_stamps(response.headers.get("content-type", ""), body)
                    assert not stamps, f"{where} shows stored timestamps {stamps[:3]}: | local_time"
                    checked += 1
    print(f"scope walk: {len(_get_routes(world))} routes, {len(ROLES)} roles, "
          f"{checked} requests")
    assert checked > 50


def test_a_route_outside_the_table_fails_the_walk(world: World) -> None:
    """The walk is not vacuous: a new route without samples is reported."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/new/{thing_id}")
    def new_route(thing_id: int) -> dict[str, int]:
        return {"thing_id": thing_id}

    world.app.include_router(router)
    try:
        test_every_get_route_has_samples(world)
    except AssertionError as err:
        assert "/new/{thing_id}" in str(err)
    else:  # pragma: no cover
        raise AssertionError("the walk accepted a route without samples")
