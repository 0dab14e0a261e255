"""Several worker processes behind **one** persistent MQTT session (docs/mqtt.md,
"Workers").

Why not a shared subscription: Mosquitto 2.0.11 does not restore a persistent
session's *shared* subscription (``$share/…``) from its persistence file, so a batch
published after a broker restart and before the workers have subscribed again reaches
nobody — although the gateway got its PUBACK. A plain subscription is restored. So
the :class:`Dispatcher` is the one MQTT client (plain filter, ``clean_start`` False, a
fixed client id): it holds the messages in groups as :class:`.Subscriber` does and
hands each group, as raw ``(topic, payload)`` pairs, to one of N worker processes
over a pipe; a worker parses, stores (``store_many``: one transaction) and
dead-letters it exactly as a lone subscriber does (:meth:`.Subscriber.store_held`)
and answers ok or not. The dispatcher acknowledges the messages of the groups **in
the order received**, a group only after its worker answered ok and every earlier
group too.

- A worker that answers "not stored" (the database down …) or dies (SIGKILL, a
  crash): the dispatcher disconnects, nothing more is acknowledged, a dead worker is
  started again; after the back-off it reconnects and the broker sends every
  unacknowledged message again (answers about groups of the earlier connection are
  ignored: their message ids are void). Storage is idempotent per (meter, ts).
- The dispatcher killed: the workers see their pipe closed and exit; the broker keeps
  the session's unacknowledged and queued messages.
- A worker holds at most :data:`PER_WORKER` groups (one in hand, one waiting), so it
  never waits for the network; the broker's ReceiveMaximum bounds the rest.

The workers' code is the caller's (``target(pipe, index)``, a picklable callable run
in a spawned process, usually :func:`serve_groups` around a store), so this module
holds no database code.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

import paho.mqtt.client as mqtt

from .subscriber import Connection, Held, Subscriber

log = logging.getLogger("jieneng.mqtt")

#: groups handed to one worker at a time (one in hand, one waiting in its pipe)
PER_WORKER = 2
#: how often the dispatcher looks at its workers' answers while groups are out [s]
POLL_S = 0.005

GroupHandler = Callable[[Sequence[tuple[str, bytes]]], bool]
WorkerTarget = Callable[[Pipe, int], None]


def serve_groups(pipe: Pipe, handle: GroupHandler) -> None:
    """A worker's loop: ``(epoch, group, messages)`` in, ``(epoch, group, ok, readings)``
    out, until ``None`` comes or the dispatcher's end of the pipe is closed."""
    while True:
        try:
            job = pipe.recv()
        except (EOFError, OSError):
            return  # the dispatcher is gone
        if job is None:
            return
        epoch, group, messages = job
        try:
            ok = handle(messages)
        except Exception:
            log.exception("mqtt worker: a group failed")
            ok = False
        try:
            pipe.send((epoch, group, ok, len(messages)))
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    pipe: Pipe
    out: int = 0  # groups handed to it and not answered (this epoch)


@dataclass
class _Out:
    held: list[Held]
    done: bool = False
    worker: int | None = None


@dataclass
class _State:
    epoch: int = 0
    next_group: int = 0
    ready: deque[int] = field(default_factory=deque)  # groups waiting for a worker
    groups: dict[int, _Out] = field(default_factory=dict)  # by group id, in order


