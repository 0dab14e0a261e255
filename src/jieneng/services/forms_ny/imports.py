"""Importing NY202 / NY203 files, all-or-nothing, as the NY201 import does.

The whole file is validated first (:func:`jieneng.ingest.forms_ny.parse_form`); any
error refuses it with every issue (:class:`ImportRejected`) and stores nothing. A
clean file is stored in one transaction with its bytes (``import_batch``): NY202
rooms not yet known are created, the figures written as revisions
(:func:`jieneng.storage.forms_ny.write_records`), an audit entry. With ``scope`` (the
web upload) a row naming a unit outside it is refused as ``import.out_of_scope``. A
row of a period whose reporting task is submitted or approved refuses the file
(:func:`jieneng.services.workflow.locks.check_unlocked`, as NY201's import), also in
a dry run; a stored file moves the periods' tasks to 录入中.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotPermitted, ValidationFailed
from jieneng.core.scope import Scope, ScopeKind
from jieneng.ingest.forms_ny import KINDS, parse_form
from jieneng.ingest.issue_table import recoded, rejection
from jieneng.ingest.reader import size_text
from jieneng.ingest.result import Parsed
from jieneng.services.accounts import audit
from jieneng.services.entry.imports import ImportReport
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow import locks
from jieneng.storage import batches, institutions
from jieneng.storage import directory as queries
from jieneng.storage import forms_ny as store


def import_form(engine: Engine, kind: str, path: Path, *, dry_run: bool = False,
                actor: Actor | None = None, scope: Scope | None = None,
                max_bytes: int = 50 * 1024 * 1024) -> ImportReport:
    """Validate ``path`` as ``kind`` (``datacentre`` | ``heating``) and, unless
    ``dry_run``, store it atomically; :class:`ImportRejected` with every issue."""
    if kind not in KINDS:
        raise ValidationFailed.of("forms_ny.bad_kind", kind=kind)
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationFailed.of(
            "imports.file_too_large", name=path.name, size=size, max_bytes=max_bytes,
            values={"size_text": size_text(size), "max_text": size_text(max_bytes)})
    if scope is not None and scope.kind is ScopeKind.PUBLIC:
        raise NotPermitted.of("imports.public_access")
    parsed = _parsed(engine, kind, path, scope, max_bytes)
    report = ImportReport(kind=kind, file=path.name, format=parsed.format,
                          rows_read=parsed.rows_read, records=parsed.frame.height,
                          dry_run=dry_run, warnings=list(parsed.warnings))
    keys = parsed.frame.select("institution_id", "year", "month")
    if dry_run:
        if keys.height:
            with engine.connect() as conn:
                locks.check_unlocked(conn, keys)
        return report
    form = KINDS[kind]
    with engine.begin() as conn:
        if keys.height:
            locks.check_unlocked(conn, keys)
        report.batch_id = batches.store_batch(conn, kind=kind, file_name=path.name,
                                              content=path.read_bytes(),
                                              rows=parsed.rows_read)
        frame = parsed.frame
        if form == "NY202":
            frame = store.ensure_rooms(conn, frame)
        report.counts = store.write_records(conn, form, frame, source="file",
                                            import_id=report.batch_id)
        if frame.height:
            locks.note_saved(conn, actor)
        audit.record(conn, actor or Actor.cli(), f"import.{kind}", "import_batch",
                     report.batch_id, after={"file": path.name, "rows": parsed.rows_read,
                                             "records": frame.height, **report.counts})
    return report


def _parsed(engine: Engine, kind: str, path: Path, scope: Scope | None,
            max_bytes: int) -> Parsed:
    """The file parsed against the directory (the caller's part of it with a scope);
    :class:`ImportRejected` when it has an error."""
    with engine.connect() as conn:
        lookup = institutions.institution_lookup(conn)
        mine = lookup
        if scope is not None and scope.kind is not ScopeKind.ALL:
            visible = queries.visible_institution_ids(conn, scoped_filters(conn, scope))
            mine = lookup.filter(pl.col("institution_id").is_in(sorted(visible)))
    parsed = parse_form(kind, path, institutions=mine, max_bytes=max_bytes)
    if parsed.errors:
        issues = recoded(
            parsed.all_issues(),
            (pl.col("code") == "import.unknown_institution")
            & pl.col("value").is_in(lookup["credit_code"].implode()),
            "import.out_of_scope", "import.out_of_scope.institution")
        raise rejection(path.name, issues)
    return parsed
