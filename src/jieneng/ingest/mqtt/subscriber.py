"""The subscriber: readings batches from Mosquitto to ``store``, at least once.

paho-mqtt 2.x with ``manual_ack=True`` (aiomqtt 2.5 has no manual acknowledgement):
the library does not send the PUBACK of a QoS 1 message when the message callback
returns (``Client._handle_publish``: ``if self._manual_ack: return``); the subscriber
sends it with ``Client.ack(mid, 1)`` only after

- ``store(batch)`` returned (the batch is committed), or
- the batch was refused (:class:`MqttRefused` from the parser, :class:`BatchRefused`
  from ``store``) and ``dead_letter(record)`` returned (the refusal is recorded).

Any other exception of ``store`` or ``dead_letter`` means "not committed": the message
and every later one of this connection stay unacknowledged, the subscriber
disconnects, waits (1, 2, 4 … 30 s) and reconnects, and the broker sends the
unacknowledged messages again (MQTT 5 §4.4: only on reconnection). The session is
persistent (MQTT 5, ``clean_start`` False, a session expiry, a fixed client id per
worker), so messages published while a worker is down are queued for it. Several
worker processes: one session on the plain filter feeding them
(:mod:`.dispatch`: a plain subscription is restored after a broker restart, a shared
one is not), or each its own session in the shared subscription
``$share/jieneng/jieneng/v1/+/readings`` (several hosts; ``--shared``).
Storage must be idempotent per (meter, ts): a batch may come twice.

**Groups** (``store_many``): instead of one commit per message, the subscriber may
hold up to ``group_max`` messages (or ``group_wait_s`` after the first) and hand their
batches to ``store_many(batches)`` at once — one transaction for all of them, which
returns per batch None (stored) or the :class:`BatchRefused` that left it out. Every
message of the group is acknowledged only after ``store_many`` returned and each
refusal was dead-lettered; when ``store_many`` raises, none is, and all come again.
When ``stop`` is set the group in hand is finished (stored and acknowledged) before
the subscriber disconnects; a group in hand when the connection is lost is dropped
unacknowledged (the broker sends it again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from jieneng.core.exceptions import DomainError

from .deadletter import DeadLetter
from .errors import BatchRefused, MqttRefused
from .payload import MAX_PAYLOAD_BYTES, MAX_READINGS, SHARED_FILTER, Batch, parse_batch

log = logging.getLogger("jieneng.mqtt")

Store = Callable[[Batch], None]
StoreMany = Callable[[Sequence[Batch]], Sequence[BatchRefused | None]]
DeadLetters = Callable[[DeadLetter], None]


class Held(NamedTuple):
    """A message held for a group (its id on this connection, topic, payload)."""

    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    username: str
    password: str
    client_id: str  # fixed per worker: it names the persistent session
    keepalive: int = 30
    session_expiry_s: int = 14 * 24 * 3600
    receive_maximum: int = 100  # unacknowledged QoS 1 messages the broker may send
    tls: bool = False


@dataclass
class Counters:
    received: int = 0
    stored: int = 0
    readings_stored: int = 0
    dead_lettered: int = 0
    store_failures: int = 0
    connects: int = 0
    refused_connects: int = 0
    groups: int = 0


class Subscriber:
    """One worker. :meth:`run` blocks until ``stop`` is set."""

    def __init__(self, conn: Connection, store: Store, dead_letter: DeadLetters, *,
                 subscription: str = SHARED_FILTER, max_bytes: int = MAX_PAYLOAD_BYTES,
                 max_readings: int = MAX_READINGS, max_backoff_s: float = 30.0,
                 store_many: StoreMany | None = None, group_max: int = 50,
                 group_wait_s: float = 0.05) -> None:
        self.conn = conn
        self.store_many = store_many
        self.group_max = max(1, group_max)
        self.group_wait_s = group_wait_s
        self._held: list[Held] = []
        self._held_since = 0.0
        self.store = store
        self.dead_letter = dead_letter
        self.subscription = subscription
        self.max_bytes = max_bytes
        self.max_readings = max_readings
        self.max_backoff_s = max_backoff_s
        self.counters = Counters()
        self.subscribed = threading.Event()
        self._failed = False
        self._draining = False  # stopping: messages still arriving are left unacknowledged
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.conn.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        client.username_pw_set(self.conn.username, self.conn.password)
        if self.conn.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # -- the loop -------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            if backoff:
                stop.wait(backoff)
                if stop.is_set():
                    break
            ok = self._session(stop)
            backoff = 0.0 if ok else min(self.max_backoff_s, max(1.0, backoff * 2))

    def _session(self, stop: threading.Event) -> bool:
        """One connection until it ends; False when it ended by a failure."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.conn.session_expiry_s
        props.ReceiveMaximum = self.conn.receive_maximum
        self._failed = False
        self._draining = False
        self._held = []  # message ids of an earlier connection are void
        self._new_session()
        self.subscribed.clear()
        try:
            self._client.connect(self.conn.host, self.conn.port, self.conn.keepalive,
                                 clean_start=False, properties=props)
        except OSError as err:
            log.warning("mqtt: cannot connect to %s:%s: %s", self.conn.host, self.conn.port, err)
            return False
        try:
            while not stop.is_set() and not self._failed:
                wait = self._loop_timeout()
                if self._client.loop(timeout=wait) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    log.warning("mqtt: connection lost")
                    self._held = []
                    return False
                if self._held and time.monotonic() - self._held_since >= self.group_wait_s:
                    self._flush(self._client)
                self._tick(self._client)
            if self._held and not self._failed:  # stopping: finish the group in hand
                self._flush(self._client)
            if not self._failed:
                self._draining = True
                self._finish(self._client)
                self._client.loop(timeout=0.1)  # send the acknowledgements
            return not self._failed
        finally:
            self._client.disconnect()
            self._client.loop(timeout=0.1)

    def _loop_timeout(self) -> float:
        return min(0.2, self.group_wait_s) if self._held else 0.2

    def _new_session(self) -> None:
        """Called before each connection (what an earlier one left in hand is void)."""

    def _tick(self, client: mqtt.Client) -> None:
        """Called after each turn of the network loop (a dispatcher takes its workers'
        results here)."""

    def _finish(self, client: mqtt.Client) -> None:
        """Called when stopping, after the group in hand was flushed."""

    # -- callbacks (run in the loop, one message at a time) ---------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: object, flags: mqtt.ConnectFlags,
                    reason: object, _props: object) -> None:
        if getattr(reason, "is_failure", False):
            self.counters.refused_connects += 1
            log.error("mqtt: connection refused: %s", reason)
            self._failed = True
            return
        self.counters.connects += 1
        log.info("mqtt: connected (session present: %s)", flags.session_present)
        client.subscribe(self.subscription, qos=1)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: object, _mid: int,
                      reasons: list[ReasonCode], _props: Properties) -> None:
        if any(r.is_failure for r in reasons):
            log.error("mqtt: subscription refused: %s", reasons)
            self._failed = True
            return
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, _userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        if self._failed or self._draining:
            return  # not acknowledged: it comes again after the reconnection
        self.counters.received += 1
        if self.store_many is not None:
            if not self._held:
                self._held_since = time.monotonic()
            self._held.append(Held(message.mid, message.qos, message.topic,
                                    bytes(message.payload)))
            if len(self._held) >= self.group_max:
                self._flush(client)
            return
        if self._handle(message.topic, bytes(message.payload)):
            client.ack(message.mid, message.qos)
        else:
            self._failed = True

    def _handle(self, topic: str, payload: bytes) -> bool:
        """True when the message may be acknowledged (stored, or refused and recorded)."""
        gateway: str | None = None
        try:
            batch = parse_batch(topic, payload, max_bytes=self.max_bytes,
                                max_readings=self.max_readings)
            gateway = batch.gateway
            self.store(batch)
        except (MqttRefused, BatchRefused) as err:
            return self._refuse(topic, gateway, payload, err)
        except Exception:
            self.counters.store_failures += 1
            log.exception("mqtt: batch from %s not stored; it will come again", topic)
            return False
        self.counters.stored += 1
        self.counters.readings_stored += len(batch.readings)
        return True

    def _flush(self, client: mqtt.Client) -> None:
        """Store the held group in one ``store_many`` call, dead-letter its refusals,
        then acknowledge every message of it (none when anything failed)."""
        held, self._held = self._held, []
        assert self.store_many is not None
        if not self.store_held(held):
            self._failed = True
            return
        for item in held:
            client.ack(item.mid, item.qos)

    def store_held(self, held: Sequence[Held]) -> bool:
        """Parse the held messages, store their batches in one ``store_many`` call and
        dead-letter the refusals; True when every message may be acknowledged."""
        assert self.store_many is not None
        parsed: list[tuple[Held, Batch]] = []
        refused: list[tuple[Held, str | None, DomainError]] = []
        for item in held:
            try:
                parsed.append((item, parse_batch(item.topic, item.payload,
                                                 max_bytes=self.max_bytes,
                                                 max_readings=self.max_readings)))
            except MqttRefused as err:
                refused.append((item, None, err))
        try:
            outcomes = self.store_many([batch for _, batch in parsed]) if parsed else []
        except Exception:
            self.counters.store_failures += 1
            log.exception("mqtt: a group of %d batches not stored; it will come again",
                          len(held))
            return False
        for (item, batch), outcome in zip(parsed, outcomes, strict=True):
            if outcome is None:
                self.counters.stored += 1
                self.counters.readings_stored += len(batch.readings)
            else:
                refused.append((item, batch.gateway, outcome))
        for item, gateway, why in refused:
            if not self._refuse(item.topic, gateway, item.payload, why):
                return False
        self.counters.groups += 1
        return True

    def _refuse(self, topic: str, gateway: str | None, payload: bytes, err: DomainError) -> bool:
        parts = topic.split("/")
        gateway = gateway or (parts[2] if len(parts) == 4 else None)
        log.warning("mqtt: batch from %s refused: %s %s", topic, err.code, err.message_en)
        try:
            self.dead_letter(DeadLetter.of(topic, gateway, payload, err))
        except Exception:
            self.counters.store_failures += 1
            log.exception("mqtt: refusal of a batch from %s not recorded", topic)
            return False
        self.counters.dead_lettered += 1
        return True
