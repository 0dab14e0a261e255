"""The session driven over a real loopback TCP connection (asyncio streams), as
``jieneng gateway serve`` will drive it: authenticate, heartbeat, a report stored and
only then acknowledged; a wrong MD5 ends the connection."""

from __future__ import annotations

import asyncio

from jieneng.ingest.mohurd import (
    Closed,
    ReadingsBatch,
    Session,
    load_profile,
    md5_answer,
    unpack,
)
from jieneng.ingest.mohurd.framing import Deframer, Frame

from .gateway import AES_KEY, AUTH_KEY, NOTIFY, REQUEST, credentials, frame, md5_message, report

PROFILE = load_profile("default")


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 stored: list[ReadingsBatch]) -> None:
    session = Session(PROFILE, credentials, aes_key=AES_KEY)
    try:
        while not session.closed:
            data = await reader.read(4096)
            events = session.receive(data) if data else session.end_of_stream()
            for event in events:
                if isinstance(event, ReadingsBatch):
                    stored.append(event)  # the commit
                    writer.write(session.committed(event.sequence))
            writer.write(session.data_to_send())
            await writer.drain()
            if any(isinstance(e, Closed) for e in events):
                break
    finally:
        writer.close()


async def _read_message(reader: asyncio.StreamReader, deframer: Deframer) -> str:
    while True:
        data = await asyncio.wait_for(reader.read(4096), 5)
        if not data:
            return "closed"
        for item in deframer.feed(data):
            assert isinstance(item, Frame)
            message = unpack(item.payload, PROFILE, AES_KEY)
            return f"{message.operation}:{'/'.join(message.fields.values())}"


async def _gateway(port: int, key: str) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    deframer = Deframer(PROFILE.framing, PROFILE.max_message_bytes + 32)
    seen = []
    writer.write(frame(REQUEST))
    challenge = await _read_message(reader, deframer)
    seen.append(challenge)
    writer.write(frame(md5_message(md5_answer(PROFILE, challenge.split(":")[1], key))))
    seen.append(await _read_message(reader, deframer))
    if seen[-1] == "result:pass":
        for payload in (NOTIFY, report("77")):
            data = frame(payload)
            writer.write(data[:10])  # fragmented on the wire
            await writer.drain()
            writer.write(data[10:])
            seen.append(await _read_message(reader, deframer))
    else:
        seen.append(await _read_message(reader, deframer))
    writer.close()
    return seen


async def _run(key: str) -> tuple[list[str], list[ReadingsBatch]]:
    stored: list[ReadingsBatch] = []
    server = await asyncio.start_server(lambda r, w: _serve(r, w, stored), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        seen = await asyncio.wait_for(_gateway(port, key), 10)
    return seen, stored


def test_a_gateway_over_loopback_is_acknowledged_after_its_report_is_stored() -> None:
    seen, stored = asyncio.run(_run(AUTH_KEY))
    assert seen[0].startswith("sequence:") and seen[1] == "result:pass"
    assert seen[2].startswith("time:") and len(seen[2]) == len("time:20250301101500")
    assert seen[3] == "report_ack:77"
    assert [b.sequence for b in stored] == ["77"] and len(stored[0].readings) == 3


def test_a_wrong_key_over_loopback_is_refused_and_closed() -> None:
    seen, stored = asyncio.run(_run("wrong-key"))
    assert seen[1:] == ["result:fail", "closed"]
    assert stored == []
