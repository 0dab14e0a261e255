"""The capability walk: every state-changing route, as every role, against ONE table.

:data:`jieneng.core.permissions.ROLE_CAPABILITIES` says what each role may do.
:data:`CAPABILITIES` below says which capability each state-changing route
(POST/PUT/PATCH/DELETE) needs. The walk:

1. fails if the app has a state-changing route that is not in :data:`CAPABILITIES`
   (so a route added later is mapped or the suite is red), or an entry without a
   route, and checks that every route *declares* the same capability
   (``dependencies=[requires(Capability.X)]``, :func:`jieneng.web.deps.requires`);
2. calls every route as every role (session cookie, CSRF header, a plausible body):
   a role without the capability gets 403 ``capability_required`` and nothing is
   written (the audit log keeps its length); a role with it is never refused for
   lack of it (it may get 404 for a sample id or 422 for a sample body, never 5xx);
3. checks that docs/security.md shows the table generated from ROLE_CAPABILITIES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from jieneng.core.caller import Actor
from jieneng.core.permissions import (
    ROLE_CAPABILITIES,
    Capability,
    CapabilityRequired,
    Role,
    capability_table,
)
from jieneng.core.quality.catalogue import RULES
from jieneng.services.accounts.accounts import create_user
from jieneng.storage import tables as t
from tests.web.conftest import PASSWORD, ROLES, SCHOOL, SILENT, World, csrf

C = Capability
#: (method, path) → the capability the route needs. Public: only ``POST /login``.
CAPABILITIES: dict[tuple[str, str], Capability] = {
    # one's own account: every role, the viewer too
    ("POST", "/logout"): C.OWN_ACCOUNT,
    ("POST", "/account/password"): C.OWN_ACCOUNT,
    ("POST", "/account/tokens"): C.OWN_ACCOUNT,
    ("POST", "/account/tokens/{token_id}/revoke"): C.OWN_ACCOUNT,
    ("POST", "/api/v1/tokens"): C.OWN_ACCOUNT,
    ("DELETE", "/api/v1/tokens/{token_id}"): C.OWN_ACCOUNT,
    ("POST", "/notifications/read"): C.OWN_ACCOUNT,
    ("POST", "/api/v1/notifications/read"): C.OWN_ACCOUNT,
    # figures
    ("POST", "/entry/{credit_code}/{year}/{month}"): C.ENTER_DATA,
    ("POST", "/entry/{credit_code}/{year}/{month}/check"): C.ENTER_DATA,
    ("POST", "/entry/{credit_code}/{year}/{month}/metered/{carrier}/clear"): C.ENTER_DATA,
    ("POST", "/api/v1/entry/{credit_code}/{year}/{month}"): C.ENTER_DATA,
    ("POST", "/api/v1/entry/{credit_code}/{year}/{month}/check"): C.ENTER_DATA,
    ("POST", "/entry/{credit_code}/{year}"): C.ENTER_DATA,
    ("POST", "/api/v1/entry/{credit_code}/{year}"): C.ENTER_DATA,
    ("POST", "/entry/{credit_code}/{year}/profile"): C.ENTER_DATA,
    ("POST", "/api/v1/entry/{credit_code}/{year}/profile"): C.ENTER_DATA,
    ("POST", "/entry/{credit_code}/{year}/{month}/submit"): C.SUBMIT,
    ("POST", "/api/v1/entry/{credit_code}/{year}/{month}/submit"): C.SUBMIT,
    ("POST", "/import"): C.IMPORT_DATA,
    ("POST", "/api/v1/imports"): C.IMPORT_DATA,
    # reporting tasks
    ("POST", "/reporting/periods"): C.OPEN_PERIODS,
    ("POST", "/api/v1/reporting/periods"): C.OPEN_PERIODS,
    ("POST", "/reporting/tasks/{task_id}/action"): C.SUBMIT,
    ("POST", "/api/v1/reporting/tasks/{task_id}/actions"): C.SUBMIT,
    ("POST", "/reporting/tasks/{task_id}/questions"): C.REVIEW,
    ("POST", "/api/v1/reporting/tasks/{task_id}/questions"): C.REVIEW,
    ("POST", "/reporting/tasks/{task_id}/questions/{question_id}"): C.SUBMIT,
    ("POST", "/api/v1/reporting/tasks/{task_id}/questions/{question_id}"): C.SUBMIT,
    ("POST", "/review"): C.REVIEW,
    ("POST", "/api/v1/reporting/review"): C.REVIEW,
    ("POST", "/reporting/remind"): C.REVIEW,
    ("POST", "/api/v1/reporting/remind"): C.REVIEW,
    # data quality
    ("POST", "/quality/run"): C.RUN_QUALITY,
    ("POST", "/api/v1/quality/check"): C.RUN_QUALITY,
    ("POST", "/quality/findings/{finding_id}/explain"): C.EXPLAIN_FINDINGS,
    ("POST", "/api/v1/quality/findings/{finding_id}/explanation"): C.EXPLAIN_FINDINGS,
    ("POST", "/quality/rules"): C.CONFIGURE_RULES,
    ("PUT", "/api/v1/quality/rules/{region_code}/{rule}"): C.CONFIGURE_RULES,
    ("DELETE", "/api/v1/quality/rules/{region_code}/{rule}"): C.CONFIGURE_RULES,
    # targets, alerts, quotas
    ("POST", "/targets"): C.SET_TARGETS,
    ("POST", "/api/v1/targets"): C.SET_TARGETS,
    ("POST", "/targets/decompose"): C.SET_TARGETS,
    ("POST", "/api/v1/targets/decompose"): C.SET_TARGETS,
    ("POST", "/targets/quota-method"): C.SET_TARGETS,
    ("POST", "/api/v1/targets/quota-method"): C.SET_TARGETS,
    ("POST", "/api/v1/targets/import"): C.SET_TARGETS,
    ("POST", "/targets/lock"): C.LOCK_TARGETS,
    ("POST", "/api/v1/targets/lock"): C.LOCK_TARGETS,
    ("POST", "/alerts/{alert_id}/acknowledge"): C.ACKNOWLEDGE_ALERTS,
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): C.ACKNOWLEDGE_ALERTS,
    ("POST", "/quotas/assign"): C.ASSIGN_QUOTAS,
    ("POST", "/api/v1/quotas/assign"): C.ASSIGN_QUOTAS,
    ("POST", "/quotas/import"): C.IMPORT_QUOTAS,
    ("POST", "/api/v1/quotas/import"): C.IMPORT_QUOTAS,
    # spot checks
    ("POST", "/spot-checks"): C.SPOT_CHECK,
    ("POST", "/api/v1/spot-checks"): C.SPOT_CHECK,
    ("POST", "/spot-checks/{spot_check_id}/verify"): C.SPOT_CHECK,
    ("POST", "/api/v1/spot-checks/{spot_check_id}/verify"): C.SPOT_CHECK,
    # accounts
    ("POST", "/admin/users"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/bulk"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/{user_id}"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/{user_id}/password"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/{user_id}/lock"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/{user_id}/unlock"): C.MANAGE_ACCOUNTS,
    ("POST", "/admin/users/{user_id}/sessions/revoke"): C.MANAGE_ACCOUNTS,
    ("POST", "/api/v1/users"): C.MANAGE_ALL_ACCOUNTS,
    ("PATCH", "/api/v1/users/{user_id}"): C.MANAGE_ALL_ACCOUNTS,
    # administration
    ("POST", "/admin/factor-sets"): C.FACTOR_SETS,
    ("PUT", "/api/v1/factor-sets/{region}"): C.FACTOR_SETS,
    ("POST", "/admin/publication"): C.PUBLISH,
    ("POST", "/admin/publication/withdraw"): C.PUBLISH,
    ("POST", "/api/v1/admin/publication"): C.PUBLISH,
    ("DELETE", "/api/v1/admin/publication/{region}/{year}"): C.PUBLISH,
    ("POST", "/admin/channels"): C.MANAGE_CHANNELS,
    ("POST", "/admin/channels/{channel_id}/enabled"): C.MANAGE_CHANNELS,
    ("POST", "/admin/channels/{channel_id}/delete"): C.MANAGE_CHANNELS,
    ("POST", "/api/v1/admin/channels"): C.MANAGE_CHANNELS,
    ("PATCH", "/api/v1/admin/channels/{channel_id}"): C.MANAGE_CHANNELS,
    ("DELETE", "/api/v1/admin/channels/{channel_id}"): C.MANAGE_CHANNELS,
    # metering registry
    ("POST", "/metering/bind"): C.MANAGE_METERING,
    # forms NY202 / NY203 (web.forms_ny)
    ("POST", "/datacentre/rooms"): C.ENTER_DATA,
    ("POST", "/datacentre/figures"): C.ENTER_DATA,
    ("POST", "/datacentre/heating"): C.ENTER_DATA,
    ("POST", "/datacentre/meters"): C.ENTER_DATA,
    ("POST", "/api/v1/datacentre/records"): C.ENTER_DATA,
    ("POST", "/datacentre/import"): C.IMPORT_DATA,
    ("POST", "/metering/utility"): C.IMPORT_DATA,
    ("POST", "/metering/utility/rule"): C.CONFIGURE_RULES,
    ("POST", "/api/v1/metering/month-rule"): C.CONFIGURE_RULES,
    ("POST", "/metering/import"): C.MANAGE_METERING,
    ("POST", "/api/v1/metering/bindings"): C.MANAGE_METERING,
    ("POST", "/metering/meter"): C.MANAGE_METERING,
    ("POST", "/metering/replace"): C.MANAGE_METERING,
    ("POST", "/metering/remove"): C.MANAGE_METERING,
    ("POST", "/metering/virtual"): C.MANAGE_METERING,
    ("POST", "/metering/reading"): C.READ_METERS,
    ("POST", "/api/v1/metering/readings/manual"): C.READ_METERS,
    # gateway registry (web.gateways)
    **{("POST", f"{prefix}{path}"): C.MANAGE_GATEWAYS for prefix in ("", "/api/v1")
       for path in ("/gateways", "/gateways/{gateway_id}/rotate",
                    "/gateways/{gateway_id}/meters", "/gateways/{gateway_id}/meters/remove")},
    ("POST", "/gateways/{gateway_id}/status"): C.MANAGE_GATEWAYS,
    ("PATCH", "/api/v1/gateways/{gateway_id}"): C.MANAGE_GATEWAYS,
    # energy-saving projects (web.projects): a move needs manage_projects at the door,
    # the service checks the move's own capability (approve_projects for approvals)
    **{("POST", path): C.MANAGE_PROJECTS for path in (
        "/projects/new", "/api/v1/projects", "/projects/import", "/api/v1/projects/import",
        "/projects/{code}/move", "/api/v1/projects/{code}/moves",
        "/projects/{code}/adjustments", "/api/v1/projects/{code}/adjustments",
        "/api/v1/projects/{code}/documents", "/projects/{code}/contract",
        "/api/v1/projects/{code}/contract", "/projects/{code}/boundary",
        "/api/v1/projects/{code}/boundary")},
    ("PUT", "/api/v1/projects/{code}/contract"): C.MANAGE_PROJECTS,
    # after registration (web.projects.boundary removal, web.projects.measures)
    **{("POST", path): C.MANAGE_PROJECTS for path in (
        "/projects/{code}/boundary/remove",
        "/api/v1/projects/{code}/boundary/{boundary_id}/removal",
        "/projects/{code}/measures", "/api/v1/projects/{code}/measures",
        "/projects/{code}/measures/{measure_id}")},
    ("PUT", "/api/v1/projects/{code}/measures/{measure_id}"): C.MANAGE_PROJECTS,
    # the weather page's import (web.weather)
    **{("POST", path): C.IMPORT_WEATHER for path in ("/weather/import",
                                                     "/api/v1/weather/import")},
    # the M&V actions (web.projects.actions): approve_projects, as the services require
    **{("POST", path): C.APPROVE_PROJECTS for path in (
        "/projects/{code}/baseline", "/api/v1/projects/{code}/baseline",
        "/projects/{code}/statements", "/api/v1/projects/{code}/statements",
        "/api/v1/projects/{code}/statements/due", "/projects/{code}/settlement",
        "/api/v1/projects/{code}/settlements",
        "/api/v1/projects/{code}/settlements/{period}/confirm")},
    # performance assessment (web.assessments): the assessing offices
    **{("POST", path): C.MANAGE_ASSESSMENTS for path in (
        "/assessments/open", "/api/v1/assessments/open", "/assessments/{run_id}/compute",
        "/api/v1/assessments/{run_id}/compute", "/assessments/{run_id}/confirm",
        "/api/v1/assessments/{run_id}/confirm", "/assessments/{run_id}/score",
        "/api/v1/assessments/{run_id}/score", "/assessments/sheets/load",
        "/api/v1/assessments/sheets/load")},
    ("POST", "/projects/{code}/adjustments/{adjustment_id}"): C.APPROVE_PROJECTS,
    # work plans (web.workplans): import and review are the plan owner's, a progress
    # report the responsible party's (the services check the scope)
    **{("POST", path): C.MANAGE_WORK_PLANS for path in (
        "/workplans/import", "/api/v1/workplans/import",
        "/workplans/{plan_id}/items/{item_id}/reports/{report_id}/review",
        "/api/v1/workplans/{plan_id}/items/{item_id}/reports/{report_id}/review")},
    **{("POST", path): C.REPORT_PROGRESS for path in (
        "/workplans/{plan_id}/items/{item_id}/report",
        "/api/v1/workplans/{plan_id}/items/{item_id}/reports")},
    # a local evaluation scheme (web.campaigns.schemes); the fleet's files (web.fleet)
    **{("POST", path): C.MANAGE_SCHEMES
       for path in ("/campaigns/schemes/load", "/api/v1/campaigns/schemes/load")},
    **{("POST", path): C.IMPORT_DATA for path in ("/fleet/import", "/api/v1/fleet/import")},
    # spot checks, 公示, award, 回头看 (web.campaigns.checks, .rechecks): the office's
    # run_rounds; a unit answers its rectification (self_assess)
    **{("POST", f"{prefix}/campaigns/rounds/{{round_id}}/checks/{action}"): C.RUN_ROUNDS
       for prefix in ("", "/api/v1")
       for action in ("draw", "inspect", "publicity", "objection", "resolve", "award",
                      "reject")},
    **{("POST", f"{prefix}/campaigns/rechecks/{tail}"): C.RUN_ROUNDS
       for prefix in ("", "/api/v1")
       for tail in ("select", "{recheck_id}/result", "{recheck_id}/conclude")},
    **{("POST", f"{prefix}/campaigns/rechecks/{{recheck_id}}/rectification"): C.SELF_ASSESS
       for prefix in ("", "/api/v1")},
    # evaluation rounds (web.campaigns.rounds): opening and scoring are the office's
    # run_rounds; the unit's self-assessment and evidence self_assess; the levels' review
    **{("POST", f"{prefix}/campaigns/rounds{tail}"): C.RUN_ROUNDS
       for prefix in ("", "/api/v1") for tail in ("", "/{round_id}/score", "/{round_id}/state")},
    **{("POST", path): C.SELF_ASSESS
       for path in ("/campaigns/rounds/{round_id}/members/{institution_code}",
                    "/api/v1/campaigns/rounds/{round_id}/members/{institution_code}"
                    "/self-assessment",
                    "/campaigns/rounds/{round_id}/members/{institution_code}/evidence",
                    "/api/v1/campaigns/rounds/{round_id}/members/{institution_code}/evidence")},
    **{("POST", f"{prefix}/campaigns/rounds/{{round_id}}/members/{{institution_code}}/review"):
       C.REVIEW for prefix in ("", "/api/v1")},
    ("POST", "/api/v1/projects/{code}/adjustments/{adjustment_id}/decision"):
        C.APPROVE_PROJECTS,
    # carbon (web.carbon, web.carbon_points): events, offsets and points need
    # record_carbon; a factor the references lack is set by whoever chooses factor sets
    **{("POST", path): C.RECORD_CARBON for path in (
        "/carbon/events", "/api/v1/carbon/events", "/carbon/events/{event_id}/offsets",
        "/api/v1/carbon/events/{event_id}/offsets", "/carbon/points/import",
        "/api/v1/carbon/points/import")},
    ("PUT", "/api/v1/carbon/factors/{mode}"): C.FACTOR_SETS,
    ("POST", "/carbon/factors"): C.FACTOR_SETS,
    # corrections (web.carbon_corrections): as to record; local points rules: as a factor
    **{("POST", prefix + path): C.RECORD_CARBON for prefix in ("", "/api/v1") for path in (
        "/carbon/events/{event_id}/correct", "/carbon/events/{event_id}/withdraw",
        "/carbon/events/{event_id}/offsets/{offset_id}/correct",
        "/carbon/events/{event_id}/offsets/{offset_id}/withdraw",
        "/carbon/points/entries/{entry_id}/correct",
        "/carbon/points/entries/{entry_id}/withdraw")},
    **{("POST", path): C.FACTOR_SETS for path in ("/carbon/points/rules",
                                                   "/api/v1/carbon/points/rules")},
}
#: the HTTP push of readings authenticates a gateway by its own token, not an account
PUBLIC: frozenset[tuple[str, str]] = frozenset({("POST", "/login"),
                                                ("POST", "/api/v1/readings")})
#: pages and JSON that only a capability opens (the rest follows the scope walk)
READ_CAPABILITIES: dict[str, Capability] = {
    "/admin/audit": C.VIEW_AUDIT, "/api/v1/audit": C.VIEW_AUDIT,
    "/admin/factor-sets": C.FACTOR_SETS,
    "/api/v1/users": C.MANAGE_ALL_ACCOUNTS,
    "/admin/publication": C.PUBLISH, "/api/v1/admin/publication": C.PUBLISH,
    "/admin/publication/confirm?region_code=450300&year=2025": C.PUBLISH,
    "/api/v1/admin/publication/confirm?region_code=450300&year=2025": C.PUBLISH,
    "/admin/channels": C.MANAGE_CHANNELS, "/api/v1/admin/channels": C.MANAGE_CHANNELS,
    "/monitoring": C.VIEW_METERING, "/api/v1/monitoring": C.VIEW_METERING,
    "/gateways": C.MANAGE_GATEWAYS, "/api/v1/gateways": C.MANAGE_GATEWAYS,
}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: routes that take a file (multipart)
UPLOADS = frozenset({"/import", "/api/v1/imports", "/quotas/import", "/api/v1/quotas/import",
                     "/api/v1/targets/import", "/metering/import",
                     "/datacentre/import",
                     "/metering/utility", "/projects/import", "/api/v1/projects/import",
                     "/api/v1/projects/{code}/documents",
                     "/carbon/points/import", "/api/v1/carbon/points/import",
                     "/carbon/events/{event_id}/offsets",
                     "/api/v1/carbon/events/{event_id}/offsets",
                     "/carbon/points/rules", "/api/v1/carbon/points/rules",
                     "/campaigns/schemes/load", "/api/v1/campaigns/schemes/load",
                     "/assessments/sheets/load", "/api/v1/assessments/sheets/load",
                     "/fleet/import", "/api/v1/fleet/import",
                     "/workplans/import", "/api/v1/workplans/import",
                     "/weather/import", "/api/v1/weather/import"})
#: a region inside each role's scope (the conftest world)
INSIDE = {"admin": "450300", "region_admin": "450321", "region": "450321",
          "department": "450321", "institution": "450321", "viewer": "450302"}
MISSING_ID = "999999"


def _declared(dependencies: Any) -> Capability | None:
    for dep in dependencies or ():
        found = getattr(getattr(dep, "dependency", None), "capability", None)
        if isinstance(found, Capability):
            return found
    return None


def unsafe_routes(world: World) -> Iterator[tuple[str, str, Capability | None]]:
    """(method, path, declared capability) of every state-changing route."""
    for route in world.app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        found = ([(c.path, c.methods, c.dependencies) for c in contexts()] if contexts
                 else [(getattr(route, "path", ""), getattr(route, "methods", None),
                        getattr(route, "dependencies", None))])
        for path, methods, dependencies in found:
            for method in sorted(set(methods or ()) & UNSAFE):
                yield method, path, _declared(dependencies)


def test_every_state_changing_route_has_a_capability(world: World) -> None:
    routes = {(m, p): cap for m, p, cap in unsafe_routes(world)}
    missing = sorted(set(routes) - set(CAPABILITIES) - PUBLIC)
    assert not missing, f"add these routes to CAPABILITIES in {__file__}: {missing}"
    stale = sorted(set(CAPABILITIES) - set(routes))
    assert not stale, f"CAPABILITIES names routes the app does not have: {stale}"
    wrong = {key: (routes[key], cap) for key, cap in CAPABILITIES.items() if routes[key] is not cap}
    assert not wrong, f"declared vs expected capability (dependencies=[requires(…)]): {wrong}"
    assert all(routes[key] is None for key in PUBLIC)


def test_a_route_without_a_capability_fails_the_walk(world: World) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/new/{thing_id}")
    def new_route(thing_id: int) -> dict[str, int]:
        return {"thing_id": thing_id}

    world.app.include_router(router)
    try:
        test_every_state_changing_route_has_a_capability(world)
    except AssertionError as err:
        assert "/new/{thing_id}" in str(err)
    else:  # pragma: no cover
        raise AssertionError("the walk accepted a route without a capability")


# ---------------------------------------------------------------- the walk


def _audit_count(world: World) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())


def _spares(world: World) -> dict[str, str]:
    """One spare account per role to act on (an institution account inside every
    manager's subtree), so the walk never locks an account it signs in with."""
    return {role: str(create_user(world.engine, Actor.cli(), username=f"spare_{role}",
                                  password=PASSWORD, role="institution",
                                  institution=SILENT).id) for role in ROLES}


def _url(path: str, role: str, spare: str) -> str:
    values = {"credit_code": SCHOOL, "year": "2025", "month": "1", "user_id": spare,
              "region": INSIDE[role], "region_code": INSIDE[role], "rule": RULES[0].code}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), MISSING_ID), path)


