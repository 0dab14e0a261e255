"""The sans-I/O session: handshake, heartbeat, readings acknowledged only after commit,
fragmented and coalesced streams, and every refusal by its code."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from jieneng.ingest.mohurd import (
    Acknowledged,
    Authenticated,
    Closed,
    Event,
    GatewayRefused,
    Heartbeat,
    ReadingsBatch,
    Refused,
    Session,
    State,
    load_profile,
    md5_answer,
    unpack,
)
from jieneng.ingest.mohurd.framing import Deframer, Frame
from jieneng.ingest.mohurd.model import Message
from jieneng.ingest.mohurd.profile import Profile

from .gateway import (
    AES_KEY,
    AUTH_KEY,
    BUILDING,
    GATEWAY,
    NOTIFY,
    REQUEST,
    credentials,
    default,
    frame,
    md5_message,
    report,
    xml,
)

CHALLENGE = "5f3c9a7e21d04b68"
NOW = datetime(2025, 3, 1, 2, 15, 30, tzinfo=UTC).timestamp()


def new_session(profile: Profile | None = None) -> Session:
    return Session(profile or default(), credentials, aes_key=AES_KEY, clock=lambda: NOW,
                   challenge=lambda: CHALLENGE)


def replies(session: Session, data: bytes | None = None) -> list[Message]:
    """What the platform sent, decoded as the gateway reads it."""
    profile = session.profile
    out = []
    for item in Deframer(profile.framing, profile.max_message_bytes + 32).feed(
            session.data_to_send() if data is None else data):
        assert isinstance(item, Frame)
        out.append(unpack(item.payload, profile, AES_KEY))
    return out


def authenticate(session: Session) -> None:
    assert session.receive(frame(REQUEST, session.profile)) == []
    [challenge] = replies(session)
    answer = md5_answer(session.profile, challenge.fields["sequence"], AUTH_KEY)
    assert session.receive(frame(md5_message(answer), session.profile)) == [
        Authenticated(BUILDING, GATEWAY)]
    [result] = replies(session)
    assert result.fields == {"result": "pass"}


def codes(events: list[Event]) -> list[str]:
    return [e.code for e in events if isinstance(e, Refused | Closed)]


def test_the_handshake_challenges_then_checks_md5_of_sequence_and_key() -> None:
    session = new_session()
    assert session.state is State.CONNECTED
    session.receive(frame(REQUEST))
    [challenge] = replies(session)
    assert (challenge.operation, challenge.fields) == ("sequence", {"sequence": CHALLENGE})
    assert (challenge.building_id, challenge.gateway_id) == (BUILDING, GATEWAY)
    assert session.state is State.CHALLENGED
    expected = hashlib.md5((CHALLENGE + AUTH_KEY).encode(), usedforsecurity=False).hexdigest()
    assert md5_answer(session.profile, CHALLENGE, AUTH_KEY) == expected
    events = session.receive(frame(md5_message(expected.upper())))  # hex case does not matter
    assert events == [Authenticated(BUILDING, GATEWAY)]
    assert session.state is State.AUTHENTICATED
    assert replies(session)[0].fields == {"result": "pass"}


def test_the_md5_order_is_the_profiles() -> None:
    profile = load_profile("acrel-1f1f")
    assert md5_answer(profile, CHALLENGE, AUTH_KEY) == hashlib.md5(
        (AUTH_KEY + CHALLENGE).encode(), usedforsecurity=False).hexdigest()
    authenticate(new_session(profile))


def test_a_wrong_md5_fails_and_closes() -> None:
    session = new_session()
    session.receive(frame(REQUEST))
    session.data_to_send()
    wrong = md5_answer(session.profile, CHALLENGE, "not-the-key")
    events = session.receive(frame(md5_message(wrong) + b"") + frame(NOTIFY))
    assert codes(events) == ["gateway.bad_md5", "gateway.bad_md5"]
    assert isinstance(events[-1], Closed) and session.state is State.CLOSED
    assert replies(session)[0].fields == {"result": "fail"}
    assert session.receive(frame(NOTIFY)) == []  # nothing after the close


def test_an_unknown_gateway_is_refused_at_its_request() -> None:
    session = new_session()
    events = session.receive(frame(xml('<id_validate operation="request"/>', "request",
                                       gateway="99")))
    assert codes(events) == ["gateway.unknown_gateway", "gateway.unknown_gateway"]
    assert replies(session)[0].fields == {"result": "fail"}


def test_md5_without_a_request_is_refused() -> None:
    events = new_session().receive(frame(md5_message("0" * 32)))
    assert codes(events) == ["gateway.md5_without_challenge"] * 2


def test_data_before_authentication_is_refused_and_never_acknowledged() -> None:
    session = new_session()
    events = session.receive(frame(report()))
    assert codes(events) == ["gateway.not_authenticated"] * 2
    assert not any(isinstance(e, ReadingsBatch) for e in events)
    assert session.data_to_send() == b""
    challenged = new_session()
    challenged.receive(frame(REQUEST))
    assert codes(challenged.receive(frame(report()))) == ["gateway.not_authenticated"] * 2


def test_heartbeat_answers_the_local_time() -> None:
    session = new_session()
    authenticate(session)
    assert session.receive(frame(NOTIFY)) == [Heartbeat(BUILDING, GATEWAY, int(NOW))]
    [reply] = replies(session)
    # 02:15:30 UTC is 10:15:30 in Beijing
    assert (reply.operation, reply.fields) == ("time", {"time": "20250301101530"})


def test_a_report_becomes_a_batch_and_is_acknowledged_only_after_the_commit() -> None:
    session = new_session()
    authenticate(session)
    [batch] = session.receive(frame(report(sequence="42")))
    assert isinstance(batch, ReadingsBatch)
    assert (batch.building_id, batch.gateway_id, batch.operation, batch.sequence) == (
        BUILDING, GATEWAY, "report", "42")
    ts = int(datetime(2025, 3, 1, 2, 15, tzinfo=UTC).timestamp())  # 10:15 Beijing
    assert batch.ts == ts and batch.parsed
    assert [(r.meter_id, r.function_id, r.coding, r.value, r.ts) for r in batch.readings] == [
        ("1", "1", "01A00", 1234.5, ts), ("1", "2", "01A00", 17.25, ts),
        ("2", "1", "01B00", 88.0, ts)]
    assert session.data_to_send() == b""  # no ack before the commit
    [ack] = replies(session, session.committed("42"))
    assert (ack.operation, ack.fields) == ("report_ack", {"sequence": "42"})
    with pytest.raises(GatewayRefused) as err:
        session.committed("42")  # acknowledged once
    assert err.value.code == "gateway.unknown_batch"


def test_continuous_resends_are_acked_by_their_own_sequence_and_type() -> None:
    session = new_session()
    authenticate(session)
    events = session.receive(frame(report("8", "20250228235500", "continuous"))
                             + frame(report("9", "20250301000000", "continuous")))
    assert [b.sequence for b in events if isinstance(b, ReadingsBatch)] == ["8", "9"]
    [ack9] = replies(session, session.committed("9"))
    [ack8] = replies(session, session.committed("8"))
    assert (ack8.operation, ack8.fields["sequence"]) == ("continuous_ack", "8")
    assert ack9.fields["sequence"] == "9"


def test_a_stream_cut_anywhere_and_several_frames_in_one_read_give_the_same_events() -> None:
    stream = b"".join(frame(m) for m in (REQUEST,))
    whole = new_session()
    whole.receive(stream)
    answer = md5_answer(whole.profile, CHALLENGE, AUTH_KEY)
    stream += frame(md5_message(answer)) + frame(NOTIFY) + frame(report("1")) + frame(
        report("2", operation="continuous"))
    expected = new_session().receive(stream)  # coalesced: all frames in one read
    assert [type(e).__name__ for e in expected] == [
        "Authenticated", "Heartbeat", "ReadingsBatch", "ReadingsBatch"]
    for size in (1, 3, 7, 64):
        session = new_session()
        events: list[Event] = []
        for at in range(0, len(stream), size):
            events += session.receive(stream[at:at + size])
        assert events == expected, size


def test_bad_crc_and_garbage_are_refused_and_the_next_frame_still_read() -> None:
    session = new_session()
    authenticate(session)
    bad = bytearray(frame(report("5")))
    bad[20] ^= 0xFF
    events = session.receive(b"\x00junk" + bytes(bad) + frame(report("6")))
    assert codes(events) == ["gateway.frame_garbage", "gateway.frame_crc"]
    assert [e.sequence for e in events if isinstance(e, ReadingsBatch)] == ["6"]
    assert session.state is State.AUTHENTICATED


def test_an_oversize_frame_is_refused_without_buffering_it() -> None:
    session = new_session()
    authenticate(session)
    profile = session.profile
    huge = profile.framing.magic + (profile.max_message_bytes * 4).to_bytes(4, "little")
    events = session.receive(huge + b"\x00" * 1000)
    assert codes(events) == ["gateway.frame_oversize"]
    assert session._deframer.pending() < 1000
    assert isinstance(session.receive(frame(report("3")))[0], ReadingsBatch)


def test_an_xxe_attempt_is_refused_and_the_session_goes_on() -> None:
    session = new_session()
    authenticate(session)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<root><common><building_id>&x;</building_id></common>'
           b'<heart_beat operation="notify"/></root>')
    assert codes(session.receive(frame(xxe))) == ["gateway.xml_forbidden"]
    assert session.receive(frame(NOTIFY))[0] == Heartbeat(BUILDING, GATEWAY, int(NOW))


def test_a_message_for_another_gateway_within_the_connection_closes_it() -> None:
    session = new_session()
    authenticate(session)
    other = xml('<heart_beat operation="notify"/>', "notify", gateway="02")
    assert codes(session.receive(frame(other))) == ["gateway.identity_changed"] * 2


def test_malformed_messages_are_refused_by_code_and_not_fatal() -> None:
    session = new_session()
    authenticate(session)
    events = session.receive(
        frame(b"<root><common>") + frame(report(time="2025-03-01"))
        + frame(xml('<data operation="report"><time>20250301101500</time></data>', "report"))
        + frame(xml('<data operation="boom"/>', "boom")) + frame(b"\x01" * 7))
    assert codes(events) == ["gateway.xml_malformed", "gateway.field_invalid",
                             "gateway.field_missing", "gateway.message_unknown",
                             "gateway.xml_malformed"]
    assert session.state is State.AUTHENTICATED


def test_a_wrong_aes_key_is_refused() -> None:
    session = Session(default(), credentials, aes_key=b"x" * 16, challenge=lambda: CHALLENGE)
    events = session.receive(frame(REQUEST))
    assert codes(events) in (["gateway.xml_encoding"], ["gateway.xml_malformed"],
                             ["gateway.decrypt_failed"], ["gateway.xml_forbidden"])
    with pytest.raises(GatewayRefused) as err:
        Session(default(), credentials)  # a cipher profile needs its key
    assert err.value.code == "gateway.key_invalid"


def test_a_truncated_frame_at_the_end_of_the_stream_is_refused() -> None:
    session = new_session()
    authenticate(session)
    assert session.receive(frame(report("4"))[:-5]) == []
    assert codes(session.end_of_stream()) == ["gateway.frame_truncated"] * 2


def test_without_a_magic_a_broken_stream_closes_the_connection() -> None:
    profile = load_profile("length-be32")
    session = new_session(profile)
    authenticate(session)
    oversize = (profile.max_message_bytes + 100).to_bytes(4, "big")
    assert codes(session.receive(oversize)) == ["gateway.frame_oversize", "gateway.stream_broken"]


def test_commands_and_their_acknowledgements() -> None:
    session = new_session()
    authenticate(session)
    [period] = replies(session, session.command("period", {"period": "15"}))
    assert period.operation == "period" and period.fields == {"period": "15"}
    ack = xml('<config operation="period_ack"><result>pass</result></config>', "period_ack")
    archives = xml(
        '<instruction operation="archives_ack"><build_info><build_name>办公楼</build_name>'
        '</build_info><net_info><period>15</period></net_info><meter_info>'
        '<meter meterId="1" code="01A00" addr="0x01"/></meter_info></instruction>',
        "archives_ack")
    events = session.receive(frame(ack) + frame(archives))
    assert all(isinstance(e, Acknowledged) for e in events)
    assert events[1].message.archive == {"build_name": "办公楼", "period": "15"}  # type: ignore[union-attr]
    assert events[1].message.archive_meters[0]["meterId"] == "1"  # type: ignore[union-attr]


def test_the_acrel_profile_frames_with_its_type_byte() -> None:
    profile = load_profile("acrel-1f1f")
    session = new_session(profile)
    wire = frame(REQUEST, profile, type_code=1)
    session.receive(wire)
    out = session.data_to_send()
    assert out[:3] == bytes.fromhex("1F1F01")
    assert replies(session, out)[0].fields == {"sequence": CHALLENGE}


def test_a_reply_to_a_query_is_a_batch_without_acknowledgement() -> None:
    session = new_session()
    authenticate(session)
    [query] = replies(session, session.command("query", {}))
    assert query.operation == "query"
    meters = '<meter id="3"><function id="WPP" coding="01000" error="1">ff0a</function></meter>'
    data = xml('<data operation="reply"><sequence>3</sequence><parser>no</parser>'
               f'<time>20250301101500</time><total>2</total><current>1</current>{meters}'
               "</data>", "reply")
    [batch] = session.receive(frame(data))
    assert isinstance(batch, ReadingsBatch)
    assert not batch.needs_ack and not batch.parsed
    assert (batch.current, batch.total) == (1, 2)
    [reading] = batch.readings
    assert (reading.function_id, reading.error, reading.value, reading.raw) == (
        "WPP", "1", None, "ff0a")
    with pytest.raises(GatewayRefused):
        session.committed("3")


def test_the_operation_may_stand_in_common_type_only() -> None:
    session = new_session(load_profile("collector-8bae9b"))
    session.receive(frame(xml("<id_validate/>", "request"), session.profile, 1))
    assert replies(session)[0].fields == {"sequence": CHALLENGE}


def test_the_platform_writes_the_xml_the_reference_shows() -> None:
    session = new_session(load_profile("acrel-1f1f"))
    authenticate(session)
    session.receive(frame(report("42"), session.profile, 3))
    wire = session.committed("42")
    assert wire[:3] == bytes.fromhex("1F1F03")
    assert wire[7:].decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><root><common>'
        "<building_id>330302D110</building_id><gateway_id>01</gateway_id>"
        "<type>data</type></common>"
        '<data operation="report_ack"><sequence>42</sequence></data></root>')
    default_ack = new_session()
    authenticate(default_ack)
    default_ack.receive(frame(report("5")))
    [ack] = replies(default_ack, default_ack.committed("5"))
    assert ack.fields == {"sequence": "5"}


def test_a_new_request_may_authenticate_again_but_not_as_another_gateway() -> None:
    session = new_session()
    authenticate(session)
    authenticate(session)  # the same gateway again: a new challenge
    other = xml('<id_validate operation="request"/>', "request", gateway="02")
    assert codes(session.receive(frame(other))) == ["gateway.identity_changed"] * 2
    assert session.end_of_stream() == []
