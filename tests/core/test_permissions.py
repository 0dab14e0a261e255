"""The capability table of jieneng.core.permissions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jieneng.core.exceptions import NotPermitted
from jieneng.core.permissions import (
    CAPABILITY_LABELS,
    ROLE_CAPABILITIES,
    Capability,
    CapabilityRequired,
    Role,
    allows,
    capabilities,
    capability_table,
    require,
    require_role,
    roles_with,
)


@dataclass(frozen=True)
class Caller:
    role: Role


def test_every_role_has_a_row_and_every_capability_a_label() -> None:
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert set(CAPABILITY_LABELS) == set(Capability)
    assert ROLE_CAPABILITIES[Role.ADMIN] == frozenset(Capability)


def test_the_viewer_writes_nothing_but_its_own_account() -> None:
    assert ROLE_CAPABILITIES[Role.VIEWER] == {Capability.OWN_ACCOUNT}
    assert roles_with(Capability.ACKNOWLEDGE_ALERTS) == (
        Role.ADMIN, Role.REGION_ADMIN, Role.REGION, Role.DEPARTMENT, Role.INSTITUTION)


def test_offices_and_account_managers() -> None:
    region, manager = ROLE_CAPABILITIES[Role.REGION], ROLE_CAPABILITIES[Role.REGION_ADMIN]
    assert region < manager
    assert manager - region == {Capability.MANAGE_ACCOUNTS, Capability.CONFIGURE_RULES,
                                Capability.MANAGE_SCHEMES}
    assert Capability.REVIEW in ROLE_CAPABILITIES[Role.DEPARTMENT]
    assert Capability.SET_TARGETS not in ROLE_CAPABILITIES[Role.DEPARTMENT]
    assert Capability.REVIEW not in ROLE_CAPABILITIES[Role.INSTITUTION]


def test_require_names_what_is_not_allowed_in_both_languages() -> None:
    require(Caller(Role.REGION), Capability.SET_TARGETS)
    with pytest.raises(CapabilityRequired) as err:
        require(Caller(Role.VIEWER), Capability.ACKNOWLEDGE_ALERTS)
    assert isinstance(err.value, NotPermitted)
    assert err.value.code == "capability_required"
    assert err.value.details == {"capability": "acknowledge_alerts", "role": "viewer"}
    assert "确认预警" in err.value.message("zh") and "只读用户" in err.value.message("zh")
    assert "acknowledge alerts" in err.value.message("en")
    with pytest.raises(CapabilityRequired) as err:
        require_role("region", Capability.PUBLISH)
    assert "only administrators" in err.value.message("en")


def test_unknown_roles_may_do_nothing() -> None:
    assert capabilities("superuser") == frozenset()
    assert not allows(None, Capability.OWN_ACCOUNT)
    with pytest.raises(CapabilityRequired):
        require_role("superuser", Capability.OWN_ACCOUNT)


def test_the_markdown_table_has_a_row_per_capability() -> None:
    lines = capability_table().splitlines()
    assert len(lines) == 2 + len(Capability)
    assert lines[0].count("|") == 2 + len(Role) + 2
    viewer = next(line for line in lines if line.startswith("| `own_account`"))
    assert viewer.count("✓") == len(Role)
