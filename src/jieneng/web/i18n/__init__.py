"""One message catalogue for the UI: ``zh_CN.json`` (default) and ``en.json``.

The language of a request is, in order: ``?lang=``, the ``lang`` cookie, the
``Accept-Language`` header, then zh-CN. ``t(key, **values)`` formats a message
with :meth:`str.format`; a key missing from English falls back to Chinese, and a
key missing everywhere is shown as itself (a test checks both catalogues have
the same keys).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import HTTPConnection

LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
COOKIE = "lang"
_FILES = {"zh-CN": "zh_CN.json", "en": "en.json"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(_FILES[lang]).read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def normalise(value: str | None) -> str | None:
    """``en-US`` → ``en``; ``zh``/``zh-Hans`` → ``zh-CN``; unknown → None."""
    if not value:
        return None
    low = value.strip().lower()
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh-CN"
    return None


def negotiate(conn: HTTPConnection) -> str:
    """The language of a request."""
    chosen = normalise(conn.query_params.get("lang")) or normalise(conn.cookies.get(COOKIE))
    if chosen:
        return chosen
    for part in conn.headers.get("accept-language", "").split(","):
        found = normalise(part.split(";")[0])
        if found:
            return found
    return DEFAULT_LANGUAGE


def translate(lang: str, key: str, **values: Any) -> str:
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text


def domain_lang(lang: str) -> str:
    """The ``lang`` argument of :meth:`DomainError.message` (``zh`` or ``en``)."""
    return "en" if lang == "en" else "zh"
