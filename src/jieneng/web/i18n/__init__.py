"""The language of a request, and the UI's view of the one message catalogue
(:mod:`jieneng.core.messages`: ``data/messages/zh_CN.json``, the default, and
``en.json``).

The language of a request is, in order: ``?lang=``, the ``lang`` cookie, the
``Accept-Language`` header, then zh-CN. ``t(key, **values)`` formats a message
with :meth:`str.format`; a key missing from English falls back to Chinese, and a
key missing everywhere is shown as itself (a test checks both catalogues have
the same keys).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from jieneng.core.messages import DEFAULT_LANGUAGE, text

COOKIE = "lang"


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
    """The message ``key`` of the catalogue in ``lang`` (see :func:`jieneng.core.messages.text`)."""
    return text(lang, key, **values)


def domain_lang(lang: str) -> str:
    """The ``lang`` argument of :meth:`DomainError.message` (``zh`` or ``en``)."""
    return "en" if lang == "en" else "zh"


def one_language(note: str, lang: str) -> str:
    """A result's note written "中文 / English" (:func:`jieneng.core.indicators._note`,
    the CO₂ factor's fallbacks) in the reader's language only; a note in one language
    as it is. Template filter ``one_language``."""
    zh, sep, en = note.partition(" / ")
    if not sep:
        return note
    return en if lang == "en" else zh
