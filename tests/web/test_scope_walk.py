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
   administrator-only routes);
4. checks that no response body — inside or outside — contains the name or the
   credit code of an institution outside the role's scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.web.conftest import EDU, MISSING, ORGAN, ROLES, SCHOOL, SILENT, World
from tests.web.routes import iter_routes


@dataclass(frozen=True)
class Sample:
    params: dict[str, str] = field(default_factory=dict)  # path parameter → kind
    scoped_query: dict[str, str] = field(default_factory=dict)  # query parameter → kind
    query: dict[str, str] = field(default_factory=dict)  # fixed query parameters
    public: bool = False
    admin_only: bool = False
    signed_in_status: int = 200  # e.g. /login sends a signed-in user on (303)


ROUTES: dict[str, tuple[Sample, ...]] = {
    "/api/v1/openapi.json": (Sample(public=True),),
    "/api/v1/docs": (Sample(public=True),),
    "/static/{path}": (Sample(public=True, params={"path": "static"}),),
    "/login": (Sample(public=True, signed_in_status=303),),
    "/": (Sample(),),
    "/account": (Sample(),),
    "/admin/users": (Sample(admin_only=True),),
    "/admin/users/{user_id}": (Sample(admin_only=True, params={"user_id": "user"}),),
    "/admin/audit": (Sample(admin_only=True),),
    "/api/v1/me": (Sample(),),
    "/api/v1/tokens": (Sample(),),
    "/api/v1/users": (Sample(admin_only=True),),
    "/api/v1/users/{user_id}": (Sample(admin_only=True, params={"user_id": "user"}),),
    "/api/v1/audit": (Sample(admin_only=True),),
    "/api/v1/indicators": (
        Sample(scoped_query={"region": "region"},
               query={"year": "2025", "group_by": "institution"}),
        Sample(scoped_query={"institution": "institution_code"},
               query={"year": "2025", "group_by": "institution"}),
        Sample(scoped_query={"department": "department_code"},
               query={"year": "2025", "group_by": "institution"}),
    ),
}

#: role → kind → (inside, outside); ids are resolved per database by :func:`_values`
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "admin": {"region": ("450300", "999999"), "institution_code": (SCHOOL, MISSING),
              "department_code": (EDU, MISSING)},
    "region": {"region": ("450321", "450302"), "institution_code": (SCHOOL, ORGAN),
               "department_code": (EDU, ORGAN)},
    "department": {"region": ("450321", "450302"), "institution_code": (SCHOOL, ORGAN),
                   "department_code": (EDU, ORGAN)},
    "institution": {"region": ("450321", "450302"), "institution_code": (SCHOOL, SILENT),
                    "department_code": (EDU, ORGAN)},
    "viewer": {"region": ("450302", "450321"), "institution_code": (ORGAN, SCHOOL),
               "department_code": (ORGAN, EDU)},
}


def _values(world: World, role: str) -> dict[str, tuple[str, str]]:
    values = dict(VALUES[role])
    values["user"] = (str(world.users[role].id), "999999")
    values["static"] = ("app.css", "app.css")
    return values


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


def test_scope_walk_every_route_every_role(world: World) -> None:
    checked = 0
    for role in ROLES:
        client = world.login(role)
        values = _values(world, role)
        markers = world.markers(role)
        for path in sorted(_get_routes(world)):
            for sample in ROUTES[path]:
                scoped = bool(sample.params or sample.scoped_query) and not sample.public
                for side in (0, 1) if scoped else (0,):
                    url = _url(path, sample, values, side)
                    response = client.get(url)
                    where = f"{role} GET {url}"
                    if sample.admin_only and role != "admin":
                        expected = 403
                    elif sample.public or side == 0:
                        expected = sample.signed_in_status
                    else:
                        expected = 404
                    assert response.status_code == expected, f"{where}: {response.text[:300]}"
                    body = response.text
                    leaked = [m for m in markers if m in body]
                    assert not leaked, f"{where} leaks {leaked}"
                    checked += 1
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
