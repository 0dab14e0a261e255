"""Topics and the JSON batch of readings a gateway publishes (docs/mqtt.md).

Topic: ``jieneng/v1/{gateway_id}/readings``; payload (UTF-8 JSON, at most
:data:`MAX_PAYLOAD_BYTES`)::

    {"gateway": "gw-0001", "batch_id": "2026-12-03T14:15:00+08:00#17",
     "readings": [{"meter": "M-001", "ts": "2026-12-03T14:15:00+08:00",
                   "value": 12345.6, "kind": "cumulative", "unit": "kWh"}]}

:func:`parse_batch` checks everything strictly and returns a :class:`Batch` or raises
:class:`~jieneng.ingest.mqtt.errors.MqttRefused` for the whole batch (the first
problem found, with the reading's index): nothing of a refused batch is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple, overload

import orjson

from .errors import MqttRefused

TOPIC_PREFIX = "jieneng/v1"
#: the share group of the platform's subscribers
SHARE_GROUP = "jieneng"
#: the filter every worker subscribes to (MQTT 5 shared subscription)
SHARED_FILTER = f"$share/{SHARE_GROUP}/{TOPIC_PREFIX}/+/readings"
MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_READINGS = 20_000
KINDS = frozenset({"cumulative", "interval"})
#: 2000-01-01T00:00:00Z … 2100-01-01T00:00:00Z (the platform's periods start in 2000)
TS_MIN, TS_MAX = 946_684_800, 4_102_444_800

_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
_METER = re.compile(r"[^\x00-\x1f\x7f]{1,64}\Z")
_BATCH_ID = re.compile(r"[^\x00-\x1f\x7f]{1,128}\Z")
_UNIT = re.compile(r"[^\x00-\x1f\x7f]{1,16}\Z")
_TOP_KEYS = frozenset({"gateway", "batch_id", "readings"})
_READING_KEYS = frozenset({"meter", "ts", "value", "kind", "unit"})


class Reading(NamedTuple):
    """One reading as sent: ``ts`` in UTC epoch seconds (a fraction dropped),
    ``unit`` None when the meter's own unit applies."""

    meter: str
    ts: int
    value: float
    kind: str
    unit: str | None


