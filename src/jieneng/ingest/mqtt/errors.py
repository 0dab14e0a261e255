"""The refusals of the MQTT input: :class:`MqttRefused` and :class:`BatchRefused`.

Every refusal has a stable code under ``mqtt.`` and its zh/en texts in the message
catalogue (``error.mqtt.*``). A refused batch is never half-applied: it goes whole to
the dead-letter record and is acknowledged, so the broker does not send it again.
"""

from __future__ import annotations

from jieneng.core.exceptions import ValidationFailed


class MqttRefused(ValidationFailed):
    """A message on a readings topic is not a valid batch (size, JSON, fields, topic,
    configuration)."""


class BatchRefused(ValidationFailed):
    """Raised by a ``store`` callback for a batch that will never be accepted (an
    unknown meter, a meter of another gateway): dead-lettered and acknowledged, not
    retried. Any other exception from ``store`` means "not committed, try again"."""
