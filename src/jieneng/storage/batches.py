"""Import batches: the original bytes of every imported file, with its digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from . import tables as t


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: int
    kind: str
    file_name: str
    sha256: str
    size_bytes: int
    content: bytes
    rows: int
    created_at: datetime
    dry_run: bool


def store_batch(
    conn: Connection, *, kind: str, file_name: str, content: bytes, rows: int,
    dry_run: bool = False,
) -> int:
    """Store an imported file (its bytes, SHA-256 and size); returns the batch id."""
    digest = hashlib.sha256(content).hexdigest()
    result = conn.execute(
        t.import_batch.insert()
        .values(kind=kind, file_name=file_name, sha256=digest, size_bytes=len(content),
                content=content, rows=rows, dry_run=dry_run)
        .returning(t.import_batch.c.id)
    )
    return int(result.scalar_one())


def get_batch(conn: Connection, batch_id: int) -> BatchRow | None:
    """The batch with this id, or ``None``."""
    b = t.import_batch
    r = conn.execute(select(b).where(b.c.id == batch_id)).one_or_none()
    if r is None:
        return None
    return BatchRow(
        id=r.id, kind=r.kind, file_name=r.file_name, sha256=r.sha256.strip(),
        size_bytes=int(r.size_bytes), content=bytes(r.content), rows=int(r.rows),
        created_at=r.created_at, dry_run=bool(r.dry_run),
    )


def find_batches_by_sha256(conn: Connection, sha256: str) -> list[int]:
    """Ids of earlier batches with the same content (to warn about a re-import)."""
    b = t.import_batch
    return [int(v) for v in conn.execute(
        select(b.c.id).where(b.c.sha256 == sha256).order_by(b.c.id)).scalars()]