class Dispatcher(Subscriber):
    """One MQTT session, ``workers`` processes running ``target`` (see the module).
    ``run(stop)`` starts them, and stops them when it returns."""

    def __init__(self, conn: Connection, target: WorkerTarget, workers: int, *,
                 subscription: str, group_max: int = 50, group_wait_s: float = 0.05,
                 max_backoff_s: float = 30.0, context: Any = None) -> None:
        super().__init__(conn, _never, _never, subscription=subscription,
                         max_backoff_s=max_backoff_s, store_many=_never_many,
                         group_max=group_max, group_wait_s=group_wait_s)
        self.target = target
        self.workers_wanted = workers
        self.context = context or multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.state = _State()

    # -- workers ----------------------------------------------------------------------

    def _start(self, index: int) -> _Worker:
        mine, theirs = self.context.Pipe()
        process = self.context.Process(target=self.target, args=(theirs, index),
                                       name=f"mqtt-worker-{index}", daemon=False)
        process.start()
        theirs.close()
        return _Worker(index, process, mine)

    def run(self, stop: Any) -> None:
        self.workers = [self._start(i) for i in range(1, self.workers_wanted + 1)]
        try:
            super().run(stop)
        finally:
            self._stop_workers()

    def _stop_workers(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.pipe.send(None)
        deadline = time.monotonic() + 60
        for worker in self.workers:
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.pipe.close()

    # -- the subscriber's hooks ---------------------------------------------------------

    def _new_session(self) -> None:
        self.state = _State(epoch=self.state.epoch + 1)
        for worker in self.workers:
            worker.out = 0  # answers about the earlier epoch are ignored

    def _loop_timeout(self) -> float:
        return POLL_S if self.state.groups else super()._loop_timeout()

    def _flush(self, client: mqtt.Client) -> None:
        held, self._held = self._held, []
        group = self.state.next_group
        self.state.next_group += 1
        self.state.groups[group] = _Out(held)
        self.state.ready.append(group)
        self._hand_out()

    def _tick(self, client: mqtt.Client) -> None:
        self._answers(client)
        if not self._failed:
            self._hand_out()

    def _finish(self, client: mqtt.Client) -> None:
        """Stopping: wait for the groups handed out (at most 60 s) and acknowledge them."""
        deadline = time.monotonic() + 60
        while self.state.groups and not self._failed and time.monotonic() < deadline:
            self._hand_out()
            self._answers(client, timeout=POLL_S)
            client.loop(timeout=0)

    # -- groups -------------------------------------------------------------------------

    def _hand_out(self) -> None:
        while self.state.ready:
            free = [w for w in self.workers if w.out < PER_WORKER and w.process.is_alive()]
            if not free:
                return
            turn = self.state.next_group  # ties go round the workers
            worker = min(free, key=lambda w: (w.out, (w.index - turn) % len(self.workers)))
            group = self.state.ready.popleft()
            out = self.state.groups[group]
            try:
                worker.pipe.send((self.state.epoch, group,
                                  [(h.topic, h.payload) for h in out.held]))
            except OSError:
                self._lost(worker)
                return
            out.worker = worker.index
            worker.out += 1

    def _answers(self, client: mqtt.Client, timeout: float = 0.0) -> None:
        ready = wait([w.pipe for w in self.workers]
                     + [w.process.sentinel for w in self.workers], timeout)
        for worker in list(self.workers):
            if worker.pipe in ready or worker.process.sentinel in ready:
                self._read(worker)
                if not worker.process.is_alive():
                    self._lost(worker)
        self._acknowledge(client)

    def _read(self, worker: _Worker) -> None:
        while not self._failed:
            try:
                if not worker.pipe.poll():
                    return
                epoch, group, ok, _count = worker.pipe.recv()
            except (EOFError, OSError):
                return  # the worker is gone: its sentinel says so
            if epoch != self.state.epoch:
                continue  # a group of an earlier connection: its ids are void
            worker.out -= 1
            if not ok:
                self.counters.store_failures += 1
                log.warning("mqtt: worker %s did not store a group; reconnecting",
                            worker.index)
                self._failed = True
                return
            self.state.groups[group].done = True

    def _acknowledge(self, client: mqtt.Client) -> None:
        """Acknowledge the done groups at the head, in the order received."""
        if self._failed:
            return
        groups = self.state.groups
        while groups:
            first = next(iter(groups))
            if not groups[first].done:
                return
            for item in groups.pop(first).held:
                client.ack(item.mid, item.qos)
            self.counters.groups += 1

    def _lost(self, worker: _Worker) -> None:
        """A worker died: start it again; the session ends (unacknowledged messages
        come again after the reconnection)."""
        log.error("mqtt: worker %s exited (%s); started again, reconnecting",
                  worker.index, worker.process.exitcode)
        worker.pipe.close()
        worker.process.join(1)
        self.workers[self.workers.index(worker)] = self._start(worker.index)
        self.counters.store_failures += 1
        self._failed = True


def _never(*_args: object) -> None:
    raise AssertionError("the dispatcher stores nothing itself")


def _never_many(*_args: object) -> list[None]:
    raise AssertionError("the dispatcher stores nothing itself")
