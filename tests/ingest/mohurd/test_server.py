"""The MOHURD receiver over real loopback sockets, with an in-memory backend: acks only
after the store, a failed store never acknowledged, refusals handed to the backend with
who sent them, idle timeout, connection limit, refusal limit and graceful shutdown."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from jieneng.ingest.mohurd import Heartbeat, ReadingsBatch, Refused, load_profile
from jieneng.ingest.mohurd.client import GatewayClient
from jieneng.ingest.mohurd.framing import encode_frame
from jieneng.ingest.mohurd.server import Limits, Outcome, Receiver

from .gateway import AES_KEY, AUTH_KEY, BUILDING, GATEWAY

PROFILE = load_profile("default")
T0 = 1_764_518_400


class Memory:
    """A backend in memory; ``gate`` holds every store until it is set."""

    def __init__(self) -> None:
        self.stored: list[ReadingsBatch] = []
        self.refusals: list[tuple[str, str]] = []
        self.beats: list[Heartbeat] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False
        self.refuse = False

    def credentials(self, building_id: str, gateway_id: str) -> str | None:
        return AUTH_KEY if building_id == BUILDING else None

    def store(self, batch: ReadingsBatch) -> Outcome:
        assert self.gate.wait(5)
        if self.fail:
            raise OSError("database down")
        if self.refuse:
            return Outcome(False)
        self.stored.append(batch)
        return Outcome(True, len(batch.readings))

    def refused(self, who: str, refusal: Refused) -> None:
        self.refusals.append((who, refusal.code))

    def heartbeat(self, event: Heartbeat) -> None:
        self.beats.append(event)


def _run(scenario: Callable[[Receiver, int, Memory], Awaitable[Any]],
         limits: Limits | None = None, profile: str = "default") -> Memory:
    memory = Memory()

    async def main() -> None:
        receiver = Receiver(load_profile(profile), memory, aes_key=AES_KEY,
                            limits=limits or Limits(workers=2))
        port = await receiver.start("127.0.0.1", 0)
        try:
            await asyncio.wait_for(scenario(receiver, port, memory), 10)
        finally:
            for client in OPEN:
                await client.close()
            OPEN.clear()
            await receiver.shutdown()

    asyncio.run(main())
    return memory


OPEN: list[GatewayClient] = []


def _client(port: int, gateway: str = GATEWAY, key: str = AUTH_KEY,
            profile: str = "default", building: str = BUILDING) -> Awaitable[GatewayClient]:
    client = GatewayClient(load_profile(profile), building, gateway, key, aes_key=AES_KEY)
    OPEN.append(client)
    return client.connect("127.0.0.1", port)


VALUES = [("1", "1", "100.5"), ("1", "2", "7"), ("2", "1", "88")]


@pytest.mark.parametrize("profile", ["default", "acrel-1f1f", "collector-8bae9b",
                                     "length-be32", "zhejiang-55aa"])
def test_batches_are_acknowledged_by_sequence_after_the_store(profile: str) -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        gw = await _client(port, profile=profile)
        assert await gw.login()
        assert abs((await gw.heartbeat() or 0) - time.time()) < 5
        ack = await gw.report("41", T0, VALUES)
        assert ack is not None and (ack.operation, ack.fields["sequence"]) == ("report_ack", "41")
        assert [b.sequence for b in memory.stored] == ["41"]
        ack = await gw.report("42", T0 - 900, VALUES, operation="continuous")
        assert ack is not None and ack.operation == "continuous_ack"
        await gw.close()

    memory = _run(scenario, profile=profile)
    assert [len(b.readings) for b in memory.stored] == [3, 3]
    assert memory.stored[1].readings[0].ts == T0 - 900
    assert len(memory.beats) == 1 and memory.refusals == []


def test_a_failed_store_is_not_acknowledged_and_others_are_served() -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        memory.fail = True
        gw = await _client(port)
        assert await gw.login()
        assert await gw.report("1", T0, VALUES) is None  # closed, no ack
        memory.fail = False
        gw2 = await _client(port)
        assert await gw2.login()
        ack = await gw2.report("1", T0, VALUES)  # the resend, stored this time
        assert ack is not None and ack.fields["sequence"] == "1"
        await gw2.close()

    memory = _run(scenario)
    assert len(memory.stored) == 1


def test_a_refused_batch_is_acknowledged_with_fail_where_the_profile_sends_a_result() -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        memory.refuse = True
        gw = await _client(port, profile="zhejiang-55aa")
        assert await gw.login()
        ack = await gw.report("5", T0, VALUES)
        assert ack is not None and ack.fields.get("result") == (
            "fail" if load_profile("zhejiang-55aa").ack_result else None)
        await gw.close()

    _run(scenario, profile="zhejiang-55aa")


def test_wrong_md5_unknown_gateway_oversized_and_truncated_frames_are_refused() -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        bad = await _client(port, key="wrong-key-000000")
        assert not await bad.login()
        assert await bad.receive() is None
        stranger = await _client(port, "01", building="OTHER")
        assert not await stranger.login()
        gw = await _client(port)
        assert await gw.login()
        spec = PROFILE.framing
        huge = (spec.magic + (50_000_000).to_bytes(4, "little") + b"\0" * 64)
        await gw.send_bytes(huge)
        ack = await gw.report("9", T0, VALUES)  # resynchronised on the next magic
        assert ack is not None and ack.fields["sequence"] == "9"
        frame = encode_frame(spec, b"x" * 200)
        await gw.send_bytes(frame[:50])
        await gw.close()
        for _ in range(100):
            if len(memory.refusals) >= 4:
                break
            await asyncio.sleep(0.01)

    memory = _run(scenario)
    assert memory.refusals == [
        (f"{BUILDING}/{GATEWAY}", "gateway.bad_md5"), ("OTHER/01", "gateway.unknown_gateway"),
        (f"{BUILDING}/{GATEWAY}", "gateway.frame_oversize"),
        (f"{BUILDING}/{GATEWAY}", "gateway.frame_truncated")]
    assert [b.sequence for b in memory.stored] == ["9"]


def test_garbage_before_login_is_logged_under_the_peer_and_capped() -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        frame = encode_frame(PROFILE.framing, b"\x01" * 32)  # not AES of XML
        for _ in range(5):
            writer.write(frame)
        await writer.drain()
        assert await asyncio.wait_for(reader.read(100), 5) == b""  # closed after 3
        writer.close()
        await writer.wait_closed()

    memory = _run(scenario, Limits(workers=1, max_refusals=3))
    assert len(memory.refusals) == 3 and all(who.startswith("@127.0.0.1:")
                                             for who, _ in memory.refusals)


def test_idle_connections_are_closed_and_the_limit_turns_new_ones_away() -> None:
    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        gw = await _client(port)
        assert await gw.login()
        other = await _client(port)
        assert await other.receive(timeout=2) is None  # turned away: one at a time
        assert await gw.receive(timeout=2) is None  # idle for 0.3 s: closed
        assert receiver.counters.turned_away == 1
        again = await _client(port)
        assert await again.login()
        await again.close()

    _run(scenario, Limits(workers=1, max_connections=1, idle_timeout=0.3))


def test_shutdown_lets_a_batch_being_stored_finish_and_acknowledges_it() -> None:
    acks: list[Any] = []

    async def scenario(receiver: Receiver, port: int, memory: Memory) -> None:
        idle = await _client(port)
        assert await idle.login()
        gw = await _client(port)
        assert await gw.login()
        memory.gate.clear()
        await gw.send(gw.batch("77", T0, VALUES))
        await asyncio.sleep(0.1)  # the store has begun and waits on the gate
        stopping = asyncio.create_task(receiver.shutdown())
        await asyncio.sleep(0.1)
        assert await idle.receive() is None  # a connection waiting for bytes is closed
        memory.gate.set()
        acks.append(await gw.receive())
        acks.append(await gw.receive())
        await stopping
        with pytest.raises(OSError):
            await _client(port)

    memory = _run(scenario)
    assert acks[0] is not None and acks[0].fields["sequence"] == "77" and acks[1] is None
    assert [b.sequence for b in memory.stored] == ["77"]
