"""The gateway registry's commands (issue 12 §2): register a gateway, issue and
rotate its secret, disable and enable it, assign the meters it may write.

A gateway belongs to a region (the office that manages it) inside the caller's
subtree and optionally to one institution of that region. Its secret depends on the
protocol and is answered **once**, by the command that made it:

- ``http`` — a token of 32 random bytes (URL-safe text); only its SHA-256 (hex) is
  kept, in ``token_hash``: :func:`gateway_by_token` finds the gateway of a pushed
  batch by that hash (a random 256-bit secret needs no slow hash);
- ``mqtt`` — a broker password; ``secret`` keeps the Mosquitto ``$7$`` PBKDF2 hash
  :func:`jieneng.ingest.mqtt.broker.password_hash` makes, which ``jieneng gateway
  mosquitto-config --from-db`` writes into the password file;
- ``mohurd`` — the shared key (MD5 answer and AES-128 key; the protocol needs the key
  itself, so ``secret`` keeps it) and the profile (``data/gateway/profiles``).

Meters: the code a gateway sends for a meter → a physical meter of an institution in
the caller's scope. A meter is fed by one gateway at a time: assigning a meter
another gateway feeds is refused naming that gateway. Bulk assignment from CSV is
all or nothing, with every row's problem listed.

Every command: the capability ``manage_gateways``, the gateway inside the caller's
subtree (else NotFound), one transaction, an audit entry (never the secret).
Reads: :mod:`.gateways_read`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, DomainError, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Filters, Scope
from jieneng.ingest.issues import ImportIssue, make_issue, rejection
from jieneng.ingest.mohurd.profile import DEFAULT_PROFILE, profile_names
from jieneng.ingest.mqtt.broker import password_hash
from jieneng.ingest.mqtt.payload import valid_gateway_id
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.storage.gateways import PROTOCOLS, metering_gateway, metering_gateway_meter
from jieneng.storage.metering import metering_meter

_G, _GM = metering_gateway, metering_gateway_meter
#: a MOHURD gateway's code: building id / gateway id
_MOHURD_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}/[A-Za-z0-9_.-]{1,23}\Z")
#: a meter's code as a gateway sends it (the payload's rule)
_SENT_CODE = re.compile(r"[^\x00-\x1f\x7f]{1,64}\Z")
_KEY_ALPHABET = string.ascii_letters + string.digits
#: the most rows one bulk assignment takes
MAX_ROWS = 5000
CSV_COLUMNS = {"code": ("网关表号", "code", "gateway_meter"),
               "credit_code": ("统一社会信用代码", "credit_code", "institution"),
               "meter": ("表号", "meter", "meter_number")}


@dataclass(frozen=True)
class GatewaySpec:
    """A gateway to register: ``institution`` a credit code or None; ``key`` the MOHURD
    shared key (None: one is generated); ``profile`` the MOHURD profile."""

    code: str
    protocol: str
    region_code: str
    name: str | None = None
    institution: str | None = None
    key: str | None = None
    profile: str | None = None


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which an HTTP token is kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def gateway_by_token(engine: Engine, token: str) -> Row[Any] | None:
    """The gateway whose HTTP token is ``token`` (None for none or a malformed one)."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        return conn.execute(select(_G).where(_G.c.token_hash == token_hash(token),
                                             _G.c.protocol == "http")).one_or_none()


def gateway_exists(engine: Engine, code: str) -> bool:
    """Whether a gateway is registered under ``code`` (a refused push is logged for it)."""
    with engine.connect() as conn:
        return conn.execute(select(_G.c.id).where(_G.c.code == code[:64])).first() is not None


# ---------------------------------------------------------------- scope

def region_filters(conn: Connection, scope: Scope, region_code: str | None = None) -> Filters:
    """The regions the caller manages gateways in (``region_code``'s subtree when
    given); NotFound outside them and for a scope below a region."""
    filters = scoped_filters(conn, scope, region_code=region_code)
    if filters.below_region:
        raise NotFound.of("scope.region_not_found", region_code=region_code or "")
    return filters