def _body(role: str) -> dict[str, Any]:
    """One plausible body for every route (extra fields are ignored)."""
    region = INSIDE[role]
    return {
        "region_code": region, "year": 2025, "month": 1, "period": "2025-02",
        "metric": "energy_tce", "value": 1.0, "name": "walk", "explanation": "walk",
        "question": "walk?", "answer": "walk", "carrier": "electricity", "action": "submit",
        "decision": "approve", "tasks": [], "quota_id": int(MISSING_ID), "category": "01",
        "institution_id": int(MISSING_ID), "verified": 1.0, "username": f"walk_{role}",
        "password": "Walk-Horse-Battery-7", "role": "viewer", "display_name": "walk",
        "current_password": "not-the-password", "new_password": "Walk-Horse-Battery-7",
        "new_password2": "Walk-Horse-Battery-7", "factor_set": "", "kind": "email",
        "target": "walk@example.org", "rule": RULES[0].code, "electricity": "1",
    }


def _call(client: httpx.Client | Any, method: str, path: str, url: str, role: str,
          token: str) -> Any:
    headers = {"X-CSRF-Token": token}
    body = _body(role)
    if path in UPLOADS:
        fields = {"kind": "consumption", "dry_run": "1", "code": "WALK", "title": "walk",
                  "source": "walk"}  # an upload's form holds at most 20 fields
        return client.request(method, url, headers=headers, data=fields, files={
            "file": ("walk.csv", "统一社会信用代码,年,月,电(千瓦时)\n".encode(), "text/csv")})
    if path.startswith("/api/"):
        return client.request(method, url, headers=headers, json=body)
    form = {k: str(v) for k, v in body.items() if not isinstance(v, list)}
    return client.request(method, url, headers=headers, data=form)


