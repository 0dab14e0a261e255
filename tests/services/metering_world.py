"""The sample 桂林 directory (three institutions) and callers for the metering tests."""

from __future__ import annotations

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.permissions import Role
from jieneng.services.entry.imports import import_file
from jieneng.storage.institutions import get_institution
from tests.sample import Files


def load(engine: Engine, files: Files) -> dict[str, int]:
    """Regions and institutions stored; credit code → institution id."""
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    from tests.sample import ORGAN, SCHOOL, SILENT

    with engine.connect() as conn:
        found = {code: get_institution(conn, code) for code in (ORGAN, SCHOOL, SILENT)}
    return {code: row.id for code, row in found.items() if row is not None}


def user(role: Role, region: str | None = None, institution_id: int | None = None,
         uid: int = 1) -> User:
    return User(id=uid, username=f"{role.value}{uid}", display_name=role.value, role=role,
                region_code=region, institution_id=institution_id, is_locked=False,
                locked_until=None, created_at=None)
