"""The protocol session of one gateway connection, without I/O (bytes in → events out).

States: ``connected`` → (``id_validate request``) ``challenged`` → (right ``md5``)
``authenticated``. Before authentication only ``id_validate`` is accepted: anything
else is refused and the connection closed. The caller feeds what the socket read to
:meth:`Session.receive`, sends :meth:`Session.data_to_send`, and closes the socket
after a :class:`Closed` event. Readings come out as a :class:`ReadingsBatch`; the
acknowledgement by ``sequence`` is made only by :meth:`Session.committed`, which the
caller calls once the batch is stored (at least once: a batch lost before its commit
is not acknowledged, and the gateway resends it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from .codec import pack, unpack
from .errors import GatewayRefused
from .framing import Deframer
from .model import ACK_OF, Message, epoch_to_local, local_to_epoch
from .profile import Profile

#: (building_id, gateway_id) → the gateway's 认证密钥, or None for an unknown gateway
Credentials = Callable[[str, str], str | None]


class State(Enum):
    CONNECTED = "connected"
    CHALLENGED = "challenged"
    AUTHENTICATED = "authenticated"
    CLOSED = "closed"


class Reading(NamedTuple):
    """One value of a batch (a named tuple, for the same reason as ``model.Function``)."""

    meter_id: str
    function_id: str
    coding: str | None
    error: str | None
    #: the number sent, or None when the text is not a number (``raw`` keeps it)
    value: float | None
    raw: str
    #: UTC epoch seconds (the message's local Asia/Shanghai time, converted)
    ts: int


@dataclass(frozen=True)
class ReadingsBatch:
    building_id: str
    gateway_id: str
    operation: str
    sequence: str
    parsed: bool
    ts: int
    readings: tuple[Reading, ...]
    current: int | None = None
    total: int | None = None

    @property
    def needs_ack(self) -> bool:
        return self.operation in ACK_OF


@dataclass(frozen=True)
class Authenticated:
    building_id: str
    gateway_id: str


@dataclass(frozen=True)
class Heartbeat:
    building_id: str
    gateway_id: str
    #: what the platform answered (UTC epoch seconds), which also sets the gateway's clock
    server_ts: int


@dataclass(frozen=True)
class Acknowledged:
    """A gateway's answer to a command of the platform (``period_ack``, ``archives_ack``)."""

    message: Message


@dataclass(frozen=True)
class Refused:
    """A refused frame or message: the stable code, both texts, the details."""

    code: str
    message_zh: str
    message_en: str
    details: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, err: GatewayRefused) -> Refused:
        return cls(err.code, err.message_zh, err.message_en, dict(err.details))


@dataclass(frozen=True)
class Closed:
    """The caller closes the connection (after sending what is pending)."""

    code: str


Event = ReadingsBatch | Authenticated | Heartbeat | Acknowledged | Refused | Closed


def md5_answer(profile: Profile, sequence: str, key: str) -> str:
    """The expected ``<md5>``: MD5 (hex) of the sequence and the key, in the profile's order."""
    text = sequence + key if profile.md5_order == "sequence_key" else key + sequence
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _optional_int(message: Message, name: str) -> int | None:
    text = message.fields.get(name)
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()):
        raise GatewayRefused.of("gateway.field_invalid", field=name, value=text[:40])
    return int(text)


def readings_batch(message: Message) -> ReadingsBatch:
    """The readings of a ``data`` report / continuous / reply message."""
    ts = local_to_epoch(message.field("time"))
    readings = tuple(
        Reading(meter.id, fn.id, fn.coding, fn.error, _number(fn.text), fn.text, ts)
        for meter in message.meters for fn in meter.functions)
    return ReadingsBatch(
        building_id=message.building_id, gateway_id=message.gateway_id,
        operation=message.operation, sequence=message.field("sequence"),
        parsed=message.fields.get("parser", "yes").lower() != "no", ts=ts, readings=readings,
        current=_optional_int(message, "current"), total=_optional_int(message, "total"))