def _refused_for(response: Any, capability: Capability) -> bool:
    """Whether the response is the refusal for lacking ``capability``."""
    if response.status_code != 403:
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        error = response.json()["error"]
        return bool(error["code"] == "capability_required"
                    and error["details"]["capability"] == capability.value)
    return f"无权{capability.label_zh}" in response.text


def _order(key: tuple[str, str]) -> tuple[bool, str, str]:
    return key == ("POST", "/logout"), key[1], key[0]  # sign out last


def test_capability_walk_every_route_every_role(world: World) -> None:
    spares = _spares(world)
    counts = {"refused": 0, "allowed": 0}
    answers: dict[int, int] = {}  # status → how often, for the allowed calls
    for role in ROLES:
        client = world.login(role)
        token = csrf(client)
        held = ROLE_CAPABILITIES[Role(role)]
        for method, path in sorted(CAPABILITIES, key=_order):
            capability = CAPABILITIES[(method, path)]
            url = _url(path, role, spares[role])
            where = f"{role} {method} {url} ({capability.value})"
            before = _audit_count(world)
            response = _call(client, method, path, url, role, token)
            if capability in held:
                assert response.status_code < 500, f"{where}: {response.text[:300]!r}"
                assert not _refused_for(response, capability), where
                counts["allowed"] += 1
                answers[response.status_code] = answers.get(response.status_code, 0) + 1
            else:
                assert response.status_code == 403, f"{where}: {response.status_code}"
                assert _refused_for(response, capability), f"{where}: {response.text[:300]!r}"
                assert _audit_count(world) == before, f"{where} wrote to the audit log"
                counts["refused"] += 1
    assert counts["refused"] + counts["allowed"] == len(CAPABILITIES) * len(ROLES)
    assert counts["refused"] > 100 and counts["allowed"] > 100, counts
    print(f"capability walk: {len(CAPABILITIES)} routes x {len(ROLES)} roles: {counts}; "
          f"allowed calls answered {dict(sorted(answers.items()))}")