def visible_gateway(conn: Connection, scope: Scope, gateway_id: int, *,
                    lock: bool = False) -> Row[Any]:
    """The gateway ``gateway_id`` when the caller manages its region, else NotFound
    (the same answer whether it does not exist or is out of scope)."""
    query = select(_G).where(_G.c.id == gateway_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFound.of("metering.gateways.not_found", gateway_id=gateway_id)
    try:
        region_filters(conn, scope, row.region_code)
    except NotFound:
        raise NotFound.of("metering.gateways.not_found", gateway_id=gateway_id) from None
    return row


# ---------------------------------------------------------------- secrets

def _secret(protocol: str, key: str | None, profile: str | None) -> tuple[dict[str, Any], str]:
    """(columns to store, the secret answered once) for a new or rotated secret."""
    if protocol == "http":
        token = secrets.token_urlsafe(32)
        return {"token_hash": token_hash(token), "secret": None}, token
    if protocol == "mqtt":
        password = secrets.token_urlsafe(18)
        return {"token_hash": None, "secret": password_hash(password)}, password
    if key is None:
        key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    elif len(key) != 16 or not key.isascii() or not key.isprintable():
        raise ValidationFailed.of("metering.gateways.key_invalid", field="key")
    chosen = profile or DEFAULT_PROFILE
    if chosen not in profile_names():
        raise ValidationFailed.of("metering.gateways.profile_unknown", field="profile",
                                  profile=chosen[:64])
    return {"token_hash": None, "secret": key, "profile": chosen}, key


def check_code(code: str, protocol: str) -> str:
    """The gateway code checked for its protocol: an MQTT topic level / HTTP id, or a
    MOHURD ``building/gateway`` pair."""
    code = code.strip()
    if protocol not in PROTOCOLS:
        raise ValidationFailed.of("metering.gateways.protocol_invalid", field="protocol",
                                  protocol=protocol[:16])
    ok = _MOHURD_CODE.match(code) if protocol == "mohurd" else valid_gateway_id(code)
    if not ok:
        raise ValidationFailed.of("metering.gateways.code_invalid", field="code",
                                  code=code[:80])
    return code


# ---------------------------------------------------------------- commands

def register_gateway(engine: Engine, user: User, spec: GatewaySpec) -> dict[str, Any]:
    """Register a gateway; the answer holds its secret (``secret``) — the only time."""
    require(user, Capability.MANAGE_GATEWAYS)
    code = check_code(spec.code, spec.protocol)
    name = (spec.name or "").strip()[:200] or None
    columns, secret = _secret(spec.protocol, spec.key, spec.profile)
    with engine.begin() as conn:
        regions = region_filters(conn, user.scope, spec.region_code.strip())
        institution_id = None
        if spec.institution:
            inst = visible_institution(conn, user.scope, spec.institution.strip().upper())
            if regions.region_codes is not None and inst.region_code not in regions.region_codes:
                raise ValidationFailed.of("metering.gateways.institution_outside",
                                          field="institution", institution=inst.credit_code,
                                          region=spec.region_code)
            institution_id = inst.id
        if conn.execute(select(_G.c.id).where(_G.c.code == code)).first() is not None:
            raise Conflict.of("metering.gateways.code_taken", field="code", code=code)
        gateway_id = int(conn.execute(insert(_G).values(
            code=code, name=name, protocol=spec.protocol, region_code=spec.region_code.strip(),
            institution_id=institution_id, status="active", created_by=user.actor.username,
            created_at=_now(), **columns).returning(_G.c.id)).scalar_one())
        after = {"code": code, "protocol": spec.protocol, "region_code": spec.region_code,
                 "institution_id": institution_id, "name": name,
                 "profile": columns.get("profile")}
        audit.record(conn, user.actor, "gateway.add", "metering_gateway", gateway_id,
                     after=after)
    return {"gateway_id": gateway_id, **after, "secret": secret}


def rotate_secret(engine: Engine, user: User, gateway_id: int, *,
                  key: str | None = None) -> dict[str, Any]:
    """A new token / password / key for the gateway (the old one stops working at once);
    answered once."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.begin() as conn:
        row = visible_gateway(conn, user.scope, gateway_id, lock=True)
        columns, secret = _secret(row.protocol, key, row.profile)
        conn.execute(update(_G).where(_G.c.id == row.id).values(**columns))
        audit.record(conn, user.actor, "gateway.rotate", "metering_gateway", row.id,
                     after={"code": row.code, "protocol": row.protocol})
    return {"gateway_id": int(row.id), "code": row.code, "protocol": row.protocol,
            "secret": secret}


def set_status(engine: Engine, user: User, gateway_id: int, *, active: bool) -> dict[str, Any]:
    """Disable (its batches are refused from now on) or enable the gateway."""
    require(user, Capability.MANAGE_GATEWAYS)
    status = "active" if active else "disabled"
    with engine.begin() as conn:
        row = visible_gateway(conn, user.scope, gateway_id, lock=True)
        if row.status != status:
            conn.execute(update(_G).where(_G.c.id == row.id).values(status=status))
            audit.record(conn, user.actor, "gateway.enable" if active else "gateway.disable",
                         "metering_gateway", row.id, before={"status": row.status},
                         after={"status": status})
    return {"gateway_id": int(row.id), "code": row.code, "status": status}


@dataclass(frozen=True)
class Assignment:
    """One meter to assign: the code the gateway sends → the meter ``meter`` (its
    number) of the institution ``credit_code``; ``row`` its line in a file."""

    code: str
    credit_code: str
    meter: str
    row: int | None = None


def _resolve(conn: Connection, user: User, gateway: Row[Any], item: Assignment,
             taken_codes: Mapping[str, int], fed: Mapping[int, str]) -> dict[str, Any] | None:
    """The row to insert for ``item`` (None: already so); raises for a refusal."""
    code = item.code.strip()
    if not _SENT_CODE.match(code):
        raise ValidationFailed.of("metering.gateways.meter_code_invalid", field="code",
                                  code=code[:80])
    inst = visible_institution(conn, user.scope, item.credit_code.strip().upper())
    m = metering_meter
    meter = conn.execute(select(m.c.id, m.c.formula).where(
        m.c.institution_id == inst.id, m.c.number == item.meter.strip())).one_or_none()
    if meter is None:
        raise NotFound.of("metering.gateways.meter_not_found", field="meter",
                          meter=item.meter.strip()[:64], institution=inst.credit_code)
    if meter.formula is not None:
        raise ValidationFailed.of("metering.gateways.meter_virtual", field="meter",
                                  meter=item.meter.strip()[:64])
    other = fed.get(int(meter.id))
    if other is not None and other != gateway.code:
        raise Conflict.of("metering.gateways.meter_fed_elsewhere", field="meter",
                          meter=item.meter.strip()[:64], gateway=other)
    owner = taken_codes.get(code)
    if owner is not None and owner != int(meter.id):
        raise Conflict.of("metering.gateways.code_in_use", field="code", code=code,
                          gateway=gateway.code)
    if other is not None:
        if owner == int(meter.id):
            return None
        raise Conflict.of("metering.gateways.meter_under_other_code", field="meter",
                          meter=item.meter.strip()[:64], gateway=gateway.code)
    return {"gateway_id": int(gateway.id), "code": code, "meter_id": int(meter.id)}


def _current(conn: Connection, gateway_id: int) -> tuple[dict[str, int], dict[int, str]]:
    """The gateway's codes → meter ids, and every fed meter id → its gateway's code."""
    own = {str(c): int(i) for c, i in conn.execute(
        select(_GM.c.code, _GM.c.meter_id).where(_GM.c.gateway_id == gateway_id))}
    fed = {int(i): str(c) for i, c in conn.execute(
        select(_GM.c.meter_id, _G.c.code).join(_G, _G.c.id == _GM.c.gateway_id))}
    return own, fed


def assign_meters(engine: Engine, user: User, gateway_id: int, items: Sequence[Assignment], *,
                  file: str = "", dry_run: bool = False) -> dict[str, Any]:
    """Assign the meters to the gateway, all or nothing: one refusal is raised as
    itself; refusals of a file's rows (``file`` given) as ImportRejected listing every
    row's problem."""
    require(user, Capability.MANAGE_GATEWAYS)
    if len(items) > MAX_ROWS:
        raise ValidationFailed.of("metering.gateways.too_many_rows", count=len(items),
                                  limit=MAX_ROWS)
    with engine.begin() as conn:
        gateway = visible_gateway(conn, user.scope, gateway_id, lock=True)
        own, fed = _current(conn, int(gateway.id))
        rows: list[dict[str, Any]] = []
        issues: list[ImportIssue] = []
        for item in items:  # a gateway's meters: hundreds at most (MAX_ROWS)
            try:
                new = _resolve(conn, user, gateway, item, own, fed)
            except DomainError as err:
                if not file:
                    raise
                issues.append(ImportIssue(
                    file=file, sheet=None, row=item.row, column=err.details.get("field"),
                    value=item.code if err.details.get("field") == "code" else item.meter,
                    code=err.code, severity="error", message_zh=err.message_zh,
                    message_en=err.message_en))
                continue
            if new is not None:
                own[new["code"]] = new["meter_id"]
                fed[new["meter_id"]] = gateway.code
                rows.append(new)
        if issues:
            raise rejection(file, issues)
        if rows and not dry_run:
            conn.execute(insert(_GM), rows)
            audit.record(conn, user.actor, "gateway.assign", "metering_gateway", gateway.id,
                         after={"meters": [[r["code"], r["meter_id"]] for r in rows]})
    return {"gateway_id": int(gateway.id), "code": gateway.code, "assigned": len(rows),
            "unchanged": len(items) - len(rows), "dry_run": dry_run}


def unassign_meter(engine: Engine, user: User, gateway_id: int, code: str) -> dict[str, Any]:
    """Stop the gateway writing the meter it sends as ``code``."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.begin() as conn:
        gateway = visible_gateway(conn, user.scope, gateway_id, lock=True)
        meter_id = conn.execute(select(_GM.c.meter_id).where(
            _GM.c.gateway_id == gateway.id, _GM.c.code == code)).scalar()
        if meter_id is None:
            raise NotFound.of("metering.gateways.assignment_not_found", code=code[:80],
                              gateway=gateway.code)
        conn.execute(delete(_GM).where(_GM.c.gateway_id == gateway.id, _GM.c.code == code))
        audit.record(conn, user.actor, "gateway.unassign", "metering_gateway", gateway.id,
                     before={"code": code, "meter_id": int(meter_id)})
    return {"gateway_id": int(gateway.id), "code": code, "removed": True}


def assignments_from_csv(content: bytes, file: str) -> list[Assignment]:
    """The rows of an assignment file (UTF-8 or GBK CSV; columns 网关表号/code,
    统一社会信用代码/credit_code, 表号/meter); ImportRejected naming a missing column."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text_ = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise rejection(file, [make_issue("import.unreadable", file=file)])
    reader = csv.reader(io.StringIO(text_))
    header = [h.strip().lower() for h in next(reader, [])]
    where: dict[str, int] = {}
    for key, names in CSV_COLUMNS.items():
        found = next((header.index(n.lower()) for n in names if n.lower() in header), None)
        if found is None:
            raise rejection(file, [make_issue("import.missing_column", file=file,
                                              column=names[0])])
        where[key] = found
    out = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = {k: (cells[i].strip() if i < len(cells) else "") for k, i in where.items()}
        out.append(Assignment(cell["code"], cell["credit_code"], cell["meter"], row=number))
        if len(out) > MAX_ROWS:
            break
    if not out:
        raise rejection(file, [make_issue("import.empty", file=file)])
    return out
