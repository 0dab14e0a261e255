"""The 桂林市 demo database (演示数据), built through the ordinary import path.

The demo generator (:mod:`jieneng.demo`) writes the files a 统计员 would have —
regions, the directory (.xlsx), yearly profiles and one wide consumption sheet
per year — and this service imports them exactly as a user's files are
imported, so the demo also exercises validation, revisions and roll-ups.
Building is idempotent: a database already holding this demo version is left
as it is; re-importing identical files changes nothing. The last complete year
(the last of :data:`DEMO_YEARS`) is published for the demo city
(:mod:`jieneng.services.publishing.publication`) so its public big screen shows figures; a
demo database built before publication existed gets that mark too.

The demo accounts (:func:`ensure_demo_accounts`, one per role, the published
:data:`DEMO_PASSWORD`), the demo's task states
(:func:`jieneng.storage.demo.demo_states`) and its first notifications — a 催报, a
question, a return with its reason, an alert (:mod:`jieneng.services.demo_notifications`,
once the accounts exist) — live here and there, never in the production modules
they use. The metered side — bound accounts, meters, a simulated gateway, a data
centre — is :mod:`jieneng.services.demo_metering`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from jieneng.core.caller import Actor, command_line_user
from jieneng.core.exceptions import NotPermitted
from jieneng.core.permissions import Role
from jieneng.core.regions import RegionTree
from jieneng.demo.generate import write_demo_files
from jieneng.services import (
    demo_assessments,
    demo_campaigns,
    demo_carbon,
    demo_metering,
    demo_notifications,
    demo_projects,
    demo_workplans,
)
from jieneng.services.accounts.accounts import create_user, update_user
from jieneng.services.accounts.auth import LEGACY_DEMO_SUFFIX
from jieneng.services.accounts.passwords import verify_password
from jieneng.services.database import open_database
from jieneng.services.demo_actors import COUNTY_OFFICE
from jieneng.services.entry.imports import ImportKind, Progress, import_file, no_progress
from jieneng.services.forms_ny import demo as forms_ny_demo
from jieneng.services.publishing import publication
from jieneng.services.statistics.overview import overview
from jieneng.services.targets import alerts, quotas, targets
from jieneng.services.workflow import periods
from jieneng.settings import data_dir, load_settings
from jieneng.storage import demo as demo_store
from jieneng.storage import meta, regions
from jieneng.storage import users as user_store

DEMO_REGION = "450300"
DEMO_LABEL = "演示数据"
DEMO_VERSION = "guilin-1"
DEMO_YEARS = (2023, 2024, 2025)


def demo_database_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.db'}"


@dataclass
class DemoSummary:
    built: bool
    files_dir: Path
    years: tuple[int, ...] = DEMO_YEARS
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def last_year(self) -> int:
        return self.years[-1]

    def describe(self) -> str:
        state = "已构建 built" if self.built else "已存在，未改动 already up to date"
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"{state}; 文件 files: {self.files_dir}; {counts}"


def build_demo(url: str, *, rebuild: bool = False, progress: Progress = no_progress,
               metered_since: int | None = None) -> DemoSummary:
    """Build the demo into ``url`` (created if needed); ``rebuild`` re-imports everything;
    ``metered_since`` (epoch s) shortens the metered history (tests)."""
    engine = open_database(url)
    try:
        return _build(engine, rebuild, progress, metered_since)
    finally:
        engine.dispose()


def _build(engine: Engine, rebuild: bool, progress: Progress,
           metered_since: int | None = None) -> DemoSummary:
    files_dir = data_dir() / "demo-files"
    with engine.connect() as conn:
        present = meta.get_meta(conn, "demo_version") == DEMO_VERSION
    summary = DemoSummary(built=False, files_dir=files_dir)
    if present and not rebuild:
        _publish(engine)
        _workflow(engine)
        demo_metering.seed(engine, DEMO_REGION, since=metered_since)
        forms_ny_demo.seed_rooms(engine, DEMO_REGION)  # NY202 room on the metered unit
        demo_projects.seed(engine, DEMO_REGION, files_dir, figures=False)  # projects, weather
        _accounts_first(engine)
        _issue14(engine, files_dir)
        return summary
    progress("生成文件 generating files")
    files = write_demo_files(files_dir, years=DEMO_YEARS)
    steps: list[tuple[ImportKind, Path]] = [
        (ImportKind.REGIONS, files.regions),
        (ImportKind.INSTITUTIONS, files.institutions),
        (ImportKind.PROFILES, files.profiles),
        *((ImportKind.CONSUMPTION, path) for path in files.consumption),
    ]
    for kind, path in steps:
        progress(f"导入 importing {path.name}")
        report = import_file(engine, kind, path, source="demo")
        summary.counts[path.name] = report.records
    with engine.begin() as conn:
        meta.set_meta(conn, "dataset_label", DEMO_LABEL)
        meta.set_meta(conn, "demo_version", DEMO_VERSION)
    progress("节能项目 projects")  # before the workflow locks the months of PV generation
    summary.counts.update(demo_projects.seed(engine, DEMO_REGION, files_dir))
    _publish(engine)
    _workflow(engine)
    progress("计量数据 metered data")
    summary.counts["readings"] = demo_metering.seed(engine, DEMO_REGION, since=metered_since)
    summary.counts["datacentre_rooms"] = forms_ny_demo.seed_rooms(engine, DEMO_REGION)
    progress("创建、工作安排、考核 campaigns, work plans, assessment")
    _accounts_first(engine)
    summary.counts.update(_issue14(engine, files_dir))
    summary.built = True
    return summary


def _accounts_first(engine: Engine) -> None:
    """The demo accounts and the other counties' office accounts, before the seeds that
    act as them (services.demo_actors): the reports, reviews and self-assessments then
    name ``guilin``, ``yangshuo``, ``office-<code>``, ``school`` instead of ``cli``. Not
    in production (demo accounts have a published password: the demo is refused there
    anyway)."""
    environment = load_settings().environment
    if environment == "production":
        return
    create_demo_accounts(engine, DEMO_REGION, environment=environment)
    _county_offices(engine, DEMO_REGION)


def _county_offices(engine: Engine, region_code: str) -> int:
    """A demo office account for each county of the demo city but 阳朔 (``yangshuo``):
    ``office-<code>``, flagged ``is_demo``, the demo password; created if missing."""
    with engine.connect() as conn:
        tree = RegionTree(regions.load_regions(conn))
    made = 0
    for code in tree.children.get(region_code, []):
        if tree.name(code).startswith("阳朔"):
            continue
        username = COUNTY_OFFICE.format(code=code)
        with engine.connect() as conn:
            if user_store.get_user_by_username(conn, username) is not None:
                continue
        create_user(engine, Actor(None, "demo"), username=username, password=DEMO_PASSWORD,
                    role=Role.REGION, region_code=code,
                    display_name=f"{Role.REGION.label_zh} {tree.name(code)}", is_demo=True)
        made += 1
    return made


def _issue14(engine: Engine, files_dir: Path) -> dict[str, int]:
    """Campaign rounds, work plans, the assessment sheet and the carbon extras: each
    seed is idempotent; the plan's coverage reads the rounds, the sheet reads both."""
    counts: dict[str, int] = {}
    for seed in (demo_campaigns.seed, demo_carbon.seed, demo_workplans.seed,
                 demo_assessments.seed):
        counts.update(seed(engine, DEMO_REGION, files_dir))
    return counts