# ---------------------------------------------------------------- the viewer, and the docs


def _open_alert(world: World, region_code: str) -> int:
    from datetime import UTC, datetime

    with world.engine.begin() as conn:
        return int(conn.execute(t.alert.insert().values(
            subject="target:walk", region_code=region_code, year=2025, level="over",
            state="open", actual=2.0, projected=3.0, limit_value=1.0,
            opened_at=datetime.now(UTC)).returning(t.alert.c.id)).scalar_one())


def test_viewer_cannot_acknowledge_an_alert_and_sees_no_form(world: World) -> None:
    alert_id = _open_alert(world, "450302")  # inside the viewer's 秀峰区
    viewer = world.login("viewer")
    token = csrf(viewer)
    before = _audit_count(world)
    for url in (f"/alerts/{alert_id}/acknowledge", f"/api/v1/alerts/{alert_id}/acknowledge"):
        response = viewer.post(url, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, url
    api = viewer.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers={"X-CSRF-Token": token})
    error = api.json()["error"]
    assert error["code"] == "capability_required"
    assert error["details"] == {"capability": "acknowledge_alerts", "role": "viewer"}
    assert _audit_count(world) == before
    with world.engine.connect() as conn:
        state = conn.execute(select(t.alert.c.state).where(t.alert.c.id == alert_id)).scalar()
    assert state == "open"
    page = viewer.get("/alerts?region=450302")
    assert page.status_code == 200 and "/acknowledge" not in page.text
    targets = viewer.get("/targets?region=450302&year=2025")
    assert targets.status_code == 200
    assert 'method="post" action="/targets' not in targets.text  # no target form at all
    for action in ("/targets/decompose", "/targets/quota-method", "/targets/lock"):
        assert action not in targets.text
    me = viewer.get("/api/v1/me").json()
    assert me["capabilities"] == ["own_account"] and me["can_write"] is False
    # the service refuses by itself too (the command line, a route that forgot)
    from jieneng.services.targets import alert_lists

    with pytest.raises(CapabilityRequired):
        alert_lists.acknowledge(world.engine, world.users["viewer"], alert_id)
    assert _audit_count(world) == before
    # the office that sees it has both the button and the forms
    admin = world.login("admin")
    assert f"/alerts/{alert_id}/acknowledge" in admin.get("/alerts?region=450302").text
    assert "/targets/lock" in admin.get("/targets?region=450302&year=2025").text


