"""The CSRF token of a session: made on first use, checked on every state-changing
request a session cookie authenticates (form field ``csrf_token`` or header
``X-CSRF-Token``).

Below :mod:`jieneng.web.deps` (which checks it in ``current_user``) and
:mod:`jieneng.web.templating` (which puts it in every form); imports neither.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from jieneng.core.exceptions import NotPermitted

#: the session key of the token
SESSION_CSRF = "csrf"


class CsrfFailed(NotPermitted):
    code = "csrf_failed"


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def verify_csrf(request: Request) -> None:
    """CsrfFailed unless the request carries the session's token."""
    expected = request.session.get(SESSION_CSRF)
    supplied = request.headers.get("x-csrf-token")
    if supplied is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        supplied = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and supplied
            and hmac.compare_digest(expected.encode(), supplied.encode())):
        await request.close()  # a refused upload's files (their temporary files)
        raise CsrfFailed.of("csrf_failed")
