"""Campaign and evaluation schemes, versioned (issue 14 §2).

- ``campaign_scheme`` — a scheme by its ``code`` (``demonstration_unit`` …) and names;
- ``campaign_scheme_version`` — every load of a scheme is a new version, numbered 1, 2 …
  per scheme; ``origin`` ``shipped`` (from ``jieneng/data/campaigns``) or ``local`` (an
  administrator's spreadsheet), ``region_code`` the region a local variant is for (NULL:
  everywhere), the stated total, status and source, and ``content`` — the scheme as
  canonical CSV (:func:`jieneng.core.campaigns.shipped.to_csv`; what
  :func:`jieneng.core.campaigns.validate.check_scheme` reads back) with its ``sha256``.
  A version is never changed: rounds (later) reference one by id;
- ``campaign_scheme_item`` — the blocks and items of a version (code, parent, names,
  points, rule, measure, ★), for queries and for rounds to reference.

The only writer is :mod:`jieneng.services.campaigns.schemes`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)

from jieneng.core.campaigns.scheme import Scheme

from .tables import Double, metadata

ORIGINS: tuple[str, ...] = ("shipped", "local")

campaign_scheme = Table(
    "campaign_scheme",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

campaign_scheme_version = Table(
    "campaign_scheme_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scheme_id", Integer, ForeignKey("campaign_scheme.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("origin", String(8), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("total", Double, nullable=False),
    Column("status", String(12), nullable=False),
    Column("source", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("file_name", String(255), nullable=True),
    Column("import_id", Integer, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("scheme_id", "version"),
    CheckConstraint("origin IN ('shipped', 'local')", name="origin"),
    CheckConstraint("version >= 1", name="version"),
)

campaign_scheme_item = Table(
    "campaign_scheme_item",
    metadata,
    Column("version_id", Integer, ForeignKey("campaign_scheme_version.id"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("parent_code", String(64), nullable=True),
    Column("is_block", Boolean, nullable=False),
    Column("name_zh", String(300), nullable=False),
    Column("name_en", String(300), nullable=False),
    Column("points", Double, nullable=False),
    Column("rule", String(12), nullable=True),
    Column("measure", String(64), nullable=True),
    Column("veto", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
)

_s, _v, _i = campaign_scheme, campaign_scheme_version, campaign_scheme_item


def scheme_id(conn: Connection, code: str, name_zh: str, name_en: str) -> int:
    """The id of scheme ``code``, created with its names when new."""
    found = conn.execute(select(_s.c.id).where(_s.c.code == code)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(_s).values(
        code=code, name_zh=name_zh, name_en=name_en, created_at=datetime.now(UTC))
        .returning(_s.c.id)).scalar_one())


def latest_version(conn: Connection, code: str, region_code: str | None = None,
                   ) -> Row[Any] | None:
    """The newest version of ``code`` for ``region_code`` exactly (None: the ones for
    everywhere)."""
    where = (_v.c.region_code.is_(None) if region_code is None
             else _v.c.region_code == region_code)
    return conn.execute(
        select(_v, _s.c.code).join(_s, _s.c.id == _v.c.scheme_id)
        .where(_s.c.code == code, where).order_by(_v.c.version.desc()).limit(1)).first()


def add_version(conn: Connection, scheme: Scheme, *, content: str, sha256: str, origin: str,
                region_code: str | None, created_by: str, file_name: str | None = None,
                import_id: int | None = None) -> dict[str, Any]:
    """Store ``scheme`` as the next version of its code (and its items); returns the
    version's id and number."""
    sid = scheme_id(conn, scheme.code, scheme.name_zh, scheme.name_en)
    number = int(conn.execute(select(func.coalesce(func.max(_v.c.version), 0))
                              .where(_v.c.scheme_id == sid)).scalar_one()) + 1
    vid = int(conn.execute(insert(_v).values(
        scheme_id=sid, version=number, origin=origin, region_code=region_code,
        name_zh=scheme.name_zh, name_en=scheme.name_en, total=scheme.total,
        status=scheme.status.value, source=scheme.source, content=content, sha256=sha256,
        file_name=file_name, import_id=import_id, created_by=created_by,
        created_at=datetime.now(UTC)).returning(_v.c.id)).scalar_one())
    conn.execute(insert(_i), [
        {"version_id": vid, "code": n.code, "position": k, "parent_code": n.parent or None,
         "is_block": n.is_block, "name_zh": n.name_zh, "name_en": n.name_en,
         "points": n.points, "rule": n.rule.value if n.rule else None,
         "measure": n.measure or None, "veto": n.veto, "status": n.status.value}
        for k, n in enumerate(scheme.nodes)])
    return {"id": vid, "version": number}


def versions(conn: Connection, code: str | None = None) -> list[dict[str, Any]]:
    """Every version (of ``code``), by scheme code and version number, without content."""
    query = (select(_s.c.code, _v.c.id, _v.c.version, _v.c.origin, _v.c.region_code,
                    _v.c.name_zh, _v.c.name_en, _v.c.total, _v.c.status, _v.c.sha256,
                    _v.c.file_name, _v.c.created_by, _v.c.created_at)
             .join(_s, _s.c.id == _v.c.scheme_id).order_by(_s.c.code, _v.c.version))
    if code is not None:
        query = query.where(_s.c.code == code)
    return [{"code": r.code, "id": int(r.id), "version": int(r.version), "origin": r.origin,
             "region_code": r.region_code.strip() if r.region_code else None,
             "name_zh": r.name_zh, "name_en": r.name_en, "total": float(r.total),
             "status": r.status, "sha256": r.sha256.strip(), "file_name": r.file_name,
             "created_by": r.created_by, "created_at": r.created_at.isoformat()}
            for r in conn.execute(query)]


def version_row(conn: Connection, code: str, number: int | None = None) -> Row[Any] | None:
    """Version ``number`` of ``code`` (None: the newest of any region), with content."""
    query = (select(_v, _s.c.code).join(_s, _s.c.id == _v.c.scheme_id)
             .where(_s.c.code == code))
    if number is not None:
        return conn.execute(query.where(_v.c.version == number)).first()
    return conn.execute(query.order_by(_v.c.version.desc()).limit(1)).first()


def items(conn: Connection, version_id: int) -> list[dict[str, Any]]:
    """The blocks and items of a version, in file order."""
    return [dict(r._mapping) for r in conn.execute(
        select(_i).where(_i.c.version_id == version_id).order_by(_i.c.position))]