def test_read_routes_of_a_capability(world: World) -> None:
    for role in ROLES:
        client = world.login(role)
        held = ROLE_CAPABILITIES[Role(role)]
        for path, capability in READ_CAPABILITIES.items():
            response = client.get(path)
            if capability in held:
                assert response.status_code == 200, f"{role} GET {path}"
            else:
                assert _refused_for(response, capability), f"{role} GET {path}"


def test_services_refuse_by_themselves(world: World) -> None:
    """A service asks the table before anything else, whoever calls it (the command
    line, a script, a route that forgot to declare its capability)."""
    from jieneng.services.notifications import channels
    from jieneng.services.publishing import publication
    from jieneng.services.quality import quality, spot_checks
    from jieneng.services.targets import quotas
    from jieneng.services.targets import targets as target_service
    from jieneng.services.workflow import periods, review

    viewer, school = world.users["viewer"], world.users["institution"]
    calls: list[tuple[str, Any]] = [
        ("viewer lock", lambda: target_service.lock(world.engine, viewer,
                                                    region_code="450302", year=2025)),
        ("school set", lambda: target_service.set_target(
            world.engine, school, region_code="450321", year=2025,
            metric=target_service.CAP_METRICS[0], value=1.0)),
        ("school assign", lambda: quotas.assign(world.engine, school, quota_id=1,
                                                region_code="450321", category="01")),
        ("school spot check", lambda: spot_checks.create_spot_check(
            world.engine, school, region_code="450321", year=2025)),
        ("viewer period", lambda: periods.open_period(world.engine, viewer,
                                                      region_code="450302", period="2025-03")),
        ("school review", lambda: review.bulk_review(world.engine, school, "approve", [])),
        ("viewer quality", lambda: quality.check_region(world.engine, viewer, "450302", 2025)),
        ("region rules", lambda: quality.set_rule(world.engine, world.users["region"], "450321",
                                                  RULES[0].code, None)),
        ("region publish", lambda: publication.publish(
            world.engine, actor=world.users["region"].actor, region_code="450321", year=2025)),
        ("region channel", lambda: channels.create_channel(
            world.engine, actor=world.users["region"].actor, region_code="450321",
            kind="email", target="office@example.org")),
    ]
    before = _audit_count(world)
    for name, call in calls:
        with pytest.raises(CapabilityRequired):
            call()
        assert _audit_count(world) == before, name


