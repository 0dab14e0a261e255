"""Per-source profiles of the MOHURD gateway protocol (TOML in ``data/gateway/profiles``).

Implementations of the 能耗监测系统数据传输 protocol differ in the byte framing, the
order of the MD5 concatenation, the AES mode and padding, and some element names
(``../shared/reference/metering-and-scale.md`` §1.1, §1.4). Whatever differs is a
field of a :class:`Profile`; ``default`` is the platform's convention
(docs/gateway.md says which and why). A profile holds no secret: the AES key of a
source and the 认证密钥 of each gateway are given to the session by its caller.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from .errors import GatewayRefused
from .model import KIND_OF

DEFAULT_PROFILE = "default"
ByteOrder = Literal["big", "little"]
CRCS = ("none", "crc16_xmodem")
CIPHERS = ("none", "aes-128-cbc", "aes-128-ecb")
PADDINGS = ("zero", "pkcs7")
MD5_ORDERS = ("sequence_key", "key_sequence")
COMMON_TYPES = ("operation", "element")
#: operations the platform always sends: each needs a type byte when the framing has one
#: (a command — query, period, archives — without one is refused when it is sent)
SENT_OPERATIONS = ("sequence", "result", "time", "report_ack", "continuous_ack")


@dataclass(frozen=True)
class Framing:
    """``magic`` [type byte] length ``reserved`` payload [CRC] ``trailer``.

    The length field counts ``reserved`` + payload; the CRC covers the same bytes.
    ``reserved`` bytes are sent as given and ignored on reading.
    """

    magic: bytes = b""
    type_byte: bool = False
    length_bytes: int = 4
    length_order: ByteOrder = "big"
    reserved: bytes = b""
    crc: str = "none"
    crc_order: ByteOrder = "little"
    trailer: bytes = b""
    types: Mapping[str, int] = field(default_factory=dict)

    def type_code(self, kind: str, operation: str) -> int:
        """The type byte of a message: by its operation, else by its kind (0 without one)."""
        if not self.type_byte:
            return 0
        code = self.types.get(operation, self.types.get(kind))
        if code is None:
            raise GatewayRefused.of("gateway.profile_invalid", profile="",
                                    field=f"framing.types.{operation}")
        return code


@dataclass(frozen=True)
class Cipher:
    algorithm: str = "none"
    #: ``key`` (the IV is the key, as the implementations found do), ``zero`` or 32 hex digits
    iv: str = "key"
    padding: str = "zero"

    @property
    def enabled(self) -> bool:
        return self.algorithm != "none"


@dataclass(frozen=True)
class Profile:
    name: str
    framing: Framing
    cipher: Cipher
    md5_order: str = "sequence_key"
    common_type: str = "operation"
    ack_result: bool = False
    encoding: str = "utf-8"
    max_message_bytes: int = 1 << 20
    #: XML element of the period and archives messages (they differ between dialects)
    elements: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def element(self, kind: str) -> str:
        return self.elements.get(kind, kind)


def _invalid(name: str, key: str) -> GatewayRefused:
    return GatewayRefused.of("gateway.profile_invalid", profile=name, field=key)


def _hex(name: str, key: str, value: Any) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except ValueError:
        raise _invalid(name, key) from None


def _choice(name: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _invalid(name, key)
    return str(value)


def _order(name: str, key: str, value: Any) -> ByteOrder:
    return "little" if _choice(name, key, value, ("big", "little")) == "little" else "big"


def _framing(name: str, raw: Mapping[str, Any]) -> Framing:
    types = raw.get("types", {})
    if not isinstance(types, dict) or any(
        not isinstance(v, int) or not 0 <= v <= 255 for v in types.values()
    ):
        raise _invalid(name, "framing.types")
    length_bytes = raw.get("length_bytes", 4)
    if length_bytes not in (2, 4):
        raise _invalid(name, "framing.length_bytes")
    out = Framing(
        magic=_hex(name, "framing.magic", raw.get("magic", "")),
        type_byte=bool(raw.get("type_byte", False)),
        length_bytes=length_bytes,
        length_order=_order(name, "framing.length_order", raw.get("length_order", "big")),
        reserved=_hex(name, "framing.reserved", raw.get("reserved", "")),
        crc=_choice(name, "framing.crc", raw.get("crc", "none"), CRCS),
        crc_order=_order(name, "framing.crc_order", raw.get("crc_order", "little")),
        trailer=_hex(name, "framing.trailer", raw.get("trailer", "")),
        types=dict(types),
    )
    if out.type_byte and any(op not in out.types and KIND_OF[op] not in out.types
                             for op in SENT_OPERATIONS):
        raise _invalid(name, "framing.types")
    return out


def _cipher(name: str, raw: Mapping[str, Any]) -> Cipher:
    iv = str(raw.get("iv", "key"))
    if iv not in ("key", "zero") and len(_hex(name, "cipher.iv", iv)) != 16:
        raise _invalid(name, "cipher.iv")
    return Cipher(
        algorithm=_choice(name, "cipher.algorithm", raw.get("algorithm", "none"), CIPHERS),
        iv=iv,
        padding=_choice(name, "cipher.padding", raw.get("padding", "zero"), PADDINGS),
    )


def profile_from_mapping(name: str, raw: Mapping[str, Any]) -> Profile:
    """A profile from its TOML table; every field checked (``gateway.profile_invalid``)."""
    max_bytes = raw.get("max_message_bytes", 1 << 20)
    if not isinstance(max_bytes, int) or not 64 <= max_bytes <= 16 << 20:
        raise _invalid(name, "max_message_bytes")
    elements = raw.get("elements", {})
    if not isinstance(elements, dict) or not set(elements) <= {"period", "archives"}:
        raise _invalid(name, "elements")
    encoding = str(raw.get("encoding", "utf-8"))
    try:
        "".encode(encoding)
    except LookupError:
        raise _invalid(name, "encoding") from None
    return Profile(
        name=name,
        framing=_framing(name, raw.get("framing", {})),
        cipher=_cipher(name, raw.get("cipher", {})),
        md5_order=_choice(name, "md5_order", raw.get("md5_order", "sequence_key"), MD5_ORDERS),
        common_type=_choice(name, "common_type", raw.get("common_type", "operation"),
                            COMMON_TYPES),
        ack_result=bool(raw.get("ack_result", False)),
        encoding=encoding,
        max_message_bytes=max_bytes,
        elements={str(k): str(v) for k, v in elements.items()},
        description=str(raw.get("description", "")),
    )


def _directory() -> Any:
    return resources.files("jieneng") / "data" / "gateway" / "profiles"


def profile_names() -> tuple[str, ...]:
    """The profiles shipped with jieneng, sorted."""
    return tuple(sorted(p.name.removesuffix(".toml") for p in _directory().iterdir()
                        if p.name.endswith(".toml")))


def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """A shipped profile by name (``gateway.profile_not_found`` if there is none)."""
    if name not in profile_names():
        raise GatewayRefused.of("gateway.profile_not_found", profile=name)
    raw = tomllib.loads((_directory() / f"{name}.toml").read_text(encoding="utf-8"))
    return profile_from_mapping(name, raw)
