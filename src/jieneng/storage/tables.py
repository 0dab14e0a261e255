"""SQLAlchemy Core tables of jieneng (the storage contract of ``docs/architecture.md``).

One :data:`metadata` with a naming convention, so that every constraint and index
has a stable name on SQLite and PostgreSQL and Alembic migrations can refer to it.

The roll-up tables ``consumption_month`` and ``consumption_year`` carry one
``q_<code>`` (quantity, canonical unit) and one ``c_<code>`` (cost, 元) column per
carrier of :data:`jieneng.core.carriers.CARRIER_CODES`; they are generated here.
Adding a carrier therefore needs a new migration adding its two columns (the
migration test compares the migrated schema with this metadata).

Why one module of ~700 lines (the house limit is ~400): it is the schema, declarations
only, no logic — one :data:`metadata` that Alembic and the migration test compare
against, read top to bottom as the one place to see every table, with the sections
(directory and figures, accounts, reporting workflow, data quality, notifications,
spot checks, targets) marked by headed comments. Tables of one area refer to those of
another (a task to an institution, an alert to a target), and every storage module
reads them as ``tables.<name>``; split per area, the modules would either re-export
into one namespace or make each reader import from several — more to look through,
nothing to keep apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.types import CHAR, TypeEngine

from jieneng.core.carriers import CARRIER_CODES

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: IEEE double on every backend (``double precision`` on PostgreSQL, ``REAL`` on SQLite).
Double: TypeEngine[float] = Float(53)
#: 64-bit id; on SQLite it must be ``INTEGER`` to alias the rowid (autoincrement).
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

INSTITUTION_CATEGORIES: tuple[str, ...] = ("01", "021", "022", "023", "024", "025", "026", "03")
SOURCES: tuple[str, ...] = ("manual", "file", "meter", "grid", "demo")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def quantity_column(carrier_code: str) -> str:
    """Name of the roll-up quantity column of a carrier (``q_electricity``)."""
    return f"q_{carrier_code}"


def cost_column(carrier_code: str) -> str:
    """Name of the roll-up cost column of a carrier (``c_electricity``)."""
    return f"c_{carrier_code}"


def _carrier_columns() -> list[Column[float]]:
    cols: list[Column[float]] = []
    for code in CARRIER_CODES:
        cols.append(Column(quantity_column(code), Double, nullable=True))
        cols.append(Column(cost_column(code), Double, nullable=True))
    return cols


import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("sha256", CHAR(64), nullable=False, index=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("rows", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("dry_run", Boolean, nullable=False, server_default=text("false")),
)

region = Table(
    "region",
    metadata,
    Column("code", CHAR(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("parent_code", CHAR(6), ForeignKey("region.code"), nullable=True, index=True),
    CheckConstraint("level IN (1, 2, 3)", name="level"),
)

institution = Table(
    "institution",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("credit_code", CHAR(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("category", String(3), nullable=False),
    Column("department_id", Integer, ForeignKey("institution.id"), nullable=True, index=True),
    Column("key_energy_user", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(8), nullable=False, server_default=text("'active'")),
    Column("import_id", Integer, ForeignKey("import_batch.id"), nullable=True),
    CheckConstraint(_in_list("category", INSTITUTION_CATEGORIES), name="category"),
    CheckConstraint("status IN ('active', 'closed')", name="status"),
    # status too: the campaign coverage reads a region's active institutions from the
    # index alone (migration 0029)
    Index("ix_institution_region_code_category_status", "region_code", "category", "status"),
)

institution_profile = Table(
    "institution_profile",
    metadata,
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("occupants", Integer, nullable=True),
    Column("staff_quota", Integer, nullable=True),
    Column("floor_area_m2", Double, nullable=True),
    Column("heated_area_m2", Double, nullable=True),
    Column("vehicles_gasoline", Integer, nullable=True),
    Column("vehicles_diesel", Integer, nullable=True),
    Column("vehicles_nev", Integer, nullable=True),
    Column("import_id", Integer, ForeignKey("import_batch.id"), nullable=True),
)

consumption_record = Table(
    "consumption_record",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # No FOREIGN KEY constraints on the consumption tables: on PostgreSQL each costs
    # ~1.5 s per 400,000 inserted rows (a trigger per row). Referential integrity
    # is checked set-based in storage.consumption.write_consumption (one join per
    # write), the only writer; institutions and import batches are never deleted.
    Column("institution_id", Integer, nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("quantity", Double, nullable=False),
    Column("cost_yuan", Double, nullable=True),
    Column("entered_value", Text, nullable=True),
    Column("entered_unit", Text, nullable=True),
    Column("source", String(8), nullable=False),
    Column("import_id", Integer, nullable=True),
    Column("revision", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    CheckConstraint("revision >= 1", name="revision"),
    CheckConstraint(_in_list("source", SOURCES), name="source"),
    Index(
        "uq_consumption_record_key_revision",
        "institution_id", "year", "month", "carrier", "revision",
        unique=True,
    ),
)
#: At most one current row per key; also the index of every current-row lookup.
Index(
    "uq_consumption_record_current",
    consumption_record.c.institution_id,
    consumption_record.c.year,
    consumption_record.c.month,
    consumption_record.c.carrier,
    unique=True,
    # SQLite uses a partial index only when the query repeats its WHERE term
    # verbatim; SQLAlchemy renders a boolean filter as ``is_current = 1`` there.
    sqlite_where=text("is_current = 1"),
    postgresql_where=text("is_current"),
)

consumption_month = Table(
    "consumption_month",
    metadata,
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    *_carrier_columns(),
    Index("ix_consumption_month_year_month", "year", "month"),
)

consumption_year = Table(
    "consumption_year",
    metadata,
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("months_reported", SmallInteger, nullable=False),
    *_carrier_columns(),
    Index("ix_consumption_year_year", "year"),
)

#: Group roll-ups (decision 0004): the region-level dashboards read these instead
#: of 50,000 institution rows. One row per (region, category, year) and profile
#: flags (用能人数 > 0, 建筑面积 > 0) of the *reported* institutions: their count,
#: Σ of every carrier and Σ 用能人数 / 建筑面积 of the same year's profile. Rebuilt
#: set-based from ``consumption_year`` for the touched groups in every transaction
#: that changes figures, an institution's region or category, or a profile
#: (:mod:`jieneng.storage.groups`); never incremented.
consumption_group_year = Table(
    "consumption_group_year",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("has_occupants", SmallInteger, primary_key=True),
    Column("has_area", SmallInteger, primary_key=True),
    Column("institutions_reported", Integer, nullable=False),
    Column("institutions_closed", Integer, nullable=False),
    *_carrier_columns(),
    Column("occupants", Double, nullable=True),
    Column("floor_area_m2", Double, nullable=True),
    Index("ix_consumption_group_year_year", "year"),
)

#: Active institutions per (region, category): the 应报 count of a region's
#: dashboard (with ``consumption_group_year.institutions_closed`` — reported in the
#: year, closed since). Rebuilt from ``institution`` by every directory write.
institution_group = Table(
    "institution_group",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("institutions_active", Integer, nullable=False),
)

#: Per (region, category, year, month): the institutions with a figure that month
#: and Σ of every carrier (the monthly trend of a region's overview).
consumption_group_month = Table(
    "consumption_group_month",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    Column("institutions_reported", Integer, nullable=False),
    *_carrier_columns(),
    Index("ix_consumption_group_month_year", "year"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

ROLES: tuple[str, ...] = (
    "admin", "region_admin", "region", "department", "institution", "viewer",
)

#: Accounts. ``region_code`` pins region and viewer accounts, ``institution_id``
#: department (the competent department itself) and institution accounts; admin
#: accounts have neither. ``failed_logins``/``locked_until`` implement the login
#: lockout, ``is_locked`` an administrator's lock.
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=True),
    Column("is_locked", Boolean, nullable=False, server_default=text("false")),
    #: made by ``jieneng demo`` with a published password: refused in production
    Column("is_demo", Boolean, nullable=False, server_default=text("false")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint(_in_list("role", ROLES), name="role"),
)

#: API tokens: only the SHA-256 of the token is stored; revoked tokens keep their row.
api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_sha256", CHAR(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

#: Login sessions, checked on every request: the cookie carries a random token,
#: only its SHA-256 is stored (``id``). Logout, a password change, a lock and an
#: administrator's revocation set ``revoked_at``; rows are kept until they expire.
user_session = Table(
    "user_session",
    metadata,
    Column("id", CHAR(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_reason", String(16), nullable=True),
    Column("ip", String(45), nullable=True),
    Column("user_agent", String(200), nullable=True),
)

#: Every write: who, when, what, before → after (JSON text).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_id", Integer, nullable=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
)

# ---------------------------------------------------------------- reporting workflow
# (issue 4: 填报 → 上报 → 审核/退回 → 汇总; the state machine is jieneng.core.reporting)

PERIOD_KINDS: tuple[str, ...] = ("monthly", "annual")
TASK_STATES: tuple[str, ...] = (
    "not_started", "in_progress", "submitted", "dept_approved", "region_approved", "approved",
    "returned",
)

#: A reporting period opened by a supervising office for its subtree: 月报 of a
#: month or 年报 of a year (``month`` 0), with a deadline and whether the competent
#: departments review before the office.
reporting_period = Table(
    "reporting_period",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("department_step", Boolean, nullable=False, server_default=text("false")),
    #: 区县初审: the county office reviews before the period's office (migration 0007)
    Column("region_step", Boolean, nullable=False, server_default=text("false")),
    Column("opened_by", Integer, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in_list("kind", PERIOD_KINDS), name="kind"),
    CheckConstraint("(kind = 'annual' AND month = 0) OR (kind = 'monthly' AND month BETWEEN 1 "
                    "AND 12)", name="month"),
    UniqueConstraint("region_code", "kind", "year", "month"),
)

#: One institution's report for a period. ``version`` is the optimistic lock: every
#: change sets ``version = version + 1 WHERE version = <read>``.
reporting_task = Table(
    "reporting_task",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period_id", Integer, ForeignKey("reporting_period.id"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False,
           index=True),
    Column("state", String(16), nullable=False, server_default=text("'not_started'")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(_in_list("state", TASK_STATES), name="state"),
    UniqueConstraint("period_id", "institution_id"),
    Index("ix_reporting_task_period_id_state", "period_id", "state"),
)

#: Every move of a task: who, when, from → to, why.
task_transition = Table(
    "task_transition",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("reporting_task.id"), nullable=False, index=True),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor_user_id", Integer, nullable=True),
    Column("actor_role", String(24), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=True),
)

#: A reviewer's question on one figure of a task, answered in place by the 统计员.
figure_question = Table(
    "figure_question",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("reporting_task.id"), nullable=False, index=True),
    Column("month", SmallInteger, nullable=False),
    Column("carrier", String(24), nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_by", Integer, nullable=True),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_by", Integer, nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
)

# ---------------------------------------------------------------- data quality

FINDING_STATES: tuple[str, ...] = ("open", "explained", "resolved")

#: Data-quality findings (rules: jieneng.core.quality). ``month`` 0 = the year or
#: the institution as a whole; ``carrier`` '' = total energy or no carrier. One
#: finding per (institution, year, month, carrier, rule): re-running the rules
#: replaces the open ones and keeps an explanation while the finding still holds.
quality_finding = Table(
    "quality_finding",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("carrier", String(24), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("value", Double, nullable=True),
    Column("expected", Double, nullable=True),
    Column("suggested", Double, nullable=True),
    Column("params", Text, nullable=True),
    Column("state", String(12), nullable=False, server_default=text("'open'")),
    Column("explanation", Text, nullable=True),
    Column("explained_by", Integer, nullable=True),
    Column("explained_at", DateTime(timezone=True), nullable=True),
    Column("found_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in_list("state", FINDING_STATES), name="state"),
    UniqueConstraint("institution_id", "year", "month", "carrier", "rule"),
    Index("ix_quality_finding_rule_year", "rule", "year"),
)

#: A region's override of a rule (enable, severity, parameters as JSON); a region
#: inherits its ancestors' overrides (jieneng.core.quality.config.effective_config).
rule_setting = Table(
    "rule_setting",
    metadata,
    Column("region_code", CHAR(6), ForeignKey("region.code"), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("settings", Text, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Reference unit prices per province and carrier [元 per canonical unit], data the
#: office maintains, with its source.
reference_price = Table(
    "reference_price",
    metadata,
    Column("province_code", CHAR(6), primary_key=True),
    Column("carrier", String(24), primary_key=True),
    Column("low", Double, nullable=False),
    Column("high", Double, nullable=False),
    Column("source", Text, nullable=False),
    CheckConstraint("low >= 0 AND high >= low", name="range"),
)

# ---------------------------------------------------------------- notifications

#: In-app notifications (reminders, returns, alerts) of a user.
notification = Table(
    "notification",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
)

#: Where a region's reminders go besides the app: e-mail (``target`` an address)
#: or a group robot webhook (WeCom / DingTalk / Feishu; ``target`` its URL).
notify_channel = Table(
    "notify_channel",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("target", String(500), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("kind IN ('email', 'wecom', 'dingtalk', 'feishu', 'webhook')",
                    name="kind"),
)

#: The outbox of channel messages (e-mail, robots): written in the transaction that
#: decides to notify, delivered after the commit (services.notifications.outbox) with
#: retries; ``status`` pending / sending / sent / failed / skipped, ``error`` every
#: failed attempt's; ``ref`` (JSON) names what to record the outcome on (reminder_log
#: rows, alert events). ``channel_id`` has no foreign key: a channel deleted meanwhile
#: makes the delivery ``skipped``.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500), nullable=True),
    Column("status", String(8), nullable=False),
    Column("attempts", SmallInteger, nullable=False, server_default=text("0")),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Column("error", Text, nullable=True),
    Column("ref", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
    Index("ix_notify_outbox_status_next_at", "status", "next_at"),
)

#: Every reminder sent, once per (task, day, channel): the key that prevents a
#: second one the same day; ``status`` sent / failed with the error.
reminder_log = Table(
    "reminder_log",
    metadata,
    Column("task_id", Integer, ForeignKey("reporting_task.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("channel", String(40), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("attempts", SmallInteger, nullable=False, server_default=text("1")),
    Column("error", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

# ---------------------------------------------------------------- spot checks (抽查)

#: A reproducible random sample of approved reports of a region and year
#: (``seed``, ``share``, stratified by category).
spot_check = Table(
    "spot_check",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("share", Double, nullable=False),
    Column("tolerance", Double, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One sampled institution and, once verified on site, each carrier's reported
#: and verified annual quantity [canonical unit].
spot_check_item = Table(
    "spot_check_item",
    metadata,
    Column("spot_check_id", Integer, ForeignKey("spot_check.id"), primary_key=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("carrier", String(24), primary_key=True),
    Column("category", String(3), nullable=False),
    Column("reported", Double, nullable=True),
    Column("verified", Double, nullable=True),
    Column("verified_by", Integer, nullable=True),
    Column("verified_at", DateTime(timezone=True), nullable=True),
)

# ---------------------------------------------------------------- targets, quotas, alerts
# (issue 5: 双控目标、定额管理、超限额预警; rules in jieneng.core.targets)

TARGET_METRICS: tuple[str, ...] = (
    "energy_tce", "water_m3", "co2_t",                     # caps (总量上限)
    "energy_per_capita_kgce", "energy_per_area_kgce_m2",   # reductions vs a base year [%]
    "water_per_capita_m3", "co2_per_area_kg_m2",
)

#: A target of a region (``institution_id`` null) or an institution for a year:
#: a cap (``kind`` 'cap', ``value`` in the metric's unit) or a reduction against
#: ``base_year`` (``kind`` 'reduction', ``value`` a fraction, 0.011 = −1.1 %).
#: ``parent_id`` links a decomposed cap to the cap it came from.
target = Table(
    "target",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=True),
    Column("year", SmallInteger, nullable=False),
    Column("metric", String(32), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("value", Double, nullable=False),
    Column("base_year", SmallInteger, nullable=True),
    Column("source", String(12), nullable=False),
    Column("parent_id", Integer, nullable=True),
    Column("set_by", Integer, nullable=True),
    Column("set_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in_list("metric", TARGET_METRICS), name="metric"),
    CheckConstraint("kind IN ('cap', 'reduction')", name="kind"),
    CheckConstraint("source IN ('manual', 'import', 'decomposed')", name="source"),
    Index("ix_target_year_region_code", "year", "region_code"),
)

#: A quota standard (定额标准) as published: code, title and where the figures came from.
quota_standard = Table(
    "quota_standard",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("source", Text, nullable=False),
)

#: One quota row of a standard: indicator, institution type (category code),
#: climate zone or sub-zone ('' when the standard has none), 约束值 / 基准值 / 引导值.
quota = Table(
    "quota",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("standard_id", Integer, ForeignKey("quota_standard.id"), nullable=False),
    Column("indicator", String(40), nullable=False),
    Column("institution_type", String(60), nullable=False),
    Column("climate_zone", String(20), nullable=False),
    Column("constraint_value", Double, nullable=False),
    Column("benchmark_value", Double, nullable=False),
    Column("guide_value", Double, nullable=False),
    Column("unit", String(24), nullable=False),
    CheckConstraint("constraint_value >= benchmark_value AND benchmark_value >= guide_value "
                    "AND guide_value >= 0", name="levels"),
    UniqueConstraint("standard_id", "indicator", "institution_type", "climate_zone"),
)

#: Which quota applies to the institutions of a category in a region (subtree).
quota_assignment = Table(
    "quota_assignment",
    metadata,
    Column("quota_id", Integer, ForeignKey("quota.id"), primary_key=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), primary_key=True),
    Column("category", String(3), primary_key=True),
)

ALERT_LEVELS: tuple[str, ...] = ("notice", "warning", "over")

#: An early warning (提示 / 预警 / 超限) on a target or a quota for an institution
#: or region and year; one open alert per subject, raised or closed as figures
#: arrive; ``escalated_at`` once pushed to the supervising level.
alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(40), nullable=False),
    Column("region_code", CHAR(6), nullable=False),
    Column("institution_id", Integer, nullable=True),
    Column("year", SmallInteger, nullable=False),
    Column("level", String(8), nullable=False),
    Column("state", String(12), nullable=False, server_default=text("'open'")),
    Column("actual", Double, nullable=True),
    Column("projected", Double, nullable=True),
    Column("limit_value", Double, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("acknowledged_by", Integer, nullable=True),
    Column("escalated_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(_in_list("level", ALERT_LEVELS), name="level"),
    CheckConstraint("state IN ('open', 'acknowledged', 'closed')", name="state"),
    Index("ix_alert_subject_year_state", "subject", "year", "state"),
    Index("ix_alert_institution_id", "institution_id"),
)

#: What happened to an alert: opened, raised, delivered / failed per channel,
#: escalated, acknowledged, closed.
alert_event = Table(
    "alert_event",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alert.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(16), nullable=False),
    Column("channel", String(40), nullable=True),
    Column("detail", Text, nullable=True),
)

__all__ = [
    "ALERT_LEVELS",
    "FINDING_STATES",
    "INSTITUTION_CATEGORIES",
    "NAMING_CONVENTION",
    "PERIOD_KINDS",
    "ROLES",
    "SOURCES",
    "TARGET_METRICS",
    "TASK_STATES",
    "alert",
    "alert_event",
    "api_token",
    "app_user",
    "audit_log",
    "consumption_group_month",
    "consumption_group_year",
    "consumption_month",
    "consumption_record",
    "consumption_year",
    "cost_column",
    "figure_question",
    "import_batch",
    "institution",
    "institution_group",
    "institution_profile",
    "meta",
    "metadata",
    "notification",
    "notify_channel",
    "quality_finding",
    "quantity_column",
    "quota",
    "quota_assignment",
    "quota_standard",
    "reference_price",
    "region",
    "reminder_log",
    "reporting_period",
    "reporting_task",
    "rule_setting",
    "spot_check",
    "spot_check_item",
    "target",
    "task_transition",
    "user_session",
]