class Session:
    """One gateway connection. ``aes_key`` is the source's key (profiles with a cipher);
    ``credentials`` gives each gateway's 认证密钥; ``clock`` and ``challenge`` are
    injectable for tests."""

    def __init__(self, profile: Profile, credentials: Credentials, *,
                 aes_key: bytes | None = None, clock: Callable[[], float] = time.time,
                 challenge: Callable[[], str] = lambda: secrets.token_hex(8)) -> None:
        if profile.cipher.enabled and (aes_key is None or len(aes_key) != 16):
            raise GatewayRefused.of("gateway.key_invalid",
                                    size=0 if aes_key is None else len(aes_key))
        self.profile = profile
        self.state = State.CONNECTED
        self.building_id = ""
        self.gateway_id = ""
        self._credentials = credentials
        self._key = aes_key
        self._clock = clock
        self._challenge = challenge
        self._sequence = ""
        self._deframer = Deframer(profile.framing, profile.max_message_bytes + 32)
        self._out = bytearray()
        self._unacked: dict[str, deque[str]] = {}

    # -- the caller's side -------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    def receive(self, data: bytes) -> list[Event]:
        """Bytes read from the socket → events, in order."""
        if self.state is State.CLOSED:
            return []
        events: list[Event] = []
        for item in self._deframer.feed(data):
            if self.closed:
                break
            if isinstance(item, GatewayRefused):
                events.append(Refused.of(item))
            else:
                events += self._frame(item.payload)
        if self._deframer.broken and not self.closed:
            events.append(self._close("gateway.stream_broken"))
        return events

    def end_of_stream(self) -> list[Event]:
        """The peer closed: a partial frame left behind is refused as truncated."""
        if self.closed:
            return []
        pending = self._deframer.pending()
        self.state = State.CLOSED
        if pending and not self._deframer.broken:
            err = GatewayRefused.of("gateway.frame_truncated", size=pending)
            return [Refused.of(err), Closed(err.code)]
        return [Closed("gateway.closed")]

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket (challenges, results, 校时 replies); drained."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def committed(self, sequence: str, *, accepted: bool = True) -> bytes:
        """The batch ``sequence`` is stored (or, ``accepted`` false, refused for good and
        logged): the acknowledgement to send for it (``<result>fail</result>`` for a
        refused batch where the profile sends a result)."""
        waiting = self._unacked.get(sequence)
        if not waiting:
            raise GatewayRefused.of("gateway.unknown_batch", sequence=sequence[:40])
        operation = waiting.popleft()
        if not waiting:
            del self._unacked[sequence]
        result = {"result": "pass" if accepted else "fail"} if self.profile.ack_result else {}
        fields = {"sequence": sequence} | result
        return self._pack(ACK_OF[operation], fields)

    def command(self, operation: str, fields: dict[str, str]) -> bytes:
        """A command of the platform to this gateway (``period``, ``archives``, ``query``)."""
        return self._pack(operation, fields)

    # -- inside ------------------------------------------------------------------
    def _pack(self, operation: str, fields: dict[str, str]) -> bytes:
        return pack(Message(operation, self.building_id, self.gateway_id, fields),
                    self.profile, self._key)

    def _close(self, code: str) -> Closed:
        self.state = State.CLOSED
        return Closed(code)

    def _frame(self, payload: bytes) -> list[Event]:
        try:
            message = unpack(payload, self.profile, self._key)
            return self._dispatch(message)
        except GatewayRefused as err:
            events: list[Event] = [Refused.of(err)]
            if err.fatal:
                events.append(self._close(err.code))
            return events

    def _dispatch(self, message: Message) -> list[Event]:
        if message.operation == "request":
            return self._request(message)
        if (message.building_id, message.gateway_id) != (self.building_id, self.gateway_id) \
                and self.state is not State.CONNECTED:
            raise GatewayRefused.of("gateway.identity_changed", building_id=message.building_id,
                                    gateway_id=message.gateway_id)
        if message.operation == "md5":
            return self._md5(message)
        if self.state is not State.AUTHENTICATED:
            raise GatewayRefused.of("gateway.not_authenticated", operation=message.operation)
        if message.operation == "notify":
            now = int(self._clock())
            self._out += self._pack("time", {"time": epoch_to_local(now)})
            return [Heartbeat(self.building_id, self.gateway_id, now)]
        if message.operation in ("report", "continuous", "reply"):
            batch = readings_batch(message)
            if batch.needs_ack:
                self._unacked.setdefault(batch.sequence, deque()).append(batch.operation)
            return [batch]
        if message.operation in ("period_ack", "archives_ack"):
            return [Acknowledged(message)]
        raise GatewayRefused.of("gateway.message_unknown", element=message.kind,
                                operation=message.operation)

    def _request(self, message: Message) -> list[Event]:
        if self.state is not State.CONNECTED and (message.building_id, message.gateway_id) != (
                self.building_id, self.gateway_id):
            raise GatewayRefused.of("gateway.identity_changed", building_id=message.building_id,
                                    gateway_id=message.gateway_id)
        self.building_id, self.gateway_id = message.building_id, message.gateway_id
        if self._credentials(self.building_id, self.gateway_id) is None:
            self._out += self._pack("result", {"result": "fail"})
            raise GatewayRefused.of("gateway.unknown_gateway", building_id=self.building_id,
                                    gateway_id=self.gateway_id)
        self._sequence = self._challenge()
        self.state = State.CHALLENGED
        self._out += self._pack("sequence", {"sequence": self._sequence})
        return []

    def _md5(self, message: Message) -> list[Event]:
        if self.state is not State.CHALLENGED:
            raise GatewayRefused.of("gateway.md5_without_challenge")
        key = self._credentials(self.building_id, self.gateway_id)
        answer = message.fields.get("md5", "").strip().lower()
        expected = md5_answer(self.profile, self._sequence, key or "")
        if key is None or not hmac.compare_digest(answer.encode(), expected.encode()):
            self._out += self._pack("result", {"result": "fail"})
            raise GatewayRefused.of("gateway.bad_md5", building_id=self.building_id,
                                    gateway_id=self.gateway_id)
        self.state = State.AUTHENTICATED
        self._sequence = ""
        self._out += self._pack("result", {"result": "pass"})
        return [Authenticated(self.building_id, self.gateway_id)]
