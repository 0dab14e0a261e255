"""A project's documents (issue 13 §1, §3): the evidence of a non-routine adjustment,
a contract scan, an audit report — stored with the project (``project_document``:
the bytes, their SHA-256 and size, who uploaded them), read back by whoever sees the
project. Capability ``manage_projects`` to add one; the project inside the caller's
scope (:func:`jieneng.services.projects.mv_access.visible_project`); one transaction
and an audit entry each. A file is checked by the platform's one evidence check
(:func:`jieneng.core.evidence.check_evidence`: a kind of ``data/evidence/kinds.csv``,
not empty, at most :data:`MAX_BYTES`, its content matching its extension)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from jieneng.core.caller import User
from jieneng.core.evidence import check_evidence
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.storage.projects import project_document

from .mv_access import visible_project

#: the kinds of document a project keeps
KINDS = ("evidence", "contract", "audit", "report", "other")
#: the largest document stored [bytes]
MAX_BYTES = 20 * 1024 * 1024


def add_document(engine: Engine, user: User, code: str, *, title: str, kind: str,
                 file_name: str, content: bytes, content_type: str | None = None
                 ) -> dict[str, Any]:
    """Store a document of the project ``code``; returns its id, title, kind, file
    name, size and SHA-256."""
    require(user, Capability.MANAGE_PROJECTS)
    if kind not in KINDS:
        raise ValidationFailed.of("project_document.bad_kind", field="kind", value=kind[:32])
    checked = check_evidence(file_name, content, MAX_BYTES)
    digest = hashlib.sha256(content).hexdigest()
    values = {"title": (title.strip() or file_name)[:200], "kind": kind,
              "file_name": file_name[:255],
              "content_type": content_type or checked.media_type,
              "sha256": digest, "size_bytes": len(content)}
    with engine.begin() as conn:
        project = visible_project(conn, user, code)
        new_id = int(conn.execute(project_document.insert().values(
            project_id=project["id"], content=content, uploaded_by=user.actor.username,
            uploaded_at=datetime.now(UTC), **values).returning(project_document.c.id)
        ).scalar_one())
        audit.record(conn, user.actor, "projects.document", "project_document", new_id,
                     after={"project": project["code"], **values})
    return {"id": new_id, **values}


def get_document(engine: Engine, user: User, code: str, document_id: int) -> dict[str, Any]:
    """A document of the project ``code`` with its bytes (NotFound when the project is
    outside the caller's scope or holds no such document)."""
    d = project_document
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        row = conn.execute(select(d).where(d.c.id == document_id,
                                           d.c.project_id == project["id"])).first()
    if row is None:
        raise NotFound.of("project_document.not_found", document=document_id)
    return dict(row._mapping)


def list_documents(engine: Engine, user: User, code: str) -> list[dict[str, Any]]:
    """The project's documents (without their bytes)."""
    d = project_document
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        rows = conn.execute(select(d.c.id, d.c.title, d.c.kind, d.c.file_name, d.c.size_bytes,
                                   d.c.uploaded_by, d.c.uploaded_at)
                            .where(d.c.project_id == project["id"]).order_by(d.c.id)).all()
    return [dict(r._mapping) for r in rows]
