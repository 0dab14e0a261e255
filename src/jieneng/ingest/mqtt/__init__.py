"""The MQTT input: gateways publish batches of readings to Mosquitto (docs/mqtt.md).

:mod:`.payload` (topics, the JSON batch checked whole), :mod:`.broker` (Mosquitto's
password file, ACL and configuration from the gateway list), :mod:`.deadletter`
(refused batches, recorded whole), :mod:`.subscriber` (paho-mqtt, persistent
session, the PUBACK only after ``store(batch)`` returned) and :mod:`.dispatch` (one
session feeding several worker processes, acknowledged in order after each group's
commit). No database here: the caller's ``store`` commits a batch or raises.
"""

from __future__ import annotations

from .deadletter import DeadLetter, JsonlDeadLetters
from .errors import BatchRefused, MqttRefused, foreign_meters, unknown_meters
from .payload import (
    MAX_PAYLOAD_BYTES,
    MAX_READINGS,
    SHARED_FILTER,
    TOPIC_PREFIX,
    Batch,
    Reading,
    gateway_of,
    parse_batch,
    parse_payload,
    readings_topic,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "MAX_READINGS",
    "SHARED_FILTER",
    "TOPIC_PREFIX",
    "Batch",
    "BatchRefused",
    "DeadLetter",
    "JsonlDeadLetters",
    "MqttRefused",
    "Reading",
    "foreign_meters",
    "gateway_of",
    "parse_batch",
    "parse_payload",
    "readings_topic",
    "unknown_meters",
]
