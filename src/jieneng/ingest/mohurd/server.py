"""The MOHURD TCP receiver: one asyncio task per gateway connection, each driving a
:class:`~.session.Session` (``jieneng gateway serve``; docs/gateway.md "The receiver").

The receiver knows sockets and the protocol, not the database: a :class:`Backend`
(:mod:`jieneng.services.metering.mohurd_input` wires it to the gateway registry and
the readings store) answers who a gateway is, stores a batch and logs a refusal.
Its methods block (the engine is synchronous) and run in a thread pool, so a slow
commit holds up one connection, never the others.

Per connection, in order: bytes read → session events; the session's replies
(challenge, result, 校时) are written first, then each event is handled in turn — a
refusal logged, a batch stored and **only then** acknowledged by its sequence (a batch
whose store fails is not acknowledged: the connection is closed and the gateway
resends it later, which the idempotent store makes harmless). A connection ends on
the session's ``Closed``, after ``idle_timeout`` seconds without a byte, after
``max_refusals`` refusals, or at shutdown; the receiver goes on serving the others.
Beyond ``max_connections`` a new connection is closed at once.

Shutdown (:meth:`Receiver.shutdown`, SIGTERM in the command): stop accepting, close
connections waiting for bytes, let those storing a batch finish and acknowledge it
(up to ``grace`` seconds), then stop the thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .profile import Profile
from .session import Closed, Event, Heartbeat, ReadingsBatch, Refused, Session, State

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What the backend did with a batch: ``accepted`` (stored, or a harmless resend)
    or refused for good (and logged); either way the batch is acknowledged."""

    accepted: bool
    written: int = 0


class Backend(Protocol):
    """The receiver's view of the platform. Every method may block (run in a thread)."""

    def credentials(self, building_id: str, gateway_id: str) -> str | None:
        """The gateway's 认证密钥, or None when it may not connect here."""

    def store(self, batch: ReadingsBatch) -> Outcome:
        """Store a batch in one transaction; raising means "not stored, not acknowledged"."""

    def refused(self, who: str, refusal: Refused) -> None:
        """Log a refused frame or message of ``who`` (``building/gateway``, or ``@host``
        before the gateway said who it is)."""

    def heartbeat(self, event: Heartbeat) -> None:
        """The gateway is alive (its ``last_seen``)."""


@dataclass(frozen=True)
class Limits:
    max_connections: int = 1000
    #: seconds without a byte from the gateway before its connection is closed
    idle_timeout: float = 300.0
    #: threads for the blocking backend (one database connection each at most)
    workers: int = 4
    #: refusals in one connection after which it is closed (a peer sending garbage
    #: would otherwise fill the gateway's log)
    max_refusals: int = 20
    read_size: int = 65536
    #: seconds a shutdown waits for connections storing a batch
    grace: float = 10.0


@dataclass
class Counters:
    connections: int = 0
    turned_away: int = 0
    batches: int = 0
    written: int = 0
    refused_batches: int = 0
    refusals: int = 0
    store_failures: int = 0


@dataclass
class _Connection:
    peer: str
    waiting: bool = False
    refusals: int = 0
    known: dict[tuple[str, str], str | None] = field(default_factory=dict)


