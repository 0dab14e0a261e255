"""Who may do what: roles, named capabilities and the ONE table between them.

A role (``app_user.role``) holds a fixed set of capabilities
(:data:`ROLE_CAPABILITIES`). Every service that changes something first asks
:func:`require` for the capability the change needs; the web layer declares the
same capability on the route and derives its menus and buttons from
:func:`allows`, so a button is shown exactly when the service would accept the
request. Whether the object lies in the caller's scope, and rules relative to
the caller's region (a 管理机构 sets targets only for the regions *below* its own,
a 管理机构管理员 changes rules only in its subtree), stay with the services:
the capability is necessary, not sufficient.

The 只读用户 (``viewer``) holds only :attr:`Capability.OWN_ACCOUNT`: it changes
its own password, its own API tokens and its own notifications, and nothing else.

Standard library only (a ``core`` module).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from .exceptions import NotPermitted


class Role(StrEnum):
    ADMIN = "admin"
    REGION_ADMIN = "region_admin"
    REGION = "region"
    DEPARTMENT = "department"
    INSTITUTION = "institution"
    VIEWER = "viewer"

    @property
    def label_zh(self) -> str:
        return ROLE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return ROLE_LABELS[self][1]


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "Administrator"),
    Role.REGION_ADMIN: ("管理机构管理员", "Supervising office (account manager)"),
    Role.REGION: ("管理机构", "Supervising office"),
    Role.DEPARTMENT: ("主管机构", "Competent department"),
    Role.INSTITUTION: ("公共机构", "Public institution"),
    Role.VIEWER: ("只读用户", "Viewer"),
}


#: the roles in an English sentence ("only administrators and supervising offices")
ROLE_PLURALS_EN: dict[Role, str] = {
    Role.ADMIN: "administrators",
    Role.REGION_ADMIN: "account managers",
    Role.REGION: "supervising offices",
    Role.DEPARTMENT: "competent departments",
    Role.INSTITUTION: "public institutions",
    Role.VIEWER: "viewers",
}


class Capability(StrEnum):
    OWN_ACCOUNT = "own_account"
    ENTER_DATA = "enter_data"
    IMPORT_DATA = "import_data"
    IMPORT_DIRECTORY = "import_directory"
    IMPORT_REGIONS = "import_regions"
    SUBMIT = "submit"
    REVIEW = "review"
    OPEN_PERIODS = "open_periods"
    EXPLAIN_FINDINGS = "explain_findings"
    RUN_QUALITY = "run_quality"
    CONFIGURE_RULES = "configure_rules"
    IMPORT_PRICES = "import_prices"
    SET_TARGETS = "set_targets"
    LOCK_TARGETS = "lock_targets"
    ASSIGN_QUOTAS = "assign_quotas"
    IMPORT_QUOTAS = "import_quotas"
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    SPOT_CHECK = "spot_check"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_ALL_ACCOUNTS = "manage_all_accounts"
    FACTOR_SETS = "factor_sets"
    PUBLISH = "publish"
    MANAGE_CHANNELS = "manage_channels"
    VIEW_AUDIT = "view_audit"
    VIEW_METERING = "view_metering"
    MANAGE_METERING = "manage_metering"
    READ_METERS = "read_meters"
    MANAGE_GATEWAYS = "manage_gateways"
    MANAGE_PROJECTS = "manage_projects"
    APPROVE_PROJECTS = "approve_projects"
    IMPORT_WEATHER = "import_weather"
    MANAGE_SCHEMES = "manage_schemes"
    RUN_ROUNDS = "run_rounds"
    SELF_ASSESS = "self_assess"
    MANAGE_WORK_PLANS = "manage_work_plans"
    REPORT_PROGRESS = "report_progress"
    MANAGE_ASSESSMENTS = "manage_assessments"
    RECORD_CARBON = "record_carbon"

    @property
    def label_zh(self) -> str:
        return CAPABILITY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return CAPABILITY_LABELS[self][1]

    @property
    def note(self) -> str:
        """What else decides (scope, the region relation), for the documentation."""
        return CAPABILITY_LABELS[self][2]


#: capability → (zh, en, what else limits it)
CAPABILITY_LABELS: dict[Capability, tuple[str, str, str]] = {
    Capability.OWN_ACCOUNT: ("修改本人密码、令牌和通知", "change one's own password, tokens "
                             "and notifications, sign out", "own account only"),
    Capability.ENTER_DATA: ("填报数据", "enter figures", "scope"),
    Capability.IMPORT_DATA: ("导入数据文件", "import data files", "scope"),
    Capability.IMPORT_DIRECTORY: ("导入单位名录", "import the institution directory",
                                  "scope (a region)"),
    Capability.IMPORT_REGIONS: ("导入行政区划", "import regions", "—"),
    Capability.SUBMIT: ("提交、撤回填报任务，回答问题", "submit and withdraw tasks, answer "
                        "questions", "scope; the task's state machine"),
    Capability.REVIEW: ("审核（通过、退回、重开、提问、批量审核）", "review tasks (approve, "
                        "return, reopen, ask, in bulk)", "scope; the task's state machine"),
    Capability.OPEN_PERIODS: ("开启报告期", "open reporting periods", "own subtree"),
    Capability.EXPLAIN_FINDINGS: ("填写审核发现的说明", "explain data-quality findings",
                                  "scope"),
    Capability.RUN_QUALITY: ("对整个地区运行数据审核", "run the quality rules over a region",
                             "own subtree"),
    Capability.CONFIGURE_RULES: ("修改审核规则设置", "change quality-rule settings",
                                 "account managers: own subtree"),
    Capability.IMPORT_PRICES: ("导入参考价格", "import reference prices", "—"),
    Capability.SET_TARGETS: ("设定、导入、分解目标", "set, import and decompose targets",
                             "offices: the regions below their own"),
    Capability.LOCK_TARGETS: ("锁定、重新打开目标", "lock and reopen targets", "own subtree"),
    Capability.ASSIGN_QUOTAS: ("分配定额", "assign quotas", "own subtree"),
    Capability.IMPORT_QUOTAS: ("导入定额标准", "import quota tables", "—"),
    Capability.ACKNOWLEDGE_ALERTS: ("确认预警", "acknowledge alerts", "scope"),
    Capability.SPOT_CHECK: ("抽查、录入核实数据", "spot checks, verified figures", "scope"),
    Capability.MANAGE_ACCOUNTS: ("管理账户", "manage accounts",
                                 "account managers: the accounts of their subtree"),
    Capability.MANAGE_ALL_ACCOUNTS: ("管理全部账户（含 API）", "manage every account "
                                     "(also by the API)", "—"),
    Capability.FACTOR_SETS: ("选择系数集", "choose factor sets", "—"),
    Capability.PUBLISH: ("发布、撤回数据", "publish and withdraw figures", "—"),
    Capability.MANAGE_CHANNELS: ("管理通知渠道", "manage notification channels", "—"),
    Capability.VIEW_AUDIT: ("查看审计日志", "read the audit log", "—"),
    Capability.VIEW_METERING: ("查看户号和计量表", "see utility accounts and meters", "scope"),
    Capability.MANAGE_METERING: ("绑定户号、登记和更换计量表", "bind utility accounts, "
                                 "register and replace meters", "scope"),
    Capability.READ_METERS: ("抄表录入", "enter meter readings by hand", "scope"),
    Capability.MANAGE_GATEWAYS: ("登记网关、发放令牌、指定网关的计量表", "register gateways, "
                                 "issue their tokens, assign their meters", "own subtree"),
    Capability.MANAGE_PROJECTS: ("申报、登记节能项目（合同、边界、措施、导入）", "declare and "
                                 "register energy-saving projects (contract, boundary, "
                                 "measures, import)", "scope: the owner institutions"),
    Capability.APPROVE_PROJECTS: ("审批节能项目（审批、基准确认、效果评估、结算、终止）",
                                  "approve energy-saving projects (approval, baseline, "
                                  "evaluation, settlement, termination)", "scope"),
    Capability.IMPORT_WEATHER: ("登记气象站、导入气温数据", "register weather stations, import "
                                "temperatures", "offices: stations serving their own subtree"),
    Capability.MANAGE_SCHEMES: ("加载评价方案（本地版本）", "load evaluation schemes (local "
                                "variants)", "account managers: versions for their own subtree"),
    Capability.RUN_ROUNDS: ("组织创建评价（开启轮次、抽查、公示、授牌、复查）", "run evaluation "
                            "rounds (open, spot checks, publicity, award, re-checks)",
                            "own subtree"),
    Capability.SELF_ASSESS: ("填写创建自评、上传佐证材料", "fill in self-assessments and "
                             "attach evidence", "scope: own institutions"),
    Capability.MANAGE_WORK_PLANS: ("制定、分解、审核年度工作安排", "draw up, assign and review "
                                   "work plans", "own subtree"),
    Capability.REPORT_PROGRESS: ("报告工作安排事项进展", "report progress on work-plan items",
                                 "items assigned to the caller's scope"),
    Capability.MANAGE_ASSESSMENTS: ("配置、评定绩效考核", "configure and score performance "
                                    "assessments", "own subtree"),
    Capability.RECORD_CARBON: ("登记会议活动碳排放、碳普惠积分", "record event carbon and "
                               "carbon-points actions", "scope"),
}

_C = Capability
#: everything a 公共机构 may do: its own figures and tasks
_FILER = frozenset({_C.OWN_ACCOUNT, _C.ENTER_DATA, _C.IMPORT_DATA, _C.SUBMIT,
                    _C.EXPLAIN_FINDINGS, _C.ACKNOWLEDGE_ALERTS, _C.VIEW_METERING,
                    _C.MANAGE_METERING, _C.READ_METERS, _C.MANAGE_PROJECTS,
                    _C.SELF_ASSESS, _C.REPORT_PROGRESS, _C.RECORD_CARBON})
#: a 管理机构: also reviews, opens periods, runs rules, sets targets, quotas, spot checks
_OFFICE = _FILER | {_C.IMPORT_DIRECTORY, _C.REVIEW, _C.OPEN_PERIODS, _C.RUN_QUALITY,
                    _C.SET_TARGETS, _C.LOCK_TARGETS, _C.ASSIGN_QUOTAS, _C.SPOT_CHECK,
                    _C.MANAGE_GATEWAYS, _C.APPROVE_PROJECTS, _C.IMPORT_WEATHER,
                    _C.RUN_ROUNDS, _C.MANAGE_WORK_PLANS, _C.MANAGE_ASSESSMENTS}

#: THE table: role → what it may do. Menus, buttons, services and docs/security.md read it.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.REGION_ADMIN: _OFFICE | {_C.MANAGE_ACCOUNTS, _C.CONFIGURE_RULES, _C.MANAGE_SCHEMES},
    Role.REGION: _OFFICE,
    Role.DEPARTMENT: _FILER | {_C.REVIEW},
    Role.INSTITUTION: _FILER,
    Role.VIEWER: frozenset({_C.OWN_ACCOUNT}),
}


class Caller(Protocol):
    """Anything with a role: the signed-in account (``core.caller.User``)."""

    @property
    def role(self) -> Role: ...


class CapabilityRequired(NotPermitted):
    """The caller's role lacks a capability (HTTP 403 ``capability_required``)."""

    code = "capability_required"


