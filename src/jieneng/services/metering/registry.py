"""The metering registry's commands: bind and unbind utility accounts (户号), add,
replace and remove meters, define virtual meters, list an institution's registry.

Rules (issue 12 §1; the domain checks are :mod:`jieneng.core.metering`'s):

- **One account → one institution at a time.** An account has at most one open
  binding; binding it to another institution is refused (``Conflict``) naming both —
  the other one by name when the caller may see it, else as "another institution".
  Unbinding closes the open binding at ``valid_to``; a later binding may start on or
  after that day, never inside an earlier binding (history is kept, never rewritten).
- **Meters.** Checked by :class:`jieneng.core.metering.Meter` (carrier, 分项 code,
  CT/PT, unit, interval, digits); the parent is a meter of the same institution; the
  account, if named, must be bound to the institution now. The meter row keeps the
  CT/PT of its first register; a replacement's event holds the next one's.
- **Events.** install / replace / remove at a time (a naive time is Asia/Shanghai),
  after the meter's last event, checked by
  :func:`jieneng.core.metering.register_segments`; a replacement records the old
  register's final and the new one's initial reading, so the history stays continuous.
- **Virtual meters.** A formula over the institution's meters, parsed and checked by
  :mod:`jieneng.core.metering.virtual` (no eval; unknown meters, other carriers and
  loops refused).

Every command: the capability ``manage_metering``, the institution inside the
caller's scope (:func:`jieneng.services.scope.visible_institution` — else NotFound),
one transaction, an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row

from jieneng.core.caller import User
from jieneng.core.carriers import Carrier, carrier, carrier_by_name
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.metering import (
    LOCAL_OFFSET_S,
    EventKind,
    Meter,
    MeterEvent,
    Multiplier,
    RegisterKind,
    VirtualMeter,
    check_parents,
    evaluation_order,
    register_segments,
)
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.storage import metering as store
from jieneng.storage.institutions import InstitutionRow

_EPOCH = datetime(1970, 1, 1)


def epoch(at: datetime) -> int:
    """Epoch seconds of ``at``; a naive time is China time (Asia/Shanghai, UTC+8)."""
    if at.tzinfo is None:
        return int((at - _EPOCH).total_seconds()) - LOCAL_OFFSET_S
    return int(at.timestamp())


def local_text(ts: int) -> str:
    """``ts`` as China time, ``YYYY-MM-DD HH:MM``."""
    return (_EPOCH + timedelta(seconds=ts + LOCAL_OFFSET_S)).strftime("%Y-%m-%d %H:%M")


def find_carrier(text: str) -> Carrier:
    """A carrier by code (``electricity``) or name (``电``, ``水``, ``天然气``)."""
    try:
        return carrier(text.strip())
    except ValidationFailed:
        return carrier_by_name(text)


@dataclass(frozen=True)
class MeterSpec:
    """A meter to register (``parent`` and ``account`` are numbers; ``installed_at``
    with ``initial`` records an install event)."""

    number: str
    carrier: str
    item_code: str | None = None
    ct: float = 1.0
    pt: float = 1.0
    register: str = "cumulative"
    unit: str | None = None
    parent: str | None = None
    account: str | None = None
    interval_s: int = 900
    register_digits: int | None = None
    max_rate: float | None = None
    name: str | None = None
    installed_at: datetime | None = None
    initial: float | None = None

    def core(self) -> Meter:
        """The domain meter (raises for anything invalid)."""
        try:
            register = RegisterKind(self.register)
        except ValueError:
            raise ValidationFailed.of("metering.registry.bad_register",
                                      value=self.register) from None
        return Meter(self.number.strip(), find_carrier(self.carrier).code,
                     self.item_code.strip().upper() if self.item_code else None,
                     Multiplier(self.ct, self.pt), register, self.unit, self.parent,
                     self.interval_s, self.register_digits, self.max_rate)


# ---------------------------------------------------------------- accounts

def bind_account(engine: Engine, user: User, *, credit_code: str, carrier_text: str,
                 number: str, valid_from: date, utility: str | None = None,
                 name: str | None = None) -> dict[str, Any]:
    """Bind the account (carrier, 户号 ``number``) to the institution from ``valid_from``
    (the account is registered on first use). Binding it again to the same
    institution changes nothing."""
    require(user, Capability.MANAGE_METERING)
    found = find_carrier(carrier_text)
    number = _account_number(number)
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        account = store.find_account(conn, found.code, number, lock=True)
        if account is None:
            account_id = store.insert_account(conn, found.code, number, utility=utility,
                                              name=name)
        else:
            account_id = int(account.id)
            same = check_free(conn, user.scope, account_id, inst, found, number, valid_from)
            if same is not None:
                return _binding_dict(same, found, number, created=False)
        binding_id = store.insert_binding(conn, account_id, inst.id, valid_from,
                                          user.actor.username)
        after = {"account": number, "carrier": found.code, "institution": inst.credit_code,
                 "valid_from": valid_from.isoformat()}
        audit.record(conn, user.actor, "metering.bind", "metering_binding", binding_id,
                     after=after)
    return {"binding_id": binding_id, **after, "created": True}


def check_free(conn: Connection, scope: Scope, account_id: int, inst: InstitutionRow,
               found: Carrier, number: str, valid_from: date) -> Row[Any] | None:
    """The open binding to ``inst`` when there is one (nothing to do); else refuse a
    binding open to another institution or a start inside an earlier binding."""
    bindings = store.bindings_of(conn, account_id)
    for row in bindings:
        if row.valid_to is None and row.institution_id == inst.id:
            return row
        if row.valid_to is not None and row.valid_to > valid_from and (
                row.institution_id == inst.id):
            raise Conflict.of("metering.registry.binding_overlaps", account=number,
                              since=row.valid_from.isoformat(),
                              until=row.valid_to.isoformat(), valid_from=valid_from.isoformat())
        if row.valid_to is None or row.valid_to > valid_from:
            other = _other_name(conn, scope, row)
            raise Conflict.of(
                "metering.registry.account_bound_elsewhere", account=number,
                carrier=found.code, since=row.valid_from.isoformat(),
                until=row.valid_to.isoformat() if row.valid_to else None,
                institution=inst.credit_code, values={
                    "carrier_zh": found.name_zh, "carrier_en": found.name_en,
                    "other_zh": other[0], "other_en": other[1], "target": inst.name})
    return None


def _other_name(conn: Connection, scope: Scope, row: Row[Any]) -> tuple[str, str]:
    """The other institution's name when the caller may see it."""
    try:
        scoped_filters(conn, scope, institution_id=int(row.institution_id))
    except NotFound:
        return "另一单位（不在您的范围内）", "another institution (outside your scope)"
    label = f"{row.institution_name}（{row.credit_code}）"
    return label, f"{row.institution_name} ({row.credit_code})"


