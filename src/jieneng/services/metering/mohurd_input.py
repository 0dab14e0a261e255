"""The MOHURD receiver wired to the platform (``jieneng gateway serve``): who a
gateway is, where its readings go, where its refusals are logged.

- **Gateway identity.** A MOHURD gateway says ``building_id`` and ``gateway_id``; its
  registry code is the two joined by ``/`` (:func:`gateway_code`: ``330302D110/01``).
  It may connect when ``metering_gateway`` has that code with protocol ``mohurd``,
  status ``active``, a shared key (``secret``: the 认证密钥 of the MD5 answer) and the
  receiver's profile (``profile``; empty means ``default``). Otherwise the session
  answers ``<result>fail</result>`` and the refusal is logged with why.
- **Meter codes.** A value is ``<meter id><function id>``; its code is the two joined
  by ``/`` (:func:`meter_code`: ``1/1``), resolved through ``metering_gateway_meter``
  like every input: a code nobody registered or another gateway's refuses the whole
  batch (:func:`jieneng.services.metering.ingest.store_batch`).
- **Values.** A function with an ``error`` other than empty or ``0`` is a failed read:
  it is left out (a gap, never a 0). A value that is not a number, or a batch sent
  ``parser=no`` (raw bytes the platform cannot read), refuses the batch (``malformed``).
  Times are the message's Asia/Shanghai ``<time>`` as UTC epoch seconds (the codec).
- **Acknowledgement.** A batch is stored in one transaction and acknowledged after the
  commit; a refused batch is logged and acknowledged too (resending it would change
  nothing); a store that fails otherwise is not acknowledged (the receiver closes and
  the gateway resends).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.ingest.mohurd import DEFAULT_PROFILE, Heartbeat, ReadingsBatch, Refused
from jieneng.ingest.mohurd.server import Outcome
from jieneng.services.metering.ingest import ReadingsRefused, log_refusal, store_batch
from jieneng.storage.gateways import metering_gateway

log = logging.getLogger(__name__)

#: session refusal code → kind in ``metering_gateway_log`` (anything else: malformed)
REFUSAL_KIND: dict[str, str] = {
    "gateway.bad_md5": "md5",
    "gateway.unknown_gateway": "gateway_unknown",
    "gateway.not_authenticated": "auth",
    "gateway.identity_changed": "auth",
    "gateway.md5_without_challenge": "auth",
    "gateway.frame_oversize": "oversized",
    "gateway.frame_truncated": "truncated",
}
_LISTED = 5
_READING_SCHEMA: dict[str, Any] = {
    "meter_id": pl.String, "function_id": pl.String, "coding": pl.String,
    "error": pl.String, "value": pl.Float64, "raw": pl.String, "ts": pl.Int64}


def gateway_code(building_id: str, gateway_id: str) -> str:
    """The registry code of a MOHURD gateway: ``building_id/gateway_id``."""
    return f"{building_id}/{gateway_id}"


def meter_code(meter_id: str, function_id: str) -> str:
    """The code a MOHURD value is bound under: ``meter id/function id``."""
    return f"{meter_id}/{function_id}"


def reason(err: DomainError) -> str:
    """The logged reason: both texts, Chinese first."""
    return f"{err.message_zh} / {err.message_en}"


def sent_readings(batch: ReadingsBatch) -> pl.DataFrame:
    """The batch as ``meter, ts, value`` (the input of ``store_batch``); failed reads
    left out; raises ``gateway.data_unparsed`` / ``gateway.value_not_number``."""
    if not batch.parsed:
        raise ValidationFailed.of("gateway.data_unparsed", sequence=batch.sequence[:40])
    frame = pl.DataFrame(list(batch.readings), schema=_READING_SCHEMA, orient="row")
    frame = frame.filter(pl.col("error").is_null() | pl.col("error").str.strip_chars()
                         .is_in(["", "0"]))
    bad = frame.filter(pl.col("value").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise ValidationFailed.of("gateway.value_not_number", count=bad.height,
                                  meter=first["meter_id"], function=first["function_id"],
                                  value=first["raw"][:40])
    return frame.select(
        pl.concat_str("meter_id", pl.lit("/"), "function_id").alias("meter"), "ts", "value")


@dataclass
class MohurdInput:
    """The :class:`jieneng.ingest.mohurd.server.Backend` of one receiver."""

    engine: Engine
    profile: str = DEFAULT_PROFILE

    def _row(self, code: str) -> Any:
        g = metering_gateway
        with self.engine.connect() as conn:
            return conn.execute(select(g.c.id, g.c.protocol, g.c.status, g.c.secret,
                                       g.c.profile).where(g.c.code == code)).one_or_none()

    def _admit(self, code: str) -> tuple[Any, ValidationFailed | None]:
        """Gateway ``code``'s row, and why it may not connect to this receiver (None:
        it may)."""
        row = self._row(code)
        if row is None:
            return row, ReadingsRefused.of("readings.gateway_unknown", gateway=code)
        if row.protocol != "mohurd":
            return row, ValidationFailed.of("gateway.not_mohurd", gateway=code,
                                            protocol=row.protocol)
        if row.status != "active":
            return row, ReadingsRefused.of("readings.gateway_disabled", gateway=code)
        if not row.secret:
            return row, ValidationFailed.of("gateway.secret_missing", gateway=code)
        if (row.profile or DEFAULT_PROFILE) != self.profile:
            return row, ValidationFailed.of("gateway.profile_mismatch", gateway=code,
                                            profile=row.profile or DEFAULT_PROFILE,
                                            listener=self.profile)
        return row, None

    def credentials(self, building_id: str, gateway_id: str) -> str | None:
        code = gateway_code(building_id, gateway_id)
        if len(code) > 64:
            return None
        row, why = self._admit(code)
        return None if why is not None else str(row.secret)

    def refused(self, who: str, refusal: Refused) -> None:
        kind = REFUSAL_KIND.get(refusal.code, "malformed")
        text = f"{refusal.message_zh} / {refusal.message_en}"
        if refusal.code == "gateway.unknown_gateway" and len(who) <= 64:
            _, why = self._admit(who)
            if why is not None:
                kind = (why.code.rsplit(".", 1)[-1] if isinstance(why, ReadingsRefused)
                        else "auth")
                text = reason(why)
        log.info("mohurd: %s refused (%s): %s", who, kind, refusal.message_en)
        log_refusal(self.engine, who, kind, text)

    def store(self, batch: ReadingsBatch) -> Outcome:
        code = gateway_code(batch.building_id, batch.gateway_id)
        batch_id = f"{batch.operation}:{batch.sequence}"
        try:
            stored = store_batch(self.engine, code, sent_readings(batch), batch_id=batch_id)
        except ReadingsRefused as err:
            log_refusal(self.engine, code, err.refusal, reason(err), batch_id=batch_id,
                        readings=len(batch.readings))
            return Outcome(False)
        except ValidationFailed as err:
            log_refusal(self.engine, code, "malformed", reason(err), batch_id=batch_id,
                        readings=len(batch.readings))
            return Outcome(False)
        return Outcome(True, stored.written)

    def heartbeat(self, event: Heartbeat) -> None:
        """``last_seen`` of the gateway (an empty batch); a failure is only logged."""
        try:
            store_batch(self.engine, gateway_code(event.building_id, event.gateway_id), [])
        except Exception as err:  # a heartbeat is answered whatever the database says
            log.warning("mohurd: last_seen of %s/%s not updated: %s", event.building_id,
                        event.gateway_id, err)
