"""Importing regions, institutions, profiles and consumption from files.

Every import validates the whole file first and is all-or-nothing: a file with
any error-level issue raises :class:`ImportRejected` (carrying every issue) and
stores nothing; a clean file is stored in one transaction together with the
original bytes and their SHA-256 (``import_batch``), to which every stored row
links. ``dry_run`` validates only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.exceptions import ImportRejected, ValidationFailed
from jieneng.ingest import (
    Parsed,
    parse_consumption,
    parse_institutions,
    parse_profiles,
    parse_regions,
)
from jieneng.ingest.issues import ImportIssue, headline
from jieneng.services import audit, quality, reporting
from jieneng.services.audit import Actor
from jieneng.storage import batches, consumption, institutions, regions


class ImportKind(StrEnum):
    REGIONS = "regions"
    INSTITUTIONS = "institutions"
    PROFILES = "profiles"
    CONSUMPTION = "consumption"


@dataclass
class ImportReport:
    """What an import did (or would do, with ``dry_run``)."""

    kind: str
    file: str
    format: str
    rows_read: int
    records: int
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[ImportIssue] = field(default_factory=list)
    batch_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = [w.to_dict() for w in self.warnings]
        return data


Progress = Callable[[str], None]


def no_progress(_stage: str) -> None:
    return None


def import_file(
    engine: Engine,
    kind: ImportKind | str,
    path: Path,
    *,
    dry_run: bool = False,
    max_bytes: int = 50 * 1024 * 1024,
    source: str = "file",
    progress: Progress = no_progress,
    actor: Actor | None = None,
) -> ImportReport:
    """Validate ``path`` as ``kind`` and, unless ``dry_run``, store it atomically.

    A stored import is written to the audit log in the same transaction (``actor``,
    default the command line): file, SHA-256 batch and counts.

    Raises :class:`ImportRejected` with every issue when the file has errors.
    """
    kind = ImportKind(kind)
    _check_size(path, max_bytes)
    # a dry run only reads: it does not take the write lock (SQLite: BEGIN IMMEDIATE)
    with engine.connect() if dry_run else engine.begin() as conn:
        progress("validate")
        parsed = _parse(conn, kind, path, max_bytes)
        if parsed.errors:
            raise ImportRejected(*headline(path.name, parsed.errors), parsed.errors)
        if kind is ImportKind.CONSUMPTION and parsed.frame.height:
            # figures of a submitted or approved report are locked: one query joins
            # the file's institution-months with the reporting tasks
            reporting.check_unlocked(conn, parsed.frame.select("institution_id", "year", "month"))
        report = ImportReport(
            kind=kind.value,
            file=path.name,
            format=parsed.format,
            rows_read=parsed.rows_read,
            records=parsed.frame.height,
            dry_run=dry_run,
            warnings=list(parsed.warnings),
        )
        if dry_run:
            return report
        progress("store")
        report.batch_id = batches.store_batch(
            conn, kind=kind.value, file_name=path.name, content=path.read_bytes(),
            rows=parsed.rows_read,
        )
        report.counts = _store(conn, kind, parsed, report.batch_id, source)
        if kind is ImportKind.CONSUMPTION and parsed.frame.height:
            reporting.note_saved(conn, actor)
        audit.record(
            conn, actor or Actor.cli(), f"import.{kind.value}", "import_batch",
            report.batch_id, after={"file": path.name, "rows": parsed.rows_read,
                                    "records": parsed.frame.height, **report.counts},
        )
    return report


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationFailed(
            f"文件 {path.name} 大小 {size} 字节，超过上限 {max_bytes} 字节",
            f"{path.name} is {size} bytes, over the limit of {max_bytes} bytes",
        )


def _parse(conn: Connection, kind: ImportKind, path: Path, max_bytes: int) -> Parsed:
    if kind is ImportKind.REGIONS:
        known = {r.code for r in regions.load_regions(conn)}
        return parse_regions(path, known_regions=known, max_bytes=max_bytes)
    lookup = institutions.institution_lookup(conn)
    if kind is ImportKind.INSTITUTIONS:
        known = {r.code for r in regions.load_regions(conn)}
        return parse_institutions(path, known_regions=known, existing=lookup, max_bytes=max_bytes)
    if kind is ImportKind.PROFILES:
        return parse_profiles(path, institutions=lookup, max_bytes=max_bytes)
    return parse_consumption(path, institutions=lookup, max_bytes=max_bytes)


def _store(
    conn: Connection, kind: ImportKind, parsed: Parsed, batch_id: int, source: str
) -> dict[str, int]:
    if kind is ImportKind.REGIONS:
        return asdict(regions.upsert_regions(conn, parsed.frame))
    if kind is ImportKind.INSTITUTIONS:
        return asdict(institutions.upsert_institutions(conn, parsed.frame, import_id=batch_id))
    if kind is ImportKind.PROFILES:
        return asdict(institutions.upsert_profiles(conn, parsed.frame, import_id=batch_id))
    counts = consumption.write_consumption(conn, parsed.frame, source=source, import_id=batch_id)
    quality.check_written(conn, parsed.frame)  # data-quality findings of what was written
    return asdict(counts)