def unbind_account(engine: Engine, user: User, *, carrier_text: str, number: str,
                   valid_to: date) -> dict[str, Any]:
    """End the account's open binding at ``valid_to`` (exclusive)."""
    require(user, Capability.MANAGE_METERING)
    found = find_carrier(carrier_text)
    number = _account_number(number)
    with engine.begin() as conn:
        account = store.find_account(conn, found.code, number, lock=True)
        open_rows = [] if account is None else [
            r for r in store.bindings_of(conn, int(account.id)) if r.valid_to is None]
        if not open_rows:
            raise NotFound.of("metering.registry.account_not_bound_anywhere", account=number)
        row = open_rows[0]
        try:
            scoped_filters(conn, user.scope, institution_id=int(row.institution_id))
        except NotFound:
            raise NotFound.of("metering.registry.account_not_bound_anywhere",
                              account=number) from None
        if valid_to <= row.valid_from:
            raise ValidationFailed.of("metering.registry.unbind_before_start", account=number,
                                      valid_to=valid_to.isoformat(),
                                      valid_from=row.valid_from.isoformat())
        store.close_binding(conn, int(row.id), valid_to)
        audit.record(conn, user.actor, "metering.unbind", "metering_binding", int(row.id),
                     before={"valid_to": None}, after={"valid_to": valid_to.isoformat()})
    return _binding_dict(row, found, number, created=False) | {"valid_to": valid_to.isoformat()}


def _account_number(number: str) -> str:
    number = number.strip()
    if not number:
        raise ValidationFailed.of("metering.registry.account_number_empty")
    return number


