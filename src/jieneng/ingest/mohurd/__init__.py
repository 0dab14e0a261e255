"""The MOHURD building energy-monitoring transmission protocol (能耗监测系统数据传输).

Codec and session logic for the TCP gateway receiver (``jieneng gateway serve``),
without any I/O: :mod:`.profile` (per-source choices, TOML in
``data/gateway/profiles``), :mod:`.framing` (bytes ⇄ frames), :mod:`.cipher` (AES-128),
:mod:`.xmlsafe` (XML parsed safe by construction), :mod:`.model` (messages, local
time ⇄ UTC), :mod:`.codec` (messages ⇄ wire bytes) and :mod:`.session` (the state
machine: bytes in → events out, acknowledgements only after the caller's commit).
docs/gateway.md describes the protocol as implemented.
"""

from __future__ import annotations

from .codec import pack, parse_message, to_xml, unpack
from .errors import GatewayRefused
from .model import Function, Message, Meter, epoch_to_local, local_to_epoch
from .profile import DEFAULT_PROFILE, Profile, load_profile, profile_from_mapping, profile_names
from .session import (
    Acknowledged,
    Authenticated,
    Closed,
    Event,
    Heartbeat,
    Reading,
    ReadingsBatch,
    Refused,
    Session,
    State,
    md5_answer,
)

__all__ = [
    "DEFAULT_PROFILE",
    "Acknowledged",
    "Authenticated",
    "Closed",
    "Event",
    "Function",
    "GatewayRefused",
    "Heartbeat",
    "Message",
    "Meter",
    "Profile",
    "Reading",
    "ReadingsBatch",
    "Refused",
    "Session",
    "State",
    "epoch_to_local",
    "load_profile",
    "local_to_epoch",
    "md5_answer",
    "pack",
    "parse_message",
    "profile_from_mapping",
    "profile_names",
    "to_xml",
    "unpack",
]
