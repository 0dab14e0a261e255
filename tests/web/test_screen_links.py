"""The big screen links back into the platform for a signed-in visitor only (issue 11 §1)."""

from __future__ import annotations

from jieneng.core.caller import Actor
from jieneng.services.publishing.publication import publish
from tests.web.conftest import World


def test_links_back_only_for_a_signed_in_visitor(world: World) -> None:
    publish(world.engine, actor=Actor.cli(), region_code="450300", year=2025)
    anonymous = world.client().get("/screen/450321")
    assert anonymous.status_code == 200
    assert 'id="screen-back"' not in anonymous.text and 'href="/"' not in anonymous.text
    assert 'class="pg-screen-main"' in anonymous.text
    region = world.login("region").get("/screen/450321")
    assert 'id="screen-back"' in region.text and "返回平台" in region.text
    assert 'href="/overview?region=450321&amp;year=2025"' in region.text
    assert 'href="/admin/publication"' not in region.text  # only for a capability holder
    admin = world.login("admin").get("/screen/450321?lang=en")
    assert "Back to the platform" in admin.text and 'href="/admin/publication"' in admin.text
    # the JSON twin is the same for everyone
    assert (world.client().get("/api/v1/screen/450321").json()
            == world.login("viewer").get("/api/v1/screen/450321").json())
