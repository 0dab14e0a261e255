"""Who does what in the demo's seeds: the demo accounts that would have done it.

The demo's work (work-plan reports and reviews, round self-assessments, reviews, spot
checks, the assessment sheet) is written through the ordinary services as the demo
accounts that would have done it — ``guilin`` (the city office), ``yangshuo`` (阳朔's
office), the other counties' offices (``office-<code>``), ``school`` (a unit) — so the
audit, the reports' authors and the reviewers name them, not ``cli``. The accounts are
created before the seeds run (:func:`jieneng.services.demo.create_demo_accounts`);
when one is missing (a database built before the accounts, an account of that name
that is not a demo account) the stand-in is the command line acting for that region
or unit, as before.
"""

from __future__ import annotations

from sqlalchemy import Engine

from jieneng.core.caller import COMMAND_LINE_ID, User
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Role
from jieneng.services.accounts.accounts import get_user_by_username

#: the username of a county office's demo account other than 阳朔's (``yangshuo``)
COUNTY_OFFICE = "office-{code}"


def county_office_name(code: str, first: bool) -> str:
    """The demo account of a county's office: ``yangshuo`` for 阳朔 (the first county),
    ``office-<code>`` for the others."""
    return "yangshuo" if first else COUNTY_OFFICE.format(code=code)


def account(engine: Engine, username: str, *, role: Role, region_code: str | None = None,
            institution_id: int | None = None) -> User | None:
    """The demo account ``username`` when it exists with ``role`` and holds
    ``region_code`` / ``institution_id`` (when given); else None."""
    try:
        found = get_user_by_username(engine, username)
    except NotFound:
        return None
    if found.role is not role:
        return None
    if region_code is not None and found.region_code != region_code:
        return None
    if institution_id is not None and found.institution_id != institution_id:
        return None
    return found


def office(engine: Engine, username: str, region_code: str) -> User:
    """The office of ``region_code`` as the demo account ``username``; else the command
    line acting as that office (the audit then says ``cli``)."""
    return account(engine, username, role=Role.REGION, region_code=region_code) or User(
        id=COMMAND_LINE_ID, username=username, display_name=username, role=Role.REGION,
        region_code=region_code, institution_id=None, is_locked=False, locked_until=None,
        created_at=None)


__all__ = ["COUNTY_OFFICE", "account", "county_office_name", "office"]
