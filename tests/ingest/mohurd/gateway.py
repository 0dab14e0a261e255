"""A simulated gateway for the protocol tests: literal XML per the reference, framed."""

from __future__ import annotations

from jieneng.ingest.mohurd import Profile, load_profile
from jieneng.ingest.mohurd.codec import pack_payload

BUILDING = "330302D110"
GATEWAY = "01"
AUTH_KEY = "IJKLMNOPQRSTUVWX"
AES_KEY = bytes(range(1, 17))
KEYS = {(BUILDING, GATEWAY): AUTH_KEY}


def credentials(building_id: str, gateway_id: str) -> str | None:
    return KEYS.get((building_id, gateway_id))


def default() -> Profile:
    return load_profile("default")


def xml(body: str, type_: str, building: str = BUILDING, gateway: str = GATEWAY) -> bytes:
    """A message as a gateway writes it: declaration, <common>, one operation element."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><root><common>'
        f"<building_id>{building}</building_id><gateway_id>{gateway}</gateway_id>"
        f"<type>{type_}</type></common>{body}</root>"
    ).encode()


def frame(payload: bytes, profile: Profile | None = None, type_code: int = 0) -> bytes:
    return pack_payload(payload, profile or default(), AES_KEY, type_code)


REQUEST = xml('<id_validate operation="request"/>', "request")


def md5_message(answer: str) -> bytes:
    return xml(f'<id_validate operation="md5"><md5>{answer}</md5></id_validate>', "md5")


NOTIFY = xml('<heart_beat operation="notify"/>', "notify")


def report(sequence: str = "7", time: str = "20250301101500", operation: str = "report",
           meters: str | None = None) -> bytes:
    meters = meters if meters is not None else (
        '<meter id="1"><function id="1" coding="01A00" error="0">1234.5</function>'
        '<function id="2" coding="01A00" error="0">17.25</function></meter>'
        '<meter id="2"><function id="1" coding="01B00" error="0">88</function></meter>')
    return xml(
        f'<data operation="{operation}"><sequence>{sequence}</sequence><parser>yes</parser>'
        f"<time>{time}</time>{meters}</data>", operation)
