"""The FastAPI app factory.

:func:`create_app` builds everything from :class:`~jieneng.settings.Settings`:
the engine (``app.state.engine``, disposed at shutdown), the signed session
cookie, the language negotiation, the rate limiters (``app.state.limiters``,
``web.ratelimit``), the error handlers, static files and routers.
Nothing connects at import time. Settings refuse the default secret outside
development.

Routers: one module per feature (``web/<feature>.py``, ``web/targets/``), each with
its page router (``router``) and its JSON twin under ``/api/v1`` (``api``; OpenAPI
document ``/api/v1/openapi.json``, reference page ``/api/v1/docs``). Add a router to
:data:`ROUTERS` and the scope walk in ``tests/web/test_scope_walk.py`` will ask for
sample parameters of its routes; ``tests/web/test_twins.py`` for its JSON twin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from jieneng import __version__
from jieneng.services import result_cache
from jieneng.services.accounts import passwords
from jieneng.services.database import open_database
from jieneng.services.metering import derive_worker
from jieneng.services.notifications import outbox
from jieneng.settings import Settings, load_settings
from jieneng.web import (
    account,
    apidocs,
    audit,
    auth,
    carbon,
    carbon_corrections,
    carbon_points,
    channels,
    directory,
    entry,
    errors,
    explain,
    factor_sets,
    fleet,
    gateways,
    home,
    imports,
    indicators,
    limits,
    metering,
    monitoring,
    notifications,
    overview,
    publication,
    quality,
    quality_rules,
    readings_push,
    screen,
    search,
    spot_checks,
    summaries,
    uploads,
    users,
    utility_data,
    weather,
)
from jieneng.web.assessments import pages as assessment_pages
from jieneng.web.assessments import results as assessment_results
from jieneng.web.assessments import sheets as assessment_sheets
from jieneng.web.campaigns import checks as campaign_checks
from jieneng.web.campaigns import coverage as campaign_coverage
from jieneng.web.campaigns import round_members as campaign_round_members
from jieneng.web.campaigns import round_page as campaign_round_page
from jieneng.web.campaigns import round_review as campaign_round_review
from jieneng.web.campaigns import round_states as campaign_round_states
from jieneng.web.campaigns import rounds as campaign_rounds
from jieneng.web.campaigns import schemes as campaign_schemes
from jieneng.web.entry_year import grid as entry_grid
from jieneng.web.entry_year import profile as entry_profile
from jieneng.web.forms_ny import entry as forms_ny_entry
from jieneng.web.forms_ny import summary as forms_ny_summary
from jieneng.web.i18n import COOKIE, negotiate, normalise
from jieneng.web.projects import actions as project_actions
from jieneng.web.projects import boundary as project_boundary
from jieneng.web.projects import contract as project_contract
from jieneng.web.projects import detail as project_detail
from jieneng.web.projects import documents as project_documents
from jieneng.web.projects import measures as project_measures
from jieneng.web.projects import pages as project_pages
from jieneng.web.projects import register as project_register
from jieneng.web.ratelimit import Limiters, RateLimiter
from jieneng.web.reporting import periods, reminders, review, review_export, tasks
from jieneng.web.targets import alerts, annual, assessment, quotas, targets
from jieneng.web.workplans import items as workplan_items
from jieneng.web.workplans import pages as workplan_pages
from jieneng.web.workplans import progress as workplan_progress
from jieneng.web.workplans import review as workplan_review

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "jieneng_session"
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    summaries.router, summaries.api,  # before /reporting/{…} routes
    overview.router, explain.router, directory.router,
    entry_profile.router, entry_grid.router, entry.router,  # …/{year}/profile before …/{month}
    imports.router,
    screen.router, home.router, home.api, search.router, search.api,
    account.router, account.api, users.router, users.api,
    audit.router, audit.api, factor_sets.router, factor_sets.api, apidocs.router,
    utility_data.router, utility_data.api,  # /metering/utility before /metering/…
    metering.router, metering.api,
    forms_ny_entry.router, forms_ny_entry.api, forms_ny_summary.router, forms_ny_summary.api,
    monitoring.router, monitoring.api,
    gateways.router, gateways.api, readings_push.push,
    overview.api, explain.api, indicators.router, directory.api,
    entry_profile.api, entry_grid.api, entry.api, imports.api,
    screen.api, publication.router, publication.api,
    periods.router, periods.api, tasks.router, tasks.api, review.router, review.api,
    review_export.router,
    reminders.router, reminders.api,
    spot_checks.router, spot_checks.api,
    notifications.router, notifications.api, channels.router, channels.api,
    quality.router, quality.api, quality_rules.router, quality_rules.api,
    targets.router, targets.api, assessment.router, assessment.api, alerts.router, alerts.api,
    quotas.router, quotas.api, annual.router,
    project_pages.router, project_pages.api,
    project_register.router, project_register.api,  # /projects/new before /projects/{code}
    project_detail.router, project_detail.api, project_documents.router, project_documents.api,
    project_contract.router, project_contract.api, project_boundary.router,
    project_boundary.api, project_actions.router, project_actions.api,
    project_measures.router, project_measures.api, weather.router, weather.api,
    # issue 14: schemes, rounds, checks, coverage, fleet, work plans, assessments, carbon
    campaign_schemes.router, campaign_schemes.api,
    campaign_rounds.router, campaign_rounds.api,
    campaign_round_page.router, campaign_round_page.api,  # …/{round_id}.xlsx first
    campaign_round_members.router, campaign_round_members.api,
    campaign_round_review.router, campaign_round_review.api,
    campaign_round_states.router, campaign_round_states.api,
    campaign_checks.router, campaign_checks.api,
    campaign_coverage.router, campaign_coverage.api,
    fleet.router, fleet.api,
    workplan_pages.router, workplan_pages.api,
    workplan_progress.router, workplan_progress.api,  # /workplans/{plan_id}.xlsx first
    workplan_items.router, workplan_items.api, workplan_review.router, workplan_review.api,
    assessment_pages.router, assessment_pages.api,
    assessment_sheets.router, assessment_sheets.api,  # sheets/load before sheets/{code}
    assessment_results.router, assessment_results.api,  # /{run_id}.xlsx before /{run_id}
    carbon.router, carbon.api,
    carbon_points.router, carbon_points.api,
    carbon_corrections.router, carbon_corrections.api,
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}
#: on HTML responses only. The templates hold no inline script or event handler
#: (charts read their data from ``<script type="application/json">`` blocks, which
#: are not executed), so no nonce and no 'unsafe-inline' for scripts; inline
#: styles stay allowed (chart heights, htmx's indicator style).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _limiters(settings: Settings) -> Limiters:
    if not settings.rate_limits_on:
        return Limiters(login=None, api=None)
    return Limiters(
        login=RateLimiter(settings.login_rate_limit, settings.login_rate_window),
        api=RateLimiter(settings.api_rate_limit, settings.api_rate_window),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready app on ``settings`` (default: from the environment)."""
    settings = settings or load_settings()
    passwords.use_profile(settings.password_hash_profile, settings.environment)
    engine = open_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.notify_worker_seconds > 0:  # the notification outbox, after commits
            worker = asyncio.create_task(
                outbox.run_worker(engine, settings, settings.notify_worker_seconds))
        deriver = None
        if settings.metering_derive_seconds > 0:  # readings → intervals and roll-ups
            deriver = asyncio.create_task(
                derive_worker.run_worker(engine, settings, settings.metering_derive_seconds))
        yield
        for task in (worker, deriver):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        engine.dispose()

    app = FastAPI(
        title="jieneng 节能 API",
        version=__version__,
        description="公共机构能源资源消费统计平台 — public-institution energy statistics.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(limits.ids_in_range)],
    )
    app.state.settings = settings
    app.state.engine = engine
    result_cache.configure(engine, settings.result_cache_entries)
    errors.install(app)
    limits.install(app)  # a value the database cannot hold: 422, not 500
    app.state.limiters = limiters = _limiters(settings)
    # innermost: body limits, control characters, Cache-Control (web.limits)
    app.add_middleware(limits.RequestGuard, limits=limits.Limits(
        body=settings.max_body_bytes,
        upload=settings.max_upload_bytes + uploads.ENVELOPE_BYTES,
        is_upload=limits.UploadRoutes(lambda: app.routes, uploads.check_declared_size)))

    @app.middleware("http")
    async def api_rate_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Bearer-token API requests: ``api_rate_limit`` per ``api_rate_window`` per token.

        Added first, so it runs inside ``language_and_headers`` (its 429 gets the
        language and the security headers like every other response).
        """
        header = request.headers.get("authorization", "")
        if (limiters.api is not None and request.url.path.startswith("/api/")
                and header.lower().startswith("bearer ")):
            digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
            retry_after = limiters.api.hit(f"api:{digest}")
            if retry_after is not None:
                return await errors.rate_limited(request, retry_after)
        return await call_next(request)

    @app.middleware("http")
    async def language_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.lang = negotiate(request)
        response = await call_next(request)
        chosen = normalise(request.query_params.get("lang"))
        if chosen and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax",
                                httponly=True, secure=settings.environment == "production")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _include_routers(app)
    return app


#: :data:`ROUTERS` as included by the first app of the process, shared by every later one.
_INCLUDED: list[BaseRoute] = []


def _include_routers(app: FastAPI) -> None:
    """Include :data:`ROUTERS` in ``app``. FastAPI (≥ 0.16x) resolves an included router's
    routes — the analysis of every route's parameters and dependencies — lazily, once per
    inclusion: about 0.7 s for the ~430 routes on an idle machine, paid again by every
    new app (the tests make one per test; each upload check resolves them all). The
    inclusions hold no state of their app (the dependencies are the same for every app:
    ``limits.ids_in_range``; no dependency overrides are used), so the later apps take
    the first app's inclusions, already resolved."""
    if _INCLUDED:
        app.router.routes.extend(_INCLUDED)
        return
    start = len(app.router.routes)
    for router in ROUTERS:
        app.include_router(router)
    _INCLUDED.extend(app.router.routes[start:])