def _binding_dict(row: Row[Any], found: Carrier, number: str, *,
                  created: bool) -> dict[str, Any]:
    return {"binding_id": int(row.id), "account": number, "carrier": found.code,
            "institution": row.credit_code, "valid_from": row.valid_from.isoformat(),
            "created": created}


# ---------------------------------------------------------------- meters

def add_meter(engine: Engine, user: User, credit_code: str, spec: MeterSpec) -> dict[str, Any]:
    """Register a physical meter of the institution (and its install event)."""
    require(user, Capability.MANAGE_METERING)
    meter = spec.core()
    install = (None if spec.installed_at is None else
               MeterEvent.install(epoch(spec.installed_at), initial=spec.initial or 0.0))
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        meter_id = insert_checked(conn, user, inst, meter, spec, install)
        audit.record(conn, user.actor, "metering.meter_add", "metering_meter", meter_id,
                     after={"institution": inst.credit_code, "number": meter.number,
                            "carrier": meter.carrier, "item_code": meter.item_code,
                            "multiplier": meter.multiplier.value})
    return {"meter_id": meter_id, "number": meter.number, "institution": inst.credit_code}


def insert_checked(conn: Connection, user: User, inst: InstitutionRow, meter: Meter,
                   spec: MeterSpec, install: MeterEvent | None) -> int:
    """Check the meter against the institution's registry and insert it."""
    if store.find_meter(conn, inst.id, meter.number) is not None:
        raise Conflict.of("metering.registry.meter_exists", meter=meter.number,
                          institution=inst.credit_code)
    parent_id = None
    if meter.parent is not None:
        parent = store.find_meter(conn, inst.id, meter.parent)
        if parent is None:
            raise ValidationFailed.of("metering.unknown_parent", meter=meter.number,
                                      parent=meter.parent)
        parent_id = int(parent.id)
    account_id = None
    if spec.account:
        key = (meter.carrier, spec.account.strip())
        bound = store.accounts_by_key(conn, [key]).get(key)
        if bound is None or bound.institution_id != inst.id:
            raise ValidationFailed.of("metering.registry.account_not_bound",
                                      account=spec.account, institution=inst.credit_code)
        account_id = int(bound.id)
    meter_id = store.insert_meter(conn, {
        "institution_id": inst.id, "number": meter.number, "name": spec.name,
        "carrier": meter.carrier, "item_code": meter.item_code, "ct": meter.multiplier.ct,
        "pt": meter.multiplier.pt, "register": meter.register.value, "unit": meter.unit,
        "interval_s": meter.interval_s, "register_digits": meter.register_digits,
        "max_rate": meter.max_rate, "parent_id": parent_id, "account_id": account_id,
        "status": "active"})
    if install is not None:
        store.insert_event(conn, _event_values(meter_id, install, user))
    return meter_id


def _event_values(meter_id: int, event: MeterEvent, user: User) -> dict[str, Any]:
    m = event.multiplier
    return {"meter_id": meter_id, "kind": event.kind.value, "ts": event.ts,
            "final": event.final, "initial": event.initial, "ct": m.ct if m else None,
            "pt": m.pt if m else None, "register_digits": event.register_digits,
            "device": event.device, "recorded_by": user.actor.username}


def core_meter(row: Row[Any], parent: str | None = None) -> Meter:
    return Meter(row.number, row.carrier, row.item_code, Multiplier(row.ct, row.pt),
                 RegisterKind(row.register), row.unit, parent, row.interval_s,
                 row.register_digits, row.max_rate)


def core_events(rows: Sequence[Row[Any]]) -> list[MeterEvent]:
    return [MeterEvent(EventKind(r.kind), int(r.ts), r.final, r.initial,
                       None if r.ct is None else Multiplier(r.ct,
                                                            1.0 if r.pt is None else r.pt),
                       r.register_digits, r.device) for r in rows]


def _physical(conn: Connection, user: User, credit_code: str,
              number: str) -> tuple[InstitutionRow, Row[Any]]:
    inst = visible_institution(conn, user.scope, credit_code)
    row = store.find_meter(conn, inst.id, number.strip())
    if row is None:
        raise NotFound.of("metering.registry.meter_not_found", meter=number,
                          institution=inst.credit_code)
    if row.formula is not None:
        raise ValidationFailed.of("metering.registry.virtual_has_no_register", meter=number)
    return inst, row


