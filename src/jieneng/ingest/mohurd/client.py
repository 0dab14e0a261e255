"""A gateway's side of the protocol over asyncio streams: a simulated 数据采集器 for the
receiver's tests, its benchmark and demonstrations (not used by the platform itself).

``GatewayClient`` logs in (``request`` → challenge → ``md5`` → result), sends
heartbeats and ``data`` batches and reads the platform's answers, in the profile's
framing and cipher.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from .codec import pack, unpack
from .errors import GatewayRefused
from .framing import Deframer, Frame
from .model import Function, Message, Meter, epoch_to_local, local_to_epoch
from .profile import Profile
from .session import md5_answer

#: one value of a batch: (meter id, function id, value text)
Value = tuple[str, str, str]


def meters_of(values: Iterable[Value], coding: str = "01000") -> tuple[Meter, ...]:
    """``(meter id, function id, value)`` triples grouped into ``<meter>`` elements."""
    grouped: dict[str, list[Function]] = {}
    for meter, function, text in values:
        grouped.setdefault(meter, []).append(Function(function, text, coding, "0"))
    return tuple(Meter(m, tuple(fns)) for m, fns in grouped.items())


class GatewayClient:
    def __init__(self, profile: Profile, building_id: str, gateway_id: str, key: str, *,
                 aes_key: bytes | None = None) -> None:
        self.profile = profile
        self.building_id = building_id
        self.gateway_id = gateway_id
        self.key = key
        self.aes_key = aes_key
        self._deframer = Deframer(profile.framing, profile.max_message_bytes + 32)
        self._frames: list[Frame | GatewayRefused] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int) -> GatewayClient:
        self._reader, self._writer = await asyncio.open_connection(host, port)
        return self

    def message(self, operation: str, fields: dict[str, str] | None = None,
                meters: tuple[Meter, ...] = ()) -> Message:
        return Message(operation, self.building_id, self.gateway_id, fields or {}, meters)

    async def send_bytes(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)
        await self._writer.drain()

    async def send(self, message: Message) -> None:
        await self.send_bytes(pack(message, self.profile, self.aes_key))

    async def receive(self, timeout: float = 5.0) -> Message | None:
        """The platform's next message; None when it closed the connection."""
        assert self._reader is not None
        while not self._frames:
            data = await asyncio.wait_for(self._reader.read(65536), timeout)
            if not data:
                return None
            self._frames += self._deframer.feed(data)
        item = self._frames.pop(0)
        if isinstance(item, GatewayRefused):
            raise item
        return unpack(item.payload, self.profile, self.aes_key)

    async def login(self) -> bool:
        await self.send(self.message("request"))
        challenge = await self.receive()
        if challenge is None or challenge.operation != "sequence":
            return False
        answer = md5_answer(self.profile, challenge.field("sequence"), self.key)
        await self.send(self.message("md5", {"md5": answer}))
        result = await self.receive()
        return result is not None and result.fields.get("result") == "pass"

    async def heartbeat(self) -> int | None:
        """The platform's time (UTC epoch s), None when it closed."""
        await self.send(self.message("notify"))
        answer = await self.receive()
        return None if answer is None else local_to_epoch(answer.field("time"))

    def batch(self, sequence: str, ts: int, values: Iterable[Value],
              operation: str = "report") -> Message:
        return self.message(operation, {"sequence": sequence, "parser": "yes",
                                        "time": epoch_to_local(ts)}, meters_of(values))

    async def report(self, sequence: str, ts: int, values: Iterable[Value],
                     operation: str = "report") -> Message | None:
        """Send a batch; its acknowledgement (None when the platform closed)."""
        await self.send(self.batch(sequence, ts, values, operation))
        return await self.receive()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
