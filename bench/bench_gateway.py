"""Throughput of the MOHURD gateway session (ingest.mohurd), one process, no I/O.

Not a test. One authenticated session receives ``--frames`` report frames of
``--meters`` meters × 5 function values each, in 64 KiB reads, and acknowledges every
batch (``committed``) as the receiver will after its commit. Prints readings per
second of CPU time (process time: the figure does not move with other load on the
machine) and of wall time, for each profile given.

Usage::

    .venv/bin/python bench/bench_gateway.py [--frames 200] [--meters 100] [default acrel-1f1f]
"""

from __future__ import annotations

import argparse
import time

from jieneng.ingest.mohurd import ReadingsBatch, Session, load_profile, md5_answer
from jieneng.ingest.mohurd.codec import pack_payload

KEY = bytes(range(1, 17))
AUTH = "IJKLMNOPQRSTUVWX"


def _xml(body: str, operation: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><root><common><building_id>330302D110'
            f"</building_id><gateway_id>01</gateway_id><type>{operation}</type></common>"
            f"{body}</root>").encode()


def run(name: str, frames: int, meters: int) -> None:
    profile = load_profile(name)
    types = profile.framing.types

    def frame(payload: bytes, kind: str) -> bytes:
        return pack_payload(payload, profile, KEY, types.get(kind, 0))

    session = Session(profile, lambda b, g: AUTH, aes_key=KEY, challenge=lambda: "abc")
    session.receive(frame(_xml('<id_validate operation="request"/>', "request"), "id_validate"))
    answer = md5_answer(profile, "abc", AUTH)
    session.receive(frame(_xml(f'<id_validate operation="md5"><md5>{answer}</md5>'
                               "</id_validate>", "md5"), "id_validate"))
    values = "".join(
        f'<meter id="{m}">' + "".join(
            f'<function id="{f}" coding="01A00" error="0">{m * 10 + f}.5</function>'
            for f in range(5)) + "</meter>" for m in range(meters))
    stream = b"".join(
        frame(_xml(f'<data operation="report"><sequence>{i}</sequence><parser>yes</parser>'
                   f"<time>20250301101500</time>{values}</data>", "report"), "data")
        for i in range(frames))
    cpu, wall, count = time.process_time(), time.perf_counter(), 0
    for at in range(0, len(stream), 65536):
        for event in session.receive(stream[at:at + 65536]):
            if isinstance(event, ReadingsBatch):
                count += len(event.readings)
                session.committed(event.sequence)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{name}: {count:,} readings, {len(stream) // frames:,} bytes a frame; "
          f"{count / cpu:,.0f} readings/s CPU, {count / wall:,.0f} readings/s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("profiles", nargs="*", default=["default", "acrel-1f1f"])
    args = parser.parse_args()
    for name in args.profiles:
        run(name, args.frames, args.meters)


if __name__ == "__main__":
    main()
