"""``POST /api/v1/readings``: a gateway's batch — the MQTT payload
(:func:`jieneng.ingest.mqtt.payload.parse_payload`) — authenticated by the gateway's
own token (``Authorization: Bearer``; not an account, so no session and no CSRF),
stored whole or not at all by :func:`jieneng.services.metering.ingest.store_batch`; a
refusal is logged for the gateway's page (docs/gateways.md). The registry's pages are
:mod:`jieneng.web.gateways`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from jieneng.core.exceptions import DomainError, NotPermitted
from jieneng.ingest.mqtt.errors import MqttRefused
from jieneng.ingest.mqtt.payload import MAX_PAYLOAD_BYTES, parse_payload
from jieneng.services.metering import gateways as service
from jieneng.services.metering.ingest import ReadingsRefused, SentReading, log_refusal, store_batch
from jieneng.web.deps import EngineDep
from jieneng.web.errors import API_ERRORS, ErrorOut
from jieneng.web.limits import BodyTooLarge

push = APIRouter(prefix="/api/v1", tags=["readings"])


class GatewayTokenRefused(NotPermitted):
    """No gateway holds the bearer token of a push: HTTP 401."""

    code = "readings.token_invalid"
    http_status = 401


class PushOut(BaseModel):
    gateway: str
    batch_id: str
    stored: int = Field(description="readings received in the batch")
    written: int = Field(description="rows inserted or changed (a resend: 0)")


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _claimed(body: bytes) -> str:
    """The ``gateway`` a refused body names ('' when it names none)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    name = doc.get("gateway") if isinstance(doc, dict) else None
    return name[:64] if isinstance(name, str) else ""


def _refuse(engine: Engine, gateway: str, kind: str, err: DomainError, *,
            batch_id: str | None = None, readings: int = 0) -> DomainError:
    log_refusal(engine, gateway, kind, f"{err.message_zh} / {err.message_en}",
                batch_id=batch_id, readings=readings)
    return err


@push.post("/readings", response_model=PushOut,
           responses={**API_ERRORS, 413: {"model": ErrorOut}})
async def push_readings(request: Request, engine: EngineDep) -> dict[str, Any]:
    """Store a gateway's batch of readings (the MQTT payload, docs/gateways.md):
    ``Authorization: Bearer <gateway token>``. 200 once stored (a resend stores
    nothing again); 401 for a token no gateway holds; 413 over 1 MiB; 422 for a batch
    refused whole (malformed, unknown meters, another gateway's meters) — logged on the
    gateway's page, nothing of it stored."""
    declared = request.headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES
    gateway = await run_in_threadpool(service.gateway_by_token, engine, _bearer(request))
    if gateway is None:
        body = b"" if too_large else await request.body()
        claimed = _claimed(body[:MAX_PAYLOAD_BYTES])
        err = GatewayTokenRefused.of("readings.token_invalid")
        known = bool(claimed) and await run_in_threadpool(service.gateway_exists, engine,
                                                          claimed)
        if known:
            await run_in_threadpool(_refuse, engine, claimed, "token", err)
        raise err
    code = str(gateway.code)
    if too_large:
        raise await run_in_threadpool(_refuse, engine, code, "oversized", BodyTooLarge.of(
            "too_large", limit=MAX_PAYLOAD_BYTES))
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise await run_in_threadpool(_refuse, engine, code, "oversized", BodyTooLarge.of(
            "too_large", limit=MAX_PAYLOAD_BYTES))
    try:
        batch = parse_payload(code, body)
    except MqttRefused as err:
        raise await run_in_threadpool(_refuse, engine, code, "malformed", err) from None
    readings = [SentReading(r.meter, r.ts, r.value) for r in batch.readings]
    try:
        done = await run_in_threadpool(store_batch, engine, code, readings,
                                       batch_id=batch.batch_id)
    except ReadingsRefused as err:
        raise await run_in_threadpool(_refuse, engine, code, err.refusal, err,
                                      batch_id=batch.batch_id,
                                      readings=len(readings)) from None
    return {"gateway": code, "batch_id": batch.batch_id, "stored": done.received,
            "written": done.written}