def record_event(engine: Engine, user: User, credit_code: str, number: str,
                 event: MeterEvent) -> dict[str, Any]:
    """Record a replace or remove (or a re-install after removal) of a meter."""
    require(user, Capability.MANAGE_METERING)
    with engine.begin() as conn:
        inst, row = _physical(conn, user, credit_code, number)
        old = store.events_of(conn, [int(row.id)])
        if old and event.ts <= int(old[-1].ts):
            raise ValidationFailed.of("metering.registry.event_not_after_last",
                                      meter=row.number, time=local_text(event.ts),
                                      last=local_text(int(old[-1].ts)))
        segments = register_segments(core_meter(row), [*core_events(old), event])
        store.insert_event(conn, _event_values(int(row.id), event, user))
        status = "removed" if event.kind.value == "remove" else "active"
        if status != row.status:
            store.update_meter(conn, int(row.id), status=status)
        after = {"institution": inst.credit_code, "meter": row.number,
                 "kind": event.kind.value, "time": local_text(event.ts),
                 "final": event.final, "initial": event.initial,
                 "multiplier": segments[-1].multiplier}
        audit.record(conn, user.actor, f"metering.meter_{event.kind.value}", "metering_meter",
                     int(row.id), after=after)
    return after


def replace_meter(engine: Engine, user: User, credit_code: str, number: str, *,
                  at: datetime, final: float, initial: float, ct: float | None = None,
                  pt: float | None = None, register_digits: int | None = None,
                  device: str | None = None) -> dict[str, Any]:
    """The meter's register replaced at ``at``: the old one's ``final`` and the new
    one's ``initial`` reading, and its CT/PT when they change."""
    multiplier = None if ct is None and pt is None else Multiplier(
        1.0 if ct is None else ct, 1.0 if pt is None else pt)
    event = MeterEvent.replace(epoch(at), final=final, initial=initial,
                               multiplier=multiplier, register_digits=register_digits,
                               device=device)
    return record_event(engine, user, credit_code, number, event)


def remove_meter(engine: Engine, user: User, credit_code: str, number: str, *, at: datetime,
                 final: float) -> dict[str, Any]:
    """The meter removed at ``at`` with its ``final`` reading."""
    return record_event(engine, user, credit_code, number,
                        MeterEvent.remove(epoch(at), final=final))


def define_virtual(engine: Engine, user: User, credit_code: str, *, number: str,
                   carrier_text: str, formula: str, name: str | None = None) -> dict[str, Any]:
    """Define (or redefine) a virtual meter of the institution by ``formula``."""
    require(user, Capability.MANAGE_METERING)
    virtual = VirtualMeter(number.strip(), find_carrier(carrier_text).code, formula.strip())
    virtual.expression  # noqa: B018 - parse now: a syntax error is refused before any read
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        rows = store.meters_of(conn, [inst.id])
        physical = {r.number: r.carrier for r in rows if r.formula is None}
        others = [VirtualMeter(r.number, r.carrier, r.formula) for r in rows
                  if r.formula is not None and r.number != virtual.number]
        if virtual.number in physical:
            raise Conflict.of("metering.registry.meter_exists", meter=virtual.number,
                              institution=inst.credit_code)
        evaluation_order([*others, virtual], physical)
        existing = store.find_meter(conn, inst.id, virtual.number)
        if existing is None:
            meter_id = store.insert_meter(conn, {
                "institution_id": inst.id, "number": virtual.number, "name": name,
                "carrier": virtual.carrier, "register": None, "formula": virtual.formula,
                "status": "active"})
        else:
            meter_id = int(existing.id)
            store.update_meter(conn, meter_id, formula=virtual.formula, name=name)
        audit.record(conn, user.actor, "metering.virtual_define", "metering_meter", meter_id,
                     before=None if existing is None else {"formula": existing.formula},
                     after={"institution": inst.credit_code, "number": virtual.number,
                            "formula": virtual.formula})
    return {"meter_id": meter_id, "number": virtual.number, "formula": virtual.formula,
            "created": existing is None}


def check_tree(rows: Sequence[Row[Any]]) -> None:
    """Refuse a loop of parents among an institution's meters (``core.metering``)."""
    check_parents(Meter(r.number, r.carrier, parent=r.parent_number) for r in rows
                  if r.formula is None)