def test_navigation_links_follow_the_table(world: World) -> None:
    """No role sees a navigation link that refuses it: each one answers 200 (or 307)."""
    for role in ROLES:
        client = world.login(role)
        page = client.get("/overview").text
        nav = page[page.index('class="mainnav"'):page.index("</nav>", page.index("mainnav"))]
        links = re.findall(r'href="([^"]+)"', nav)
        assert links, role
        for link in links:
            status = client.get(link.replace("&amp;", "&")).status_code
            assert status in (200, 307), f"{role}: {link} → {status}"
        held = ROLE_CAPABILITIES[Role(role)]
        assert ('href="/entry"' in nav) == (C.ENTER_DATA in held), role
        assert ('href="/review"' in nav) == (C.REVIEW in held), role
        assert ('href="/admin/users"' in nav) == (C.MANAGE_ACCOUNTS in held), role


DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_security_doc_shows_the_capability_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = "<!-- capabilities:start -->", "<!-- capabilities:end -->"
    assert start in text and end in text, f"{DOC} needs the {start} … {end} section"
    shown = text[text.index(start) + len(start):text.index(end)].strip()
    assert shown == capability_table(), (
        "docs/security.md differs from ROLE_CAPABILITIES; paste the output of "
        "python -c 'from jieneng.core.permissions import capability_table as c; print(c())'")