def _publish(engine: Engine) -> None:
    """Publish the last demo year for the demo city (no change when already published)."""
    publication.publish(engine, actor=Actor(None, "demo"), region_code=DEMO_REGION,
                        year=DEMO_YEARS[-1])


#: Bump to rebuild the demo's reporting workflow, targets and quota on existing demo files.
WORKFLOW_VERSION = "workflow-1"
#: How the demo's 2025 monthly tasks stand (state, out of every 100 institutions):
#: the year's early months reviewed, the last ones under way — a queue to review.
_STATES: dict[int, tuple[tuple[str, int], ...]] = {
    **{m: (("approved", 100),) for m in range(1, 10)},
    10: (("approved", 92), ("submitted", 5), ("returned", 3)),
    11: (("approved", 60), ("submitted", 25), ("returned", 5), ("in_progress", 10)),
    12: (("submitted", 40), ("in_progress", 30), ("returned", 10)),
}
#: A quota table for the demo only — fictional levels placed near the top of the demo
#: city's own 国家机关 distribution (a few in ten above the 约束值), since no Guangxi
#: quota standard text was available (DB45/T 2360-2021 not found); named as such.
DEMO_QUOTA = """指标,机构类型,气候区,约束值,基准值,引导值,单位
人均综合能耗,演示：国家机关,,900,650,450,kgce/人
单位建筑面积能耗,演示：国家机关,,14,11,8,kgce/m²
"""


