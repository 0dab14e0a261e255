"""What the check services share (spot checks, 公示, awards): the round as its office
may act on it, and the scheme's sampling rule.

An office action needs the capability (``run_rounds``) and the round's region inside the
caller's region scope (the office of that region or one above it, or an administrator);
a unit, a department or an office below is answered as if the round did not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from jieneng.core.caller import User
from jieneng.core.campaigns.checks import SamplingRule, sampling_rule
from jieneng.core.campaigns.scheme import Scheme
from jieneng.core.exceptions import Conflict, NotFound
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import ScopeKind
from jieneng.services.campaigns.round_access import find_round, round_scheme
from jieneng.services.scope import scoped_filters


def office_round(conn: Connection, user: User, round_id: int,
                 capability: Capability = Capability.RUN_ROUNDS) -> dict[str, Any]:
    """The round when the caller may act on it as its office; NotFound /
    CapabilityRequired otherwise."""
    require(user, capability)
    row = find_round(conn, user, round_id)
    if user.scope.kind not in (ScopeKind.ALL, ScopeKind.REGION):
        raise NotFound.of("round_not_found", round=round_id)
    scoped_filters(conn, user.scope, region_code=row["region_code"])
    return row


def check_state(row: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse an action the round's state does not allow."""
    if row["state"] not in allowed:
        raise Conflict.of("check_round_state", round=row["id"], state=row["state"])


def rule_of(conn: Connection, round_row: dict[str, Any]) -> tuple[Scheme, SamplingRule]:
    """The round's scheme version and its sampling rule."""
    scheme = round_scheme(conn, round_row)
    return scheme, sampling_rule(scheme.code, scheme.params)


def iso(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its dates and times as ISO text and CHAR codes stripped."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, str) and key.endswith(("region_code", "sha256", "credit_code")):
            out[key] = value.strip()
        else:
            out[key] = value
    return out
