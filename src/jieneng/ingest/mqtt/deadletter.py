"""The dead-letter record: every refused batch, whole, with its reason.

A :class:`DeadLetter` is handed to the subscriber's ``dead_letter`` callback before
the message is acknowledged; the callback raises when it could not record it (the
message is then not acknowledged and comes again). :class:`JsonlDeadLetters` is the
default: one JSON line per refusal appended to a file and flushed to disk, until the
gateway registry keeps them per gateway (the gateway's page).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from jieneng.core.exceptions import DomainError

#: at most this much of a refused payload is kept
KEPT_PAYLOAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class DeadLetter:
    received_at: float  # epoch seconds
    topic: str
    gateway: str | None  # from the topic, None when the topic is not a readings topic
    code: str
    message_zh: str
    message_en: str
    details: dict[str, object]
    payload_size: int
    payload_b64: str  # the first KEPT_PAYLOAD_BYTES of the payload

    @classmethod
    def of(cls, topic: str, gateway: str | None, payload: bytes, err: DomainError) -> DeadLetter:
        details: dict[str, object] = {k: v if isinstance(v, int | float | str | None) else str(v)
                   for k, v in err.details.items()}
        return cls(time.time(), topic, gateway, err.code, err.message_zh, err.message_en,
                   details, len(payload),
                   base64.b64encode(payload[:KEPT_PAYLOAD_BYTES]).decode("ascii"))


class JsonlDeadLetters:
    """Append each dead letter as one JSON line to ``path`` (fsync'd)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, letter: DeadLetter) -> None:
        line = json.dumps(asdict(letter), ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
