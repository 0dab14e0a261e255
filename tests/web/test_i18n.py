"""The message catalogue and the language switch."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jieneng.core import messages
from jieneng.web import i18n
from tests.web.conftest import World

WEB = Path(i18n.__file__).parent.parent
CATALOGUE = Path(messages.__file__).parent.parent / "data" / "messages"


def test_catalogues_have_the_same_keys_and_cover_the_templates() -> None:
    zh, en = messages.catalogue("zh-CN"), messages.catalogue("en")
    assert set(zh) == set(en)
    used: set[str] = set()
    for template in (WEB / "templates").rglob("*.html"):
        used |= set(re.findall(r"""\bt\(['"]([\w.\-]+)['"]""", template.read_text("utf-8")))
    missing = {
        key for key in used
        # ``t('role.' ~ user.role.value)``, ``t('carbon.fix.done_' ~ done)``: a prefix,
        # some key must start with it
        if not (any(k.startswith(key) for k in zh) if key.endswith((".", "_")) else key in zh)
    }
    assert not missing, f"keys missing from the catalogue: {sorted(missing)}"
    raw = json.loads((CATALOGUE / "zh_CN.json").read_text("utf-8"))
    assert raw == zh


def test_negotiation_order() -> None:
    assert i18n.normalise("en-US") == "en"
    assert i18n.normalise("zh-Hans-CN") == "zh-CN"
    assert i18n.normalise("fr") is None
    assert i18n.translate("en", "nav.overview") == "Overview"
    assert i18n.translate("zh-CN", "nav.overview") == "概览"
    assert i18n.translate("en", "no.such.key") == "no.such.key"


def test_language_switch_persists_in_a_cookie(world: World) -> None:
    client = world.client()
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.text and "用户名" in page.text
    switched = client.get("/login?lang=en")
    assert 'lang="en"' in switched.text and "Username" in switched.text
    assert "lang=en" in switched.headers["set-cookie"]
    again = client.get("/login")  # the cookie keeps English
    assert "Username" in again.text
    back = client.get("/login?lang=zh-CN")
    assert "用户名" in back.text


def test_accept_language_and_default(world: World) -> None:
    client = world.client()
    assert "Username" in client.get("/login", headers={"Accept-Language": "en"}).text
    assert "用户名" in world.client().get("/login", headers={"Accept-Language": "de"}).text
