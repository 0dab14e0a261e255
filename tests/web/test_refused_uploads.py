"""A refused upload closes its file: when the CSRF check or the route's capability
refuses a multipart request, the form the check read is closed — its spooled temporary
file is not left for the garbage collector (an unclosed-file ResourceWarning)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable

from tests.web.conftest import World, csrf

#: over the spooled file's in-memory size: the upload lands in a temporary file
BIG = b"x" * 2_000_000


def _resource_warnings(post: Callable[[], None]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        post()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_upload_refused_by_the_csrf_check_closes_its_file(world: World) -> None:
    client = world.login("admin")

    def post() -> None:
        response = client.post("/weather/import", files={"file": ("w.csv", BIG)},
                               data={"station": "x"})
        assert response.status_code == 403
    assert _resource_warnings(post) == []


def test_an_upload_refused_for_its_capability_closes_its_file(world: World) -> None:
    client = world.login("viewer")
    token = csrf(client)

    def post() -> None:
        response = client.post("/weather/import", files={"file": ("w.csv", BIG)},
                               data={"station": "x", "csrf_token": token})
        assert response.status_code == 403
    assert _resource_warnings(post) == []