class Readings(Sequence[Reading]):
    """The readings of a batch held column by column, as the parser's fast path found
    them (no object per reading: the store takes the columns whole); a
    ``Sequence[Reading]`` for everyone else, equal to the tuple of its readings."""

    __slots__ = ("kinds", "meters", "ts", "units", "values")

    def __init__(self, meters: list[str], ts: list[int], values: list[float],
                 kinds: list[str], units: list[str | None]) -> None:
        self.meters, self.ts, self.values = meters, ts, values
        self.kinds, self.units = kinds, units

    def __len__(self) -> int:
        return len(self.meters)

    @overload
    def __getitem__(self, index: int) -> Reading: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Reading, ...]: ...
    def __getitem__(self, index: int | slice) -> Reading | tuple[Reading, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        return Reading(self.meters[index], self.ts[index], self.values[index],
                       self.kinds[index], self.units[index])

    def __iter__(self) -> Iterator[Reading]:
        return map(Reading, self.meters, self.ts, self.values, self.kinds, self.units)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Readings({list(self)!r})"


class Batch(NamedTuple):
    """A valid batch: who sent it (the topic's gateway, equal to the payload's), its
    id, and its readings in the order sent (a :class:`Readings` from the parser)."""

    gateway: str
    batch_id: str
    readings: Sequence[Reading]


def valid_gateway_id(value: str) -> bool:
    """A gateway id is 1–64 of ``A–Z a–z 0–9 _ . -``: one topic level, one broker
    username (no ``/ + # $ %`` or spaces)."""
    return bool(_ID.match(value))


def readings_topic(gateway: str) -> str:
    if not valid_gateway_id(gateway):
        raise MqttRefused.of("mqtt.gateway_id_invalid", value=gateway)
    return f"{TOPIC_PREFIX}/{gateway}/readings"


def gateway_of(topic: str) -> str:
    """The gateway a readings topic belongs to (``mqtt.topic_invalid`` otherwise)."""
    parts = topic.split("/")
    if (len(parts) != 4 or "/".join(parts[:2]) != TOPIC_PREFIX or parts[3] != "readings"
            or not valid_gateway_id(parts[2])):
        raise MqttRefused.of("mqtt.topic_invalid", topic=topic[:200])
    return parts[2]


def parse_batch(topic: str, payload: bytes, *, max_bytes: int = MAX_PAYLOAD_BYTES,
                max_readings: int = MAX_READINGS) -> Batch:
    """The batch published on ``topic``, checked whole (see the module)."""
    return parse_payload(gateway_of(topic), payload, max_bytes=max_bytes,
                         max_readings=max_readings)


def parse_payload(gateway: str, payload: bytes, *, max_bytes: int = MAX_PAYLOAD_BYTES,
                  max_readings: int = MAX_READINGS) -> Batch:
    """The batch of ``gateway`` (known from the topic, or from the token of an HTTP
    push), checked whole: its ``gateway`` field must name the same gateway."""
    if len(payload) > max_bytes:
        raise MqttRefused.of("mqtt.payload_too_large", size=len(payload), limit=max_bytes)
    try:
        doc = orjson.loads(payload)  # strict JSON: no NaN/Infinity, valid UTF-8 only
    except (orjson.JSONDecodeError, RecursionError):
        raise MqttRefused.of("mqtt.payload_not_json") from None
    if not isinstance(doc, dict):
        raise MqttRefused.of("mqtt.payload_not_object")
    _only_keys(doc, _TOP_KEYS, None)
    sent = _text(doc, "gateway", _ID, None)
    if sent != gateway:
        raise MqttRefused.of("mqtt.gateway_mismatch", gateway=sent, topic_gateway=gateway)
    batch_id = _text(doc, "batch_id", _BATCH_ID, None)
    items = doc.get("readings")
    if not isinstance(items, list):
        raise MqttRefused.of("mqtt.field_invalid", field="readings", index="-")
    if not items:
        raise MqttRefused.of("mqtt.batch_empty")
    if len(items) > max_readings:
        raise MqttRefused.of("mqtt.too_many_readings", count=len(items), limit=max_readings)
    fast = _fast_readings(items)
    if fast is not None:
        return Batch(gateway, batch_id, fast)
    return Batch(gateway, batch_id, tuple(_reading(item, i) for i, item in enumerate(items)))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUMBER_TYPES = frozenset({int, float})
_METER_OF, _KIND_OF = itemgetter("meter"), itemgetter("kind")
_TS_OF, _VALUE_OF = itemgetter("ts"), itemgetter("value")


def _fast_readings(items: list[Any]) -> Readings | None:
    """The readings of an ordinary batch checked column by column (a few list passes
    instead of a dozen checks per reading), or None when anything is unusual — an
    ISO time, a missing or extra field, a bad value … — and :func:`_reading` must
    look at each reading to name the first problem. Accepts exactly what
    :func:`_reading` accepts, with the same result."""
    try:
        meters = list(map(_METER_OF, items))
        kinds = list(map(_KIND_OF, items))
        stamps = list(map(_TS_OF, items))
        values = list(map(_VALUE_OF, items))
        sizes = set(map(len, items))
        units: list[Any] = ([None] * len(items) if sizes == {4}
                            else [item.get("unit") for item in items])
        if sizes != {4} and any(len(item) != 4 + (unit is not None)
                                for item, unit in zip(items, units, strict=True)):
            return None  # an extra field (or "unit": null)
    except (TypeError, KeyError, AttributeError):
        return None  # an item that is not an object, a missing field
    if (not set(map(type, meters)) <= {str} or not set(kinds) <= KINDS
            or not set(map(type, values)) <= _NUMBER_TYPES
            or not set(map(type, stamps)) <= _NUMBER_TYPES):
        return None
    given = [u for u in units if u is not None]
    if not set(map(type, given)) <= {str}:
        return None
    lengths = list(map(len, meters))
    unit_lengths = list(map(len, given)) or [1]
    if (min(lengths) < 1 or max(lengths) > 64 or min(unit_lengths) < 1
            or max(unit_lengths) > 16 or _CONTROL.search("".join(meters))
            or _CONTROL.search("".join(given))):
        return None
    try:
        floats = list(map(float, values))
        if not math.isfinite(math.fsum(floats)) or not math.isfinite(math.fsum(stamps)):
            return None
        seconds = list(map(math.floor, stamps))
    except (OverflowError, ValueError):
        return None
    if min(seconds) < TS_MIN or max(seconds) >= TS_MAX:
        return None
    return Readings(meters, seconds, floats, kinds, units)


def _only_keys(doc: dict[str, Any], allowed: frozenset[str], index: int | None) -> None:
    extra = doc.keys() - allowed
    if extra:
        raise MqttRefused.of("mqtt.field_unknown", field=sorted(extra)[0][:64],
                             index="-" if index is None else index)


def _text(doc: dict[str, Any], field: str, pattern: re.Pattern[str], index: int | None) -> str:
    where = "-" if index is None else index
    if field not in doc:
        raise MqttRefused.of("mqtt.field_missing", field=field, index=where)
    value = doc[field]
    if not isinstance(value, str) or not pattern.match(value):
        raise MqttRefused.of("mqtt.field_invalid", field=field, index=where)
    return value


def _reading(item: Any, index: int) -> Reading:
    if not isinstance(item, dict):
        raise MqttRefused.of("mqtt.field_invalid", field="readings", index=index)
    _only_keys(item, _READING_KEYS, index)
    meter = _text(item, "meter", _METER, index)
    kind = _text(item, "kind", _ID, index)
    if kind not in KINDS:
        raise MqttRefused.of("mqtt.field_invalid", field="kind", index=index)
    unit = _text(item, "unit", _UNIT, index) if "unit" in item else None
    for field in ("ts", "value"):
        if field not in item:
            raise MqttRefused.of("mqtt.field_missing", field=field, index=index)
    value = item["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MqttRefused.of("mqtt.field_invalid", field="value", index=index)
    return Reading(meter, _epoch(item["ts"], index), float(value), kind, unit)


def _epoch(value: Any, index: int) -> int:
    """Epoch seconds from a number or from ISO-8601 text with a UTC offset."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise MqttRefused.of("mqtt.field_invalid", field="ts", index=index) from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise MqttRefused.of("mqtt.ts_without_offset", index=index)
        seconds = math.floor(moment.timestamp())
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        seconds = math.floor(value)
    else:
        raise MqttRefused.of("mqtt.field_invalid", field="ts", index=index)
    if not TS_MIN <= seconds < TS_MAX:
        raise MqttRefused.of("mqtt.ts_out_of_range", index=index)
    return seconds
