"""Whatever bytes arrive, the session answers with events, never with an exception,
and how the stream is cut into reads does not change the events."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jieneng.ingest.mohurd import Event, Session, load_profile, md5_answer

from .gateway import AES_KEY, AUTH_KEY, NOTIFY, REQUEST, credentials, frame, md5_message, report

PROFILES = ("default", "acrel-1f1f", "collector-8bae9b", "length-be32")
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _session(name: str) -> Session:
    return Session(load_profile(name), credentials, aes_key=AES_KEY, clock=lambda: 0.0,
                   challenge=lambda: "c0ffee")


def _valid_stream(name: str) -> bytes:
    profile = load_profile(name)
    codes = profile.framing.types
    def typed(kind: str, op: str) -> int:
        return codes.get(op, codes.get(kind, 0)) if profile.framing.type_byte else 0
    answer = md5_answer(profile, "c0ffee", AUTH_KEY)
    return (frame(REQUEST, profile, typed("id_validate", "request"))
            + frame(md5_message(answer), profile, typed("id_validate", "md5"))
            + frame(NOTIFY, profile, typed("heart_beat", "notify"))
            + frame(report("1"), profile, typed("data", "report")))


@FUZZ
@given(name=st.sampled_from(PROFILES), noise=st.binary(max_size=600))
def test_arbitrary_bytes_give_events_not_exceptions(name: str, noise: bytes) -> None:
    session = _session(name)
    session.receive(noise)
    session.end_of_stream()


@FUZZ
@given(name=st.sampled_from(PROFILES), data=st.data())
def test_a_valid_stream_with_flipped_bytes_gives_events_not_exceptions(
    name: str, data: st.DataObject,
) -> None:
    stream = bytearray(_valid_stream(name))
    for at in data.draw(st.lists(st.integers(0, len(stream) - 1), max_size=4)):
        stream[at] ^= data.draw(st.integers(1, 255))
    session = _session(name)
    session.receive(bytes(stream))
    session.end_of_stream()


@FUZZ
@given(name=st.sampled_from(PROFILES), data=st.data())
def test_any_cut_of_the_stream_gives_the_same_events(name: str, data: st.DataObject) -> None:
    stream = _valid_stream(name)
    expected = _session(name).receive(stream)
    assert len(expected) == 3  # authenticated, heartbeat, batch
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    session = _session(name)
    events: list[Event] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        events += session.receive(stream[start:end])
    assert events == expected
