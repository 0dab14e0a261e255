"""Evidence (佐证材料) attached to a member's items: stored with the member
(``campaign_evidence``: the bytes, their SHA-256 and size, who uploaded them), read back
by whoever sees the member.

Accepted kinds are data (``data/evidence/kinds.csv``; a round takes pdf, jpg, png, docx,
xlsx: :data:`jieneng.core.campaigns.rounds.EVIDENCE_SUFFIXES`); the size limit is the
upload limit the web passes (``settings.max_upload_bytes``; :data:`MAX_BYTES` otherwise).
A file of another kind, empty, too large or whose content does not match its extension
is refused by the platform's one check (:func:`jieneng.core.evidence.check_evidence`,
``evidence_*``) with the file's name and the rule, nothing stored. Adding and removing
needs ``self_assess`` while the member may still edit its self-assessment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import EVIDENCE_SUFFIXES
from jieneng.core.evidence import check_evidence
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.storage import campaign_rounds as store

from .assess import editable
from .round_access import find_member, find_round, now, round_scheme

#: the largest evidence file when the caller names no limit [bytes]
MAX_BYTES = 20 * 1024 * 1024


def add_evidence(engine: Engine, user: User, round_id: int, credit_code: str, item_code: str,
                 *, file_name: str, data: bytes, max_bytes: int = MAX_BYTES
                 ) -> dict[str, Any]:
    """Attach a file to ``item_code`` of the member; returns its id, name, type, size
    and SHA-256."""
    require(user, Capability.SELF_ASSESS)
    kind = check_evidence(file_name, data, max_bytes, accepted=EVIDENCE_SUFFIXES)
    digest = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        member, inst = find_member(conn, user, row, credit_code)
        editable(row, member)
        codes = {n.code for n in round_scheme(conn, row).items}
        if item_code not in codes:
            raise ValidationFailed.of("round_score_unknown_item", field="item",
                                      item=item_code[:64])
        values = {"member_id": int(member["id"]), "item_code": item_code,
                  "file_name": file_name[:255], "content_type": kind.media_type,
                  "size_bytes": len(data), "sha256": digest}
        new_id = store.add_evidence(conn, **values, content=data,
                                    uploaded_by=user.username, uploaded_at=now())
        audit.record(conn, user.actor, "campaigns.round_evidence", "campaign_evidence",
                     new_id, after={**values, "institution": inst["credit_code"]})
    return {"id": new_id, **values}


def evidence_content(db: Reader, user: User, round_id: int, credit_code: str,
                     evidence_id: int) -> tuple[dict[str, Any], bytes]:
    """An evidence file of the member (its record and bytes); NotFound otherwise."""
    with reading(db) as conn:
        row = find_round(conn, user, round_id)
        member, _ = find_member(conn, user, row, credit_code)
        found = store.get_evidence(conn, evidence_id)
    if found is None or int(found["member_id"]) != int(member["id"]):
        raise NotFound.of("round_evidence_not_found", evidence=evidence_id)
    content = bytes(found.pop("content"))
    return found, content


def delete_evidence(engine: Engine, user: User, round_id: int, credit_code: str,
                    evidence_id: int) -> None:
    """Remove an evidence file while the member may still edit."""
    require(user, Capability.SELF_ASSESS)
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        member, _ = find_member(conn, user, row, credit_code)
        editable(row, member)
        found = store.get_evidence(conn, evidence_id)
        if found is None or int(found["member_id"]) != int(member["id"]):
            raise NotFound.of("round_evidence_not_found", evidence=evidence_id)
        store.delete_evidence(conn, evidence_id)
        audit.record(conn, user.actor, "campaigns.round_evidence_delete", "campaign_evidence",
                     evidence_id, before={"file_name": found["file_name"],
                                          "sha256": str(found["sha256"]).strip()})


__all__ = ["MAX_BYTES", "add_evidence", "delete_evidence", "evidence_content"]
