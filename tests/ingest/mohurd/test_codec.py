"""Codec of the MOHURD gateway protocol: profiles, framing, CRC, AES, XML, time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jieneng.ingest.mohurd import (
    Function,
    GatewayRefused,
    Message,
    Meter,
    epoch_to_local,
    load_profile,
    local_to_epoch,
    pack,
    profile_from_mapping,
    profile_names,
    to_xml,
    unpack,
)
from jieneng.ingest.mohurd.cipher import decrypt, encrypt
from jieneng.ingest.mohurd.framing import Deframer, Frame, crc16_xmodem, encode_frame
from jieneng.ingest.mohurd.model import KIND_OF
from jieneng.ingest.mohurd.profile import Cipher
from jieneng.ingest.mohurd.xmlsafe import parse_xml

from .gateway import AES_KEY, BUILDING, GATEWAY, frame, report, xml


def test_every_shipped_profile_loads_and_default_is_the_convention() -> None:
    assert {"default", "zhejiang-55aa", "acrel-1f1f", "collector-8bae9b",
            "length-be32"} <= set(profile_names())
    for name in profile_names():
        assert load_profile(name).name == name
    default = load_profile()
    assert default.framing.magic == bytes.fromhex("55AA55AA")
    assert default.framing.crc == "crc16_xmodem"
    assert (default.cipher.algorithm, default.cipher.iv, default.cipher.padding) == (
        "aes-128-cbc", "key", "zero")
    assert default.md5_order == "sequence_key"


def test_a_profile_with_a_bad_field_or_name_is_refused_by_code() -> None:
    with pytest.raises(GatewayRefused) as err:
        profile_from_mapping("x", {"framing": {"crc": "crc32"}})
    assert err.value.code == "gateway.profile_invalid"
    assert err.value.details == {"profile": "x", "field": "framing.crc"}
    with pytest.raises(GatewayRefused) as err:
        profile_from_mapping("x", {"framing": {"type_byte": True, "types": {"data": 3}}})
    assert err.value.details["field"] == "framing.types"
    with pytest.raises(GatewayRefused) as err:
        load_profile("nope")
    assert err.value.code == "gateway.profile_not_found"


def test_crc16_xmodem_check_value() -> None:
    # CRC-16/XMODEM catalogue check value (poly 0x1021, init 0): "123456789" → 0x31C3
    assert crc16_xmodem(b"123456789") == 0x31C3


@pytest.mark.reference("NIST SP 800-38A F.2.1 CBC-AES128.Encrypt")
def test_aes_128_cbc_known_vector_and_round_trip() -> None:
    spec = Cipher("aes-128-cbc", iv="000102030405060708090a0b0c0d0e0f", padding="zero")
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    plain = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
    cipher = encrypt(spec, key, plain)
    assert cipher == bytes.fromhex(
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
    assert decrypt(spec, key, cipher) == plain


@pytest.mark.reference("FIPS-197 Appendix C.1 AES-128")
def test_aes_128_ecb_known_vector() -> None:
    spec = Cipher("aes-128-ecb", padding="zero")
    key = bytes(range(16))
    cipher = encrypt(spec, key, bytes.fromhex("00112233445566778899aabbccddeeff"))
    assert cipher == bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")


@pytest.mark.parametrize("padding", ["zero", "pkcs7"])
def test_aes_round_trip_of_a_message_with_iv_equal_to_key(padding: str) -> None:
    spec = Cipher("aes-128-cbc", iv="key", padding=padding)
    plain = report()
    data = encrypt(spec, AES_KEY, plain)
    assert len(data) % 16 == 0 and data != plain
    assert decrypt(spec, AES_KEY, data) == plain
    with pytest.raises(GatewayRefused) as err:
        decrypt(spec, AES_KEY, data[:-3])
    assert err.value.code == "gateway.decrypt_failed"


def test_timestamps_are_asia_shanghai_converted_to_utc_epoch() -> None:
    # 2025-03-01 10:15:00 in Beijing is 02:15:00 UTC
    epoch = local_to_epoch("20250301101500")
    assert epoch == int(datetime(2025, 3, 1, 2, 15, tzinfo=UTC).timestamp())
    assert epoch_to_local(epoch) == "20250301101500"
    # across the UTC date line: 07:30 local on 1 January is 23:30 UTC the day before
    assert datetime.fromtimestamp(local_to_epoch("20260101073000"), UTC) == datetime(
        2025, 12, 31, 23, 30, tzinfo=UTC)
    for bad in ("2025030110150", "2025-03-01 10:15", "20251301101500"):
        with pytest.raises(GatewayRefused) as err:
            local_to_epoch(bad)
        assert err.value.code == "gateway.field_invalid"


def _messages() -> list[Message]:
    meters = (Meter("1", (Function("1", "1234.5", "01A00", "0"), Function("2", "x&<y"))),)
    out = [Message(op, BUILDING, GATEWAY, {}) for op in KIND_OF]
    out += [
        Message("sequence", BUILDING, GATEWAY, {"sequence": "a1b2c3"}),
        Message("md5", BUILDING, GATEWAY, {"md5": "af279ab76f9998ca9f615b3c19f0c4dd"}),
        Message("result", BUILDING, GATEWAY, {"result": "pass"}),
        Message("time", BUILDING, GATEWAY, {"time": "20250301101500"}),
        Message("report", BUILDING, GATEWAY, {"sequence": "9", "parser": "yes",
                "time": "20250301101500", "total": "2", "current": "1"}, meters),
        Message("continuous_ack", BUILDING, GATEWAY, {"sequence": "9", "result": "pass"}),
        Message("period", BUILDING, GATEWAY, {"period": "15"}),
        Message("archives_ack", BUILDING, GATEWAY, {},
                archive_meters=({"meterId": "1", "code": "01A00", "memo": "照明"},),
                archive={"build_name": "市政府办公楼", "period": "15"}),
    ]
    return out


@pytest.mark.parametrize("profile_name", ["default", "acrel-1f1f", "collector-8bae9b",
                                          "length-be32", "zhejiang-55aa"])
def test_every_message_round_trips_through_xml_cipher_and_framing(profile_name: str) -> None:
    profile = load_profile(profile_name)
    for message in _messages():
        assert unpack(to_xml(message, profile), profile.__class__(
            **{**profile.__dict__, "cipher": Cipher()})) == message
        if profile.framing.type_byte and not (
                message.operation in profile.framing.types
                or message.kind in profile.framing.types):
            continue
        wire = pack(message, profile, AES_KEY)
        [item] = Deframer(profile.framing, profile.max_message_bytes).feed(wire)
        assert isinstance(item, Frame)
        assert unpack(item.payload, profile, AES_KEY) == message


def test_the_literal_report_of_the_reference_parses_to_meters_and_functions() -> None:
    message = unpack(report(sequence="12"), load_profile("acrel-1f1f"))
    assert (message.operation, message.kind, message.building_id) == ("report", "data", BUILDING)
    assert message.fields == {"sequence": "12", "parser": "yes", "time": "20250301101500"}
    assert [m.id for m in message.meters] == ["1", "2"]
    assert message.meters[0].functions[0] == Function("1", "1234.5", "01A00", "0")


def test_the_zhejiang_frame_layout_as_the_reference_states() -> None:
    profile = load_profile("zhejiang-55aa")
    wire = frame(b"<root/>", profile)
    body_len = int.from_bytes(wire[4:8], "little")
    assert wire[:4] == bytes.fromhex("55AA55AA") and wire[-4:] == bytes.fromhex("68681616")
    assert body_len == len(wire) - 4 - 4 - 2 - 4  # counts the 4 bytes and the ciphertext
    body = wire[8:8 + body_len]
    assert int.from_bytes(wire[8 + body_len:10 + body_len], "little") == crc16_xmodem(body)


def test_xml_with_a_doctype_or_entity_is_refused_before_parsing() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<root><common><building_id>&x;</building_id></common></root>")
    bomb = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<root>&lol2;</root>")
    for data in (xxe, bomb, b"<?xml-stylesheet href='x'?><root/>"):
        with pytest.raises(GatewayRefused) as err:
            parse_xml(data)
        assert err.value.code == "gateway.xml_forbidden"
    assert parse_xml(b"<root><!-- fine --><a><![CDATA[<x>]]></a></root>").find("a") is not None


def test_gb2312_declared_messages_are_decoded_and_unknown_encodings_refused() -> None:
    text = '<?xml version="1.0" encoding="GB2312" ?><root><a>市政府</a></root>'
    assert parse_xml(text.encode("gb2312")).findtext("a") == "市政府"
    with pytest.raises(GatewayRefused) as err:
        parse_xml(b'<?xml version="1.0" encoding="EBCDIC-1"?><root/>')
    assert err.value.code == "gateway.xml_encoding"
    with pytest.raises(GatewayRefused) as err:
        parse_xml(b"<root><a></root>")
    assert err.value.code == "gateway.xml_malformed"


def test_oversize_messages_are_refused_from_the_length_field() -> None:
    profile = load_profile()
    limit = profile.max_message_bytes
    head = profile.framing.magic + (limit * 2).to_bytes(4, "little")
    [item] = Deframer(profile.framing, limit).feed(head)  # nothing more buffered
    assert isinstance(item, GatewayRefused) and item.code == "gateway.frame_oversize"
    with pytest.raises(GatewayRefused) as err:
        parse_xml(b"<root>" + b"x" * 100 + b"</root>", limit=64)
    assert err.value.code == "gateway.frame_oversize"


def test_unknown_messages_are_refused_by_code() -> None:
    profile = load_profile("acrel-1f1f")
    for data in (xml('<data operation="explode"/>', "explode"),
                 xml('<weird operation="report"/>', "report"), b"<other/>"):
        with pytest.raises(GatewayRefused) as err:
            unpack(data, profile)
        assert err.value.code == "gateway.message_unknown"


def test_a_frame_is_encoded_with_its_type_byte() -> None:
    profile = load_profile("acrel-1f1f")
    wire = encode_frame(profile.framing, b"<root/>", 3)
    assert wire[:3] == bytes.fromhex("1F1F03") and wire[3:7] == (7).to_bytes(4, "big")
