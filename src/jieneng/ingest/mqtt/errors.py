"""The refusals of the MQTT input: :class:`MqttRefused` and :class:`BatchRefused`.

Every refusal has a stable code under ``mqtt.`` and its zh/en texts in the message
catalogue (``error.mqtt.*``). A refused batch is never half-applied: it goes whole to
the dead-letter record and is acknowledged, so the broker does not send it again.
"""

from __future__ import annotations

from collections.abc import Collection

from jieneng.core.exceptions import ValidationFailed

_LISTED = 10


class MqttRefused(ValidationFailed):
    """A message on a readings topic is not a valid batch (size, JSON, fields, topic,
    configuration)."""


class BatchRefused(ValidationFailed):
    """Raised by a ``store`` callback for a batch that will never be accepted (an
    unknown meter, a meter of another gateway): dead-lettered and acknowledged, not
    retried. Any other exception from ``store`` means "not committed, try again"."""


def _listed(meters: Collection[str]) -> str:
    names = sorted(meters)
    return ", ".join(names[:_LISTED]) + (" …" if len(names) > _LISTED else "")


def unknown_meters(gateway: str, meters: Collection[str]) -> BatchRefused:
    """For ``store``: the batch names meters the registry does not know."""
    return BatchRefused.of("mqtt.meter_unknown", gateway=gateway, count=len(meters),
                           meters=_listed(meters))


def foreign_meters(gateway: str, meters: Collection[str]) -> BatchRefused:
    """For ``store``: the batch names meters that are not this gateway's."""
    return BatchRefused.of("mqtt.meter_not_gateways", gateway=gateway, count=len(meters),
                           meters=_listed(meters))
