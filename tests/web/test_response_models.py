"""Every JSON route under ``/api/v1`` declares the model of what it returns.

A route's ``response_model`` is its contract: the OpenAPI document (and so the
schemathesis fuzz test) checks each body against it. A route whose model is
missing, or is only the inferred ``dict[str, Any]`` of its return annotation,
has no contract. Exempt by rule: responses that are not JSON (a non-JSON
``response_class``: file downloads, the HTML reference page) and bodiless
``204 No Content`` responses.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from jieneng.web.app import ROUTERS

#: the statuses of the one error shape (``jieneng.web.errors``) every API operation
#: may answer with: no session or token, not permitted, not found or outside the
#: scope, a conflict (stale version, locked year, simultaneous change), refused input
ERROR_STATUSES = ("401", "403", "404", "409", "422")


def _json_routes() -> list[APIRoute]:
    routes = []
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1"):
                continue
            if route.status_code == 204:
                continue  # no body
            response_class = getattr(route.response_class, "value", route.response_class)
            if not issubclass(response_class, JSONResponse):
                continue  # a download or an HTML page
            routes.append(route)
    return routes


def _untyped(model: Any) -> bool:
    """No model, or a plain ``dict``/``dict[str, Any]`` that describes nothing."""
    if model is None or model is dict:
        return True
    return get_origin(model) is dict and get_args(model)[1:] == (Any,)


def _key(route: APIRoute) -> list[tuple[str, str]]:
    return [(method, route.path) for method in sorted(route.methods)]


def test_the_walk_finds_the_json_api() -> None:
    paths = {route.path for route in _json_routes()}
    assert {"/api/v1/me", "/api/v1/quality/rules", "/api/v1/overview"} <= paths


def test_every_json_route_has_a_response_model() -> None:
    missing = sorted(key for route in _json_routes() if _untyped(route.response_model)
                     for key in _key(route))
    assert missing == [], f"JSON routes without a response model: {missing}"


def test_the_figure_models_name_the_registry_headline_figures() -> None:
    """The models of the statistics figures follow the indicator registry: a figure
    added there without its model field would be dropped from every response."""
    from jieneng.core.indicator_registry import HEADLINE, TOTALS
    from jieneng.web.figures import HeadlineChangeOut, HeadlineOut
    from jieneng.web.overview import TrendSeriesOut
    from jieneng.web.screen import ScreenSeriesOut, ScreenUnitsOut

    counts = {"institutions_expected", "institutions_reported"}
    assert set(HeadlineChangeOut.model_fields) == set(HEADLINE)
    assert set(HeadlineOut.model_fields) == {*HEADLINE, *counts}
    assert set(TrendSeriesOut.model_fields) == {*TOTALS, "cost_yuan", "institutions_reported"}
    assert set(ScreenSeriesOut.model_fields) == set(ScreenUnitsOut.model_fields) == set(TOTALS)


def test_every_api_operation_declares_its_errors_with_the_one_error_shape() -> None:
    """The OpenAPI document gives ``ErrorOut`` for each error status of every
    operation (not FastAPI's own ``HTTPValidationError`` for 422: the API never
    answers with that shape)."""
    routes = [route for router in ROUTERS for route in router.routes]
    spec = get_openapi(title="jieneng", version="1", routes=routes)
    operations = [(method.upper(), path, op) for path, ops in spec["paths"].items()
                  for method, op in ops.items()]
    assert len(operations) > 50 and all(path.startswith("/api/v1") for _, path, _ in operations)
    wrong = []
    for method, path, op in operations:
        for status in ERROR_STATUSES:
            schema = op["responses"].get(status, {}).get("content", {}).get(
                "application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/ErrorOut":
                wrong.append((method, path, status))
    assert wrong == [], f"error responses not declared with ErrorOut: {wrong}"