def capabilities(role: Role | str) -> frozenset[Capability]:
    """What ``role`` may do (nothing for an unknown role)."""
    try:
        return ROLE_CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()


def allows(caller: Caller | None, capability: Capability) -> bool:
    return caller is not None and capability in capabilities(caller.role)


def require(caller: Caller, capability: Capability) -> None:
    """:class:`CapabilityRequired` unless the caller's role holds ``capability``; the
    message names what is not allowed, ``details`` the capability and the role."""
    require_role(caller.role, capability)


def require_role(role: Role | str, capability: Capability) -> None:
    """:func:`require` for a stored role name (an account row)."""
    if capability in capabilities(role):
        return
    role = Role(role) if role in Role.__members__.values() else Role.VIEWER
    allowed = roles_with(capability)
    raise CapabilityRequired.of(
        "capability_required", capability=capability.value, role=role.value, values={
            "role_zh": role.label_zh, "role_en": role.label_en.lower(),
            "capability_zh": capability.label_zh, "capability_en": capability.label_en,
            "allowed_zh": "、".join(r.label_zh for r in allowed),
            "allowed_en": ", ".join(ROLE_PLURALS_EN[r] for r in allowed),
        },
    )


def roles_with(capability: Capability) -> tuple[Role, ...]:
    return tuple(r for r in Role if capability in ROLE_CAPABILITIES[r])


def capability_table(roles: Iterable[Role] = tuple(Role)) -> str:
    """The table as Markdown (one row per capability, one column per role), as
    ``docs/security.md`` shows it between its ``capabilities`` markers."""
    cols = list(roles)
    head = ("| capability | what | " + " | ".join(f"`{r.value}`" for r in cols)
            + " | also limited by |")
    rule = "|---|---|" + "---|" * len(cols) + "---|"
    rows = [
        f"| `{c.value}` | {c.label_zh} {c.label_en} | "
        + " | ".join("✓" if c in ROLE_CAPABILITIES[r] else "" for r in cols)
        + f" | {c.note} |"
        for c in Capability
    ]
    return "\n".join([head, rule, *rows])
