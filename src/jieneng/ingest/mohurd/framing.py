"""Byte framing of the gateway protocol: one :class:`Framing` layout of a profile.

``magic`` [type byte] length ``reserved`` payload [CRC] ``trailer`` — covers the four
framings found (reference §1.1): 4-byte BE length only; ``55 AA 55 AA`` + LE length +
4 bytes + payload + CRC-16 + ``68 68 16 16``; ``8B AE 9B <type>`` + LE length;
``1F 1F <type>`` + BE length. :class:`Deframer` cuts a TCP byte stream (fragmented or
coalesced) into frames, refuses an oversize length before buffering it, checks the CRC
and trailer, and — where the framing has a magic — skips garbage and resynchronises;
without a magic a broken stream cannot be resynchronised (``broken``).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from .errors import GatewayRefused
from .profile import Framing


def crc16_xmodem(data: bytes) -> int:
    """CRC-16 with the CCITT polynomial 0x1021, initial value 0, no reflection, no final
    XOR (CRC-16/XMODEM; check value of ``b"123456789"`` is 0x31C3) — the table of the
    Zhejiang 55AA implementation (reference §1.1, id 41098943724); ``binascii.crc_hqx``
    computes exactly this."""
    return binascii.crc_hqx(data, 0)


@dataclass(frozen=True)
class Frame:
    type_code: int
    payload: bytes


def _crc_bytes(spec: Framing, body: bytes) -> bytes:
    if spec.crc == "none":
        return b""
    return crc16_xmodem(body).to_bytes(2, spec.crc_order)


def encode_frame(spec: Framing, payload: bytes, type_code: int = 0) -> bytes:
    """One frame around ``payload``."""
    body = spec.reserved + payload
    order = spec.length_order
    head = spec.magic + (bytes([type_code]) if spec.type_byte else b"")
    return (head + len(body).to_bytes(spec.length_bytes, order) + body
            + _crc_bytes(spec, body) + spec.trailer)


class Deframer:
    """Bytes in → :class:`Frame` or :class:`GatewayRefused` out, in stream order.

    Frames are read at an offset into the buffer, which is compacted once per
    :meth:`feed` (a read holding many frames costs one copy, not one per frame)."""

    def __init__(self, spec: Framing, max_payload: int) -> None:
        self.spec = spec
        self.max_body = max_payload + len(spec.reserved)
        self.buffer = bytearray()
        self.pos = 0
        self.broken = False
        #: after a bad frame, the bytes skipped to the next magic are not reported again
        self._resyncing = False
        self._head = len(spec.magic) + (1 if spec.type_byte else 0) + spec.length_bytes
        self._tail = (0 if spec.crc == "none" else 2) + len(spec.trailer)

    def feed(self, data: bytes) -> list[Frame | GatewayRefused]:
        if self.broken:
            return []
        self.buffer += data
        out: list[Frame | GatewayRefused] = []
        while not self.broken:
            item = self._next()
            if item is None:
                break
            out.append(item)
        del self.buffer[:self.pos]
        self.pos = 0
        return out

    def pending(self) -> int:
        """Bytes received and not yet a frame (a truncated frame at end of stream)."""
        return len(self.buffer) - self.pos

    def _fail(self, err: GatewayRefused) -> GatewayRefused:
        """A bad frame: skip its magic and look for the next one, or give up."""
        if self.spec.magic:
            self.pos += len(self.spec.magic)
            self._resyncing = True
        else:
            self.broken = True
            self.buffer.clear()
            self.pos = 0
        return err

    def _seek(self) -> GatewayRefused | None:
        magic = self.spec.magic
        if not magic:
            return None
        at = self.buffer.find(magic, self.pos)
        if at == self.pos:
            self._resyncing = False
            return None
        skipped = (len(self.buffer) - (len(magic) - 1) if at < 0 else at) - self.pos
        if skipped <= 0:
            return None
        self.pos += skipped
        if self._resyncing:
            return self._seek() if at >= 0 else None
        return GatewayRefused.of("gateway.frame_garbage", skipped=skipped)

    def _next(self) -> Frame | GatewayRefused | None:
        garbage = self._seek()
        if garbage is not None:
            return garbage
        spec, buf, pos = self.spec, self.buffer, self.pos
        if len(buf) - pos < self._head or not buf.startswith(spec.magic, pos):
            return None
        at = pos + len(spec.magic)
        type_code = buf[at] if spec.type_byte else 0
        at += 1 if spec.type_byte else 0
        length = int.from_bytes(buf[at:at + spec.length_bytes], spec.length_order)
        if length > self.max_body:
            return self._fail(GatewayRefused.of("gateway.frame_oversize", size=length,
                                                limit=self.max_body))
        if length < len(spec.reserved):
            return self._fail(GatewayRefused.of("gateway.frame_length", size=length))
        start = pos + self._head
        end = start + length + self._tail
        if len(buf) < end:
            return None
        body = bytes(buf[start:start + length])
        rest = bytes(buf[start + length:end])
        crc, trailer = rest[:len(rest) - len(spec.trailer)], rest[len(rest) - len(spec.trailer):]
        if trailer != spec.trailer:
            return self._fail(GatewayRefused.of("gateway.frame_trailer", trailer=trailer.hex()))
        if crc != _crc_bytes(spec, body):
            return self._fail(GatewayRefused.of(
                "gateway.frame_crc", received=crc.hex(), computed=_crc_bytes(spec, body).hex()))
        self.pos = end
        return Frame(type_code, body[len(spec.reserved):])