def _workflow(engine: Engine) -> None:
    """The demo city's 2025 reporting periods and tasks in every state, its targets
    (a city cap decomposed to the counties, per-capita reductions), a demo quota and
    the alerts they raise. Idempotent (``demo_workflow`` in meta)."""
    with engine.connect() as conn:
        if meta.get_meta(conn, "demo_workflow") == WORKFLOW_VERSION:
            return
    who, year = command_line_user(), DEMO_YEARS[-1]
    now = datetime.now(UTC)
    for month, shares in _STATES.items():
        deadline = date(year + (month == 12), month % 12 + 1, 15)
        period = periods.open_period(engine, who, region_code=DEMO_REGION,
                                     period=f"{year}-{month:02d}", deadline=deadline)
        with engine.begin() as conn:
            demo_store.demo_states(conn, int(period["id"]), shares, at=now,
                                        reason="演示：电费与电量不符，请核对后重报")
    last = overview(engine, who.scope, region_code=DEMO_REGION, year=year - 1)
    cap = round(float(last["energy_tce"] or 0.0) * 0.98, 1)  # −2 % on last year
    targets.set_target(engine, who, region_code=DEMO_REGION, year=year, metric="energy_tce",
                       value=cap)
    targets.decompose(engine, who, region_code=DEMO_REGION, year=year, metric="energy_tce")
    for child in ("450302", "450321"):
        targets.set_target(engine, who, region_code=child, year=year,
                           metric="energy_per_capita_kgce", value=0.011)
    path = data_dir() / "demo-files" / "演示定额.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_QUOTA, encoding="utf-8")
    report = quotas.import_table(engine, who, path, code="DEMO-演示定额",
                                 title="演示定额（虚构数值，非任何标准）",
                                 source="演示数据：数值为虚构，仅用于演示")
    for q in quotas.list_quotas(engine, report["standard_id"]):
        quotas.assign(engine, who, quota_id=int(q["id"]), region_code=DEMO_REGION,
                      category="01")
    alerts.evaluate(engine, load_settings(), who,
                    region_code=DEMO_REGION, year=year, sleep=lambda _s: None)
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_workflow", WORKFLOW_VERSION)


# ---------------------------------------------------------------- demo accounts
#: the password of every demo account, printed by ``jieneng demo`` (development only:
#: demo accounts are flagged ``is_demo``, never created and refused at login in production)
DEMO_PASSWORD = "Jieneng#Demo2025"


class DemoRefused(NotPermitted):
    code = "demo_refused"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    pinned_to: str


def ensure_demo_accounts(
    engine: Engine, region_code: str = "450300", *, environment: str = "development"
) -> list[DemoAccount]:
    """One account per role on the demo city, created if missing (development only:
    DemoRefused in production). They are flagged ``is_demo`` and share the published
    :data:`DEMO_PASSWORD`, printed by ``jieneng demo``. Once the demo's workflow is
    built, the bell's story is seeded (once per database).
    """
    out = create_demo_accounts(engine, region_code, environment=environment)
    with engine.connect() as conn:
        built = meta.get_meta(conn, "demo_workflow") == WORKFLOW_VERSION
    if built:  # the bell is not empty for a new user (once per demo database)
        demo_notifications.seed(engine, region_code=region_code, year=DEMO_YEARS[-1])
    return out


def create_demo_accounts(
    engine: Engine, region_code: str = "450300", *, environment: str = "development"
) -> list[DemoAccount]:
    """The accounts of :func:`ensure_demo_accounts` without the notifications' story
    (the demo build makes them before its seeds act as them)."""
    if environment == "production":
        raise DemoRefused.of("demo.accounts_in_production")
    with engine.connect() as conn:
        tree = RegionTree(regions.load_regions(conn))
        county = next(
            (c for c in tree.children.get(region_code, []) if tree.name(c).startswith("阳朔")),
            None,
        ) or next(iter(tree.children.get(region_code, [])), region_code)
        dept = user_store.first_institution(conn, region_code=region_code, name_like="%教育局")
        school = (
            user_store.first_institution(conn, department_id=dept[0]) if dept is not None else None
        )
    wanted: list[tuple[str, Role, str | None, int | None, str]] = [
        ("admin", Role.ADMIN, None, None, "全部 everything"),
        ("guilin", Role.REGION, region_code, None, tree.name(region_code)
         if region_code in tree else region_code),
        ("yangshuo", Role.REGION, county, None, tree.name(county) if county in tree else county),
        ("viewer", Role.VIEWER, region_code, None, tree.name(region_code)
         if region_code in tree else region_code),
    ]
    if dept is not None:
        wanted.append(("jiaoyuju", Role.DEPARTMENT, None, dept[0], dept[1]))
    if school is not None:
        wanted.append(("school", Role.INSTITUTION, None, school[0], school[1]))
    out = []
    for username, role, region, inst, label in wanted:
        with engine.connect() as conn:
            row = user_store.get_user_by_username(conn, username)
        if row is None:
            create_user(
                engine, Actor(None, "demo"), username=username, password=DEMO_PASSWORD,
                role=role, region_code=region, institution=inst,
                display_name=f"{role.label_zh} {label}", is_demo=True,
            )
        elif not row.is_demo:
            if not verify_password(row.password_hash, username + LEGACY_DEMO_SUFFIX):
                continue  # an account of the same name that is not a demo account
            _adopt_legacy_demo(engine, row.id)
        out.append(DemoAccount(username, DEMO_PASSWORD, role, label))
    return out


def _adopt_legacy_demo(engine: Engine, user_id: int) -> None:
    """A demo account made before the ``is_demo`` flag (password ``<name>-demo-2025``):
    flag it and give it the current demo password."""
    update_user(engine, Actor(None, "demo"), user_id, password=DEMO_PASSWORD)
    with engine.begin() as conn:
        user_store.update_user(conn, user_id, is_demo=True)
