"""Energy-saving projects (issue 13 §1–§2): the registry, owners, boundary, measures,
contract, lifecycle events and documents. Migration ``0016_projects`` creates them.

- ``project`` — one project: unique ``code``, type/subtype/IPMVP option (codes of
  :mod:`jieneng.core.projects.types`), the region it is counted in, its lifecycle
  ``state`` (:mod:`jieneng.core.projects.lifecycle`), ESCO, funding, the figures the
  notices count (area retrofitted m², PV kWp, heat pumps and their kW, investment 元,
  expected savings tce and 元), planned dates and the ``year`` it counts toward;
- ``project_owner`` — the owner institutions (one, or many for a packaged "小散"
  project);
- ``project_boundary`` — what the project covers: a bound utility account, a meter, a
  building or a system (described), each of one owner institution;
- ``project_measure`` — measures (节能措施) with investment and expected savings (per
  carrier in its canonical unit, tce, 元);
- ``project_contract`` — the contract (one per project): term, base period, price
  mode, sharing ratio, guarantee, fee base, O&M scope, carbon rights, asset hand-over,
  the local rule set checked on entry and the check's result (JSON);
- ``project_event`` — every lifecycle move: from, to, who, when, why;
- ``project_document`` — documents (content in the row, size-limited by the upload
  limit, like ``import_batch``).

Here only the tables and set-based reads/writes; the rules are the services'
(:mod:`jieneng.services.projects`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.types import CHAR

from jieneng.core.projects.lifecycle import STATES
from jieneng.core.projects.types import IPMVP_OPTIONS, PROJECT_TYPES, SUBTYPES

from .tables import Double, metadata

BOUNDARY_KINDS: tuple[str, ...] = ("account", "meter", "building", "system")
PRICE_MODES: tuple[str, ...] = ("base_year", "pass_through")
CARBON_OWNERS: tuple[str, ...] = ("owner", "esco", "shared")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


project = Table(
    "project",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("subtype", String(24), nullable=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("esco_name", String(200), nullable=True),
    Column("esco_credit_code", String(18), nullable=True),
    Column("funding_source", String(100), nullable=True),
    Column("ipmvp_option", String(1), nullable=True),
    Column("area_m2", Double, nullable=True),
    Column("pv_kwp", Double, nullable=True),
    Column("heat_pumps", Integer, nullable=True),
    Column("heat_pump_kw", Double, nullable=True),
    Column("investment_yuan", Double, nullable=True),
    Column("expected_tce", Double, nullable=True),
    Column("expected_yuan", Double, nullable=True),
    Column("year", SmallInteger, nullable=False),
    Column("planned_start", Date, nullable=True),
    Column("planned_end", Date, nullable=True),
    Column("description", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint(_in("type", PROJECT_TYPES), name="type"),
    CheckConstraint(f"subtype IS NULL OR {_in('subtype', SUBTYPES)}", name="subtype"),
    CheckConstraint(_in("state", STATES), name="state"),
    CheckConstraint(f"ipmvp_option IS NULL OR {_in('ipmvp_option', IPMVP_OPTIONS)}",
                    name="ipmvp"),
    Index("ix_project_year_type", "year", "type"),
)

project_owner = Table(
    "project_owner",
    metadata,
    Column("project_id", Integer, ForeignKey("project.id"), primary_key=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True,
           index=True),
    Column("position", SmallInteger, nullable=False),
)

project_boundary = Table(
    "project_boundary",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("metering_account.id"), nullable=True,
           index=True),
    Column("meter_id", Integer, ForeignKey("metering_meter.id"), nullable=True, index=True),
    Column("description", Text, nullable=True),
    Column("area_m2", Double, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("project_id", "account_id"),
    UniqueConstraint("project_id", "meter_id"),
    CheckConstraint(_in("kind", BOUNDARY_KINDS), name="kind"),
    CheckConstraint("(kind = 'account' AND account_id IS NOT NULL AND meter_id IS NULL) "
                    "OR (kind = 'meter' AND meter_id IS NOT NULL AND account_id IS NULL) "
                    "OR (kind IN ('building', 'system') AND account_id IS NULL "
                    "AND meter_id IS NULL AND description IS NOT NULL)", name="target"),
)

project_measure = Table(
    "project_measure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("carrier", String(32), nullable=True),
    Column("investment_yuan", Double, nullable=True),
    Column("expected_saving", Double, nullable=True),
    Column("expected_tce", Double, nullable=True),
    Column("expected_yuan", Double, nullable=True),
)

project_contract = Table(
    "project_contract",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, unique=True),
    Column("number", String(64), nullable=True),
    Column("signed_on", Date, nullable=True),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("base_start", Date, nullable=False),
    Column("base_end", Date, nullable=False),
    Column("price_mode", String(16), nullable=True),
    Column("sharing_ratio", Double, nullable=True),
    Column("guaranteed_rate", Double, nullable=True),
    Column("guaranteed_tce", Double, nullable=True),
    Column("fee_base_yuan", Double, nullable=True),
    Column("ceiling_yuan", Double, nullable=True),
    Column("om_scope", Text, nullable=True),
    Column("carbon_rights", String(8), nullable=True),
    Column("asset_handover", Text, nullable=True),
    Column("heating_by_area", SmallInteger, nullable=True),
    Column("rule_set", String(32), nullable=True),
    Column("check_result", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("term_end > term_start", name="term"),
    CheckConstraint("base_end > base_start", name="base"),
    CheckConstraint(f"price_mode IS NULL OR {_in('price_mode', PRICE_MODES)}",
                    name="price_mode"),
    CheckConstraint(f"carbon_rights IS NULL OR {_in('carbon_rights', CARBON_OWNERS)}",
                    name="carbon_rights"),
)

project_event = Table(
    "project_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("reason", Text, nullable=True),
    Index("ix_project_event_project_id_at", "project_id", "at"),
)

project_document = Table(
    "project_document",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(100), nullable=True),
    Column("sha256", CHAR(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
)
