"""Assessment sheets, versioned: load a sheet file (the scheme spreadsheet format, with
the parameter ``subject``), store the shipped ones on first use, list, show.

A load is all or nothing: the file's problems name sheet, row and column
(:func:`jieneng.ingest.campaign_schemes.parse_scheme`, then
:func:`jieneng.core.assessments.check_sheet`); a file identical to the newest version
of its code stores nothing. Writing needs ``manage_assessments``; reading is free
(sheets are reference data, like schemes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.assessments import (
    SHIPPED_SHEETS,
    Sheet,
    check_sheet,
    sheet_of_text,
    shipped_sheet_text,
)
from jieneng.core.caller import User
from jieneng.core.campaigns.scheme import COLUMNS
from jieneng.core.campaigns.shipped import rows_of, to_csv
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.ingest.campaign_schemes import parse_scheme
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import scoped_filters
from jieneng.storage import assessments as store
from jieneng.storage import regions


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_sheet(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
               region_code: str | None = None, max_bytes: int | None = None
               ) -> dict[str, Any]:
    """Load the sheet file at ``path`` as the next version of its code, recorded as the
    local sheet of ``region_code`` (default: the caller's region; none for the platform
    administrator), which must lie inside the caller's scope."""
    require(user, Capability.MANAGE_ASSESSMENTS)
    parsed = parse_scheme(path) if max_bytes is None else parse_scheme(path, max_bytes=max_bytes)
    if not parsed.ok:
        raise parsed.rejection()
    assert parsed.scheme is not None
    sheet = check_sheet(rows_of(parsed.canonical), name=parsed.file)
    region = region_code or (None if user.is_admin else user.region_code)
    out = {"file": parsed.file, "code": sheet.code, "subject": sheet.subject,
           "items": len(sheet.scheme.items), "total": sheet.scheme.total,
           "region_code": region, "dry_run": dry_run, "unchanged": False, "version": None}
    with engine.begin() as conn:
        if region is not None:
            scoped_filters(conn, user.scope, region_code=region)
        if dry_run:
            return out
        stored = _store(conn, sheet, parsed.canonical, origin="local", user=user,
                        file_name=parsed.file, region_code=region)
    return {**out, **stored}


def _store(conn: Connection, sheet: Sheet, text: str, *, origin: str, user: User | None,
           file_name: str | None, region_code: str | None = None) -> dict[str, Any]:
    digest = _sha(text)
    latest = store.latest_sheet(conn, sheet.code)
    if latest is not None and latest.sha256.strip() == digest:
        return {"version": int(latest.version), "id": int(latest.id), "unchanged": True}
    by = user.username if user is not None else "system"
    made = store.add_sheet(conn, code=sheet.code, subject=sheet.subject, origin=origin,
                           region_code=region_code, name_zh=sheet.scheme.name_zh,
                           name_en=sheet.scheme.name_en, total=sheet.scheme.total,
                           content=text, sha256=digest, file_name=file_name, created_by=by)
    if user is not None:
        audit.record(conn, user.actor, "assessments.sheet_load", "assessment_sheet_version",
                     made["id"], after={"code": sheet.code, "version": made["version"],
                                        "file": file_name, "sha256": digest})
    return {**made, "unchanged": False}


def ensure_shipped(conn: Connection, code: str) -> None:
    """Store the shipped sheet ``code`` when no version of it is stored yet."""
    if code in SHIPPED_SHEETS and store.latest_sheet(conn, code) is None:
        text = shipped_sheet_text(code)
        _store(conn, sheet_of_text(text, name=code), text, origin="shipped", user=None,
               file_name=f"{code}.csv")


def list_sheets(db: Reader) -> list[dict[str, Any]]:
    """Every stored version (newest first per code), then the shipped sheets not stored
    yet (``version`` None)."""
    with reading(db) as conn:
        stored = store.sheets(conn)
    out = [{**v, "stored": True, "created_at": v["created_at"].isoformat()} for v in stored]
    have = {v["code"] for v in stored}
    for code in SHIPPED_SHEETS:
        if code not in have:
            s = sheet_of_text(shipped_sheet_text(code), name=code)
            out.append({"code": code, "id": None, "version": None, "origin": "shipped",
                        "subject": s.subject, "region_code": None, "name_zh": s.scheme.name_zh,
                        "name_en": s.scheme.name_en, "total": s.scheme.total,
                        "stored": False})
    return out


def stored_sheet(conn: Connection, version_id: int) -> tuple[Sheet, Any]:
    row = store.sheet(conn, version_id)
    if row is None:
        raise NotFound.of("assessment_sheet_not_found", code=str(version_id))
    return sheet_of_text(row.content, name=f"{row.code} v{row.version}"), row


def get_sheet(db: Reader, code: str, version: int | None = None) -> dict[str, Any]:
    """The sheet as the show command and the API give it."""
    with reading(db) as conn:
        row = store.sheet_by_code(conn, code, version)
    record: dict[str, Any]
    if row is None:
        if version is not None or code not in SHIPPED_SHEETS:
            raise NotFound.of("assessment_sheet_not_found", code=code)
        text, record = shipped_sheet_text(code), {"version": None, "origin": "shipped"}
    else:
        text, record = row.content, {"version": int(row.version), "origin": row.origin,
                                     "id": int(row.id)}
    sheet = sheet_of_text(text, name=code)
    s = sheet.scheme
    return {**record, "code": s.code, "subject": sheet.subject, "name_zh": s.name_zh,
            "name_en": s.name_en, "total": s.total, "source": s.source,
            "status": s.status.value, "note": s.note, "params": dict(s.params),
            "rows": [{c: r.get(c) or "" for c in COLUMNS} for r in rows_of(text)
                     if (r.get("kind") or "") not in ("param", "")]}


def template_csv() -> bytes:
    """The shipped region sheet as an example file (UTF-8 with BOM)."""
    text = shipped_sheet_text("county_energy")
    return ("\ufeff" + to_csv([{c: r.get(c) or "" for c in COLUMNS}
                               for r in rows_of(text)])).encode("utf-8")


def has_children(db: Reader, region_code: str) -> bool:
    """Whether ``region_code`` has child regions (the open form's default sheet)."""
    with reading(db) as conn:
        return bool(RegionTree(regions.load_regions(conn)).children.get(region_code))