class Receiver:
    """The TCP receiver of one profile (framing, cipher, MD5 order) and AES key."""

    def __init__(self, profile: Profile, backend: Backend, *, aes_key: bytes | None = None,
                 limits: Limits | None = None) -> None:
        self.profile = profile
        self.backend = backend
        self.aes_key = aes_key
        self.limits = limits or Limits()
        self.counters = Counters()
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="mohurd")
        self._server: asyncio.Server | None = None
        self._open: dict[asyncio.Task[Any], _Connection] = {}
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------
    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port (the one chosen when ``port`` is 0)."""
        self._server = await asyncio.start_server(self._accept, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        return len(self._open)

    async def shutdown(self) -> None:
        """Stop accepting; end the connections (see the module's docstring)."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for task, conn in list(self._open.items()):
            if conn.waiting:
                task.cancel()
        tasks = list(self._open)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.limits.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._pool.shutdown(wait=True)

    # -- one connection ----------------------------------------------------------
    async def _blocking(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, func, *args)

    async def _accept(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        where = f"@{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "@?"
        if self._stopping or len(self._open) >= self.limits.max_connections:
            self.counters.turned_away += 1
            log.warning("mohurd: connection from %s turned away (%d open)", where,
                        len(self._open))
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        conn = _Connection(where)
        self._open[task] = conn
        self.counters.connections += 1
        try:
            await self._serve(reader, writer, conn)
        except asyncio.CancelledError:
            pass
        except ConnectionError as err:  # the peer went away while we wrote
            log.info("mohurd: %s: %s", where, err)
        except Exception:
            log.exception("mohurd: connection %s failed", where)
        finally:
            del self._open[task]
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    def _credentials(self, conn: _Connection) -> Callable[[str, str], str | None]:
        def look_up(building_id: str, gateway_id: str) -> str | None:
            if (building_id, gateway_id) not in conn.known:
                conn.known[building_id, gateway_id] = self.backend.credentials(
                    building_id, gateway_id)
            return conn.known[building_id, gateway_id]
        return look_up

    async def _read(self, reader: asyncio.StreamReader, conn: _Connection) -> bytes | None:
        """The next bytes (``b""`` at end of stream), None after the idle timeout."""
        conn.waiting = True
        try:
            return await asyncio.wait_for(reader.read(self.limits.read_size),
                                          self.limits.idle_timeout)
        except TimeoutError:
            return None
        except ConnectionError:
            return b""
        finally:
            conn.waiting = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     conn: _Connection) -> None:
        session = Session(self.profile, self._credentials(conn), aes_key=self.aes_key)
        while not session.closed and not self._stopping:
            data = await self._read(reader, conn)
            if data is None:
                log.info("mohurd: %s idle, closed", self._who(session, conn))
                return
            if not data:
                events = session.end_of_stream()
            elif session.state is State.AUTHENTICATED:
                events = session.receive(data)
            else:  # the handshake looks the gateway up in the registry
                events = await self._blocking(session.receive, data)
            writer.write(session.data_to_send())
            if not await self._handle(session, events, writer, conn):
                return
            await writer.drain()

    async def _handle(self, session: Session, events: list[Event],
                      writer: asyncio.StreamWriter, conn: _Connection) -> bool:
        """Each event in turn; False when the connection is to be closed."""
        for event in events:
            if isinstance(event, ReadingsBatch):
                if not await self._batch(session, event, writer):
                    return False
            elif isinstance(event, Refused):
                self.counters.refusals += 1
                conn.refusals += 1
                await self._blocking(self.backend.refused, self._who(session, conn), event)
                if conn.refusals >= self.limits.max_refusals:
                    return False
            elif isinstance(event, Heartbeat):
                await self._blocking(self.backend.heartbeat, event)
            elif isinstance(event, Closed):
                await writer.drain()
                return False
        return True

    async def _batch(self, session: Session, batch: ReadingsBatch,
                     writer: asyncio.StreamWriter) -> bool:
        try:
            outcome = await self._blocking(self.backend.store, batch)
        except Exception:
            self.counters.store_failures += 1
            log.exception("mohurd: batch %s of %s/%s not stored; closing, the gateway "
                          "resends it", batch.sequence, batch.building_id, batch.gateway_id)
            return False
        self.counters.batches += 1
        self.counters.written += outcome.written
        self.counters.refused_batches += not outcome.accepted
        if batch.needs_ack:
            writer.write(session.committed(batch.sequence, accepted=outcome.accepted))
        return True

    @staticmethod
    def _who(session: Session, conn: _Connection) -> str:
        if session.building_id:
            return f"{session.building_id}/{session.gateway_id}"
        return conn.peer


async def serve(receiver: Receiver, host: str, port: int, stop: asyncio.Event,
                ready: Callable[[int], None] | None = None) -> Counters:
    """Run ``receiver`` on ``host:port`` until ``stop`` is set, then shut it down."""
    bound = await receiver.start(host, port)
    if ready is not None:
        ready(bound)
    try:
        await stop.wait()
    finally:
        await receiver.shutdown()
    return receiver.counters
