"""Evaluation schemes, versioned (issue 14 §2): load a local variant from a spreadsheet,
install the shipped ones, list them, show one version.

- :func:`load_scheme` — a scheme file (:func:`jieneng.ingest.campaign_schemes.parse_scheme`)
  becomes the next version of its code, all or nothing (ImportRejected with every
  issue), dry run, the file kept as an import batch, audited. A file identical to the
  newest version for the same region stores nothing (``unchanged``).
- :func:`install_shipped` — the schemes of ``jieneng/data/campaigns`` as versions for
  everywhere (``origin = shipped``), each only when it differs from its newest shipped
  version.
- :func:`list_schemes`, :func:`get_scheme`, :func:`scheme_version` — reads (schemes are
  reference data: no capability, no scope); a shipped scheme not yet stored is listed
  and shown from the package.

Writing needs ``manage_schemes``: an administrator for any region or for everywhere, a
管理机构管理员 for its own region or one below it (a local variant).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.scheme import Scheme
from jieneng.core.campaigns.shipped import SHIPPED, rows_of, shipped, shipped_text
from jieneng.core.campaigns.validate import check_scheme
from jieneng.core.exceptions import NotFound, NotPermitted
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.ingest.campaign_schemes import SchemeFile, parse_scheme
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.storage import batches, regions
from jieneng.storage import campaigns as store


@dataclass(frozen=True)
class SchemeLoad:
    """What a load stored (or, dry run / unchanged, would have)."""

    file: str
    code: str
    version: int | None
    items: int
    total: float
    region_code: str | None
    dry_run: bool
    unchanged: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "code": self.code, "version": self.version,
                "items": self.items, "total": self.total, "region_code": self.region_code,
                "dry_run": self.dry_run, "unchanged": self.unchanged}


def load_scheme(engine: Engine, user: User, path: Path, *, region_code: str | None = None,
                dry_run: bool = False, max_bytes: int | None = None) -> SchemeLoad:
    """Load the scheme file at ``path`` as the next version of its code (for
    ``region_code``; a 管理机构管理员's default: its own region)."""
    require(user, Capability.MANAGE_SCHEMES)
    parsed = parse_scheme(path) if max_bytes is None else parse_scheme(path,
                                                                       max_bytes=max_bytes)
    if not parsed.ok:
        raise parsed.rejection()
    assert parsed.scheme is not None
    region = region_code or (None if user.is_admin else user.region_code)
    if dry_run:
        with engine.connect() as conn:
            _check_region(conn, user, region)
            return _result(parsed, region, None, dry_run=True, unchanged=False)
    with engine.begin() as conn:
        _check_region(conn, user, region)
        latest = store.latest_version(conn, parsed.scheme.code, region)
        if latest is not None and latest.sha256.strip() == parsed.sha256:
            return _result(parsed, region, int(latest.version), dry_run=False, unchanged=True)
        batch = batches.store_batch(conn, kind="campaign_scheme", file_name=parsed.file,
                                    content=path.read_bytes(), rows=parsed.rows_read)
        made = store.add_version(conn, parsed.scheme, content=parsed.canonical,
                                 sha256=parsed.sha256, origin="local", region_code=region,
                                 created_by=user.username, file_name=parsed.file,
                                 import_id=batch)
        audit.record(conn, user.actor, "campaigns.scheme_load", "campaign_scheme_version",
                     made["id"], after={"code": parsed.scheme.code, "version": made["version"],
                                        "region_code": region, "file": parsed.file,
                                        "sha256": parsed.sha256})
    return _result(parsed, region, made["version"], dry_run=False, unchanged=False)


def _result(parsed: SchemeFile, region: str | None, version: int | None, *, dry_run: bool,
            unchanged: bool) -> SchemeLoad:
    scheme = parsed.scheme
    assert scheme is not None
    return SchemeLoad(parsed.file, scheme.code, version, len(scheme.items), scheme.total,
                      region, dry_run, unchanged)


def _check_region(conn: Connection, user: User, region: str | None) -> None:
    """An administrator loads for anywhere; an account manager for its own subtree."""
    if user.is_admin and region is None:
        return
    tree = RegionTree(regions.load_regions(conn))
    if region is None or region not in tree:
        if region is not None:
            raise NotFound.of("campaign_region_not_found", region=region)
        raise NotPermitted.of("campaign_scheme_region_outside", region="—")
    if not user.is_admin and (user.region_code is None
                              or user.region_code not in tree.lineage(region)):
        raise NotPermitted.of("campaign_scheme_region_outside", region=region)


def install_shipped(engine: Engine, user: User) -> dict[str, int]:
    """Store every shipped scheme that differs from its newest shipped version
    (administrators: they are versions for everywhere)."""
    require(user, Capability.MANAGE_SCHEMES)
    if not user.is_admin:
        raise NotPermitted.of("campaign_scheme_region_outside", region="—")
    added = unchanged = 0
    with engine.begin() as conn:
        for code in SHIPPED:
            text = shipped_text(code)
            scheme = shipped(code)
            digest = _sha(text)
            latest = store.latest_version(conn, code, None)
            if latest is not None and latest.sha256.strip() == digest:
                unchanged += 1
                continue
            made = store.add_version(conn, scheme, content=text, sha256=digest,
                                     origin="shipped", region_code=None,
                                     created_by=user.username, file_name=f"{code}.csv")
            audit.record(conn, user.actor, "campaigns.scheme_install",
                         "campaign_scheme_version", made["id"],
                         after={"code": code, "version": made["version"]})
            added += 1
    return {"added": added, "unchanged": unchanged}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- reads

def list_schemes(db: Reader) -> list[dict[str, Any]]:
    """Every stored version, then each shipped scheme not stored yet (``version``
    None, ``stored`` False)."""
    with reading(db) as conn:
        stored = store.versions(conn)
    out = [{**v, "stored": True} for v in stored]
    have = {v["code"] for v in stored}
    for code in SHIPPED:
        if code not in have:
            s = shipped(code)
            out.append({"code": code, "id": None, "version": None, "origin": "shipped",
                        "region_code": None, "name_zh": s.name_zh, "name_en": s.name_en,
                        "total": s.total, "status": s.status.value, "stored": False})
    return out


def scheme_version(db: Reader, code: str, version: int | None = None) -> tuple[Scheme,
                                                                               dict[str, Any]]:
    """The scheme ``code`` at ``version`` (None: the newest stored, else the shipped
    one) and its version record; NotFound when neither exists."""
    with reading(db) as conn:
        row = store.version_row(conn, code, version)
    if row is None:
        if version is not None or code not in SHIPPED:
            if version is not None:
                raise NotFound.of("campaign_scheme_version_not_found", code=code,
                                  version=version)
            raise NotFound.of("campaign_scheme_not_found", code=code)
        return shipped(code), {"id": None, "version": None, "origin": "shipped",
                               "region_code": None, "stored": False}
    scheme = check_scheme(rows_of(row.content), name=f"{code} v{row.version}")
    return scheme, {"id": int(row.id), "version": int(row.version), "origin": row.origin,
                    "region_code": row.region_code.strip() if row.region_code else None,
                    "stored": True, "created_by": row.created_by,
                    "created_at": row.created_at.isoformat()}


def get_scheme(db: Reader, code: str, version: int | None = None) -> dict[str, Any]:
    """The scheme as the show command and the API give it: header, parameters, the
    tree with bands, pass rules and grades."""
    scheme, record = scheme_version(db, code, version)
    return {**record, "code": scheme.code, "name_zh": scheme.name_zh,
            "name_en": scheme.name_en, "total": scheme.total, "source": scheme.source,
            "status": scheme.status.value, "note": scheme.note, "params": dict(scheme.params),
            "nodes": [_node(n) for n in scheme.nodes],
            "pass_rules": [{"kind": p.kind.value, "target": p.target, "value": p.value,
                            "status": p.status.value} for p in scheme.pass_rules],
            "grades": [{"code": g.code, "name_zh": g.name_zh, "name_en": g.name_en,
                        "lower": g.lower} for g in scheme.grades]}


def _node(n: Any) -> dict[str, Any]:
    return {"code": n.code, "parent": n.parent, "block": n.is_block, "name_zh": n.name_zh,
            "name_en": n.name_en, "points": n.points,
            "rule": n.rule.value if n.rule else None, "measure": n.measure,
            "basis": n.basis.value, "compare": n.compare, "veto": n.veto,
            "full_if": n.full_if, "applies": n.applies, "evidence": n.evidence,
            "source": n.source, "status": n.status.value, "note": n.note,
            "bands": [{"lower": b.lower, "upper": b.upper, "points": b.points}
                      for b in n.bands]}
