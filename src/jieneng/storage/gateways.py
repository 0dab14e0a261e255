"""Gateways — the machines that push readings (issue 12 §2) — and what they may write.

- ``metering_gateway`` — one data source: ``code`` is the id it sends (MQTT topic
  segment / username, MOHURD ``building_id``+``gateway_id`` joined by ``/``, HTTP
  ``gateway`` field); ``protocol`` mqtt | http | mohurd; owned by a region (the
  office that manages it) and optionally one institution; ``token_hash`` the
  SHA-256 (hex) of its HTTP token (a 32-byte random secret, so a fast hash is
  enough); ``secret`` the MOHURD shared key (MD5 answer and AES-128 key need the
  key itself); ``profile`` the MOHURD profile name; ``last_seen`` epoch s.
- ``metering_gateway_meter`` — which meters a gateway may write, under the code it
  sends for each (unique per gateway; a meter is fed by one gateway at a time):
  both the resolution of a sent meter code and the gateway's ACL.
- ``metering_gateway_log`` — every refusal (malformed payload, unknown meter,
  another gateway's meter, wrong MD5, truncated or oversized frame, bad token) with
  its reason, per gateway; shown on the gateway's page.
- ``metering_dirty`` — ranges [``low``, ``high``) of epoch s per meter whose raw
  readings changed since the derived intervals and roll-ups were last computed;
  written in the same transaction as the readings, consumed by the derivation
  (:mod:`jieneng.services.metering.derive`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from .tables import BigId, metadata

PROTOCOLS: tuple[str, ...] = ("mqtt", "http", "mohurd")

metering_gateway = Table(
    "metering_gateway",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=True),
    Column("protocol", String(8), nullable=False),
    Column("region_code", String(12), nullable=False, index=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=True,
           index=True),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("secret", Text, nullable=True),
    Column("profile", String(64), nullable=True),
    Column("status", String(8), nullable=False, server_default=text("'active'")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=True),
    CheckConstraint("protocol IN ('mqtt', 'http', 'mohurd')", name="protocol"),
    CheckConstraint("status IN ('active', 'disabled')", name="status"),
)

metering_gateway_meter = Table(
    "metering_gateway_meter",
    metadata,
    Column("gateway_id", Integer, ForeignKey("metering_gateway.id"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("meter_id", Integer, ForeignKey("metering_meter.id"), nullable=False),
    UniqueConstraint("meter_id"),
)

metering_gateway_log = Table(
    "metering_gateway_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("gateway_id", Integer, ForeignKey("metering_gateway.id"), nullable=True),
    Column("gateway_code", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("batch_id", String(128), nullable=True),
    Column("readings", Integer, nullable=False, server_default=text("0")),
    Index("ix_metering_gateway_log_gateway_id_at", "gateway_id", "at"),
)

metering_dirty = Table(
    "metering_dirty",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("meter_id", Integer, nullable=False, index=True),
    Column("low", BigInteger, nullable=False),
    Column("high", BigInteger, nullable=False),
    CheckConstraint("high > low", name="range"),
)
