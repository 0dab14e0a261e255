"""Messages ⇄ XML ⇄ wire bytes, for one :class:`Profile`.

:func:`parse_message` reads a root element into a :class:`Message`; :func:`to_xml`
writes one (ElementTree, so every text and attribute is escaped); :func:`pack` makes
the frame that goes on the wire (XML → AES → framing) and :func:`unpack` reads the
payload of a received frame back (AES → size cap → safe XML → message).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .cipher import decrypt, encrypt
from .errors import GatewayRefused
from .framing import encode_frame
from .model import FIELDS, KIND_OF, Function, Message, Meter
from .profile import Profile
from .xmlsafe import parse_xml

_ARCHIVE_TEXTS = (("build_info", "build_name"), ("net_info", "period"))


def _text(node: ET.Element | None) -> str | None:
    return None if node is None else (node.text or "").strip()


def _operation(root: ET.Element, profile: Profile) -> tuple[ET.Element, str]:
    body = [child for child in root if child.tag != "common"]
    if len(body) != 1:
        raise GatewayRefused.of("gateway.message_unknown", element="root", operation="")
    node = body[0]
    operation = node.get("operation") or _text(root.find("common/type")) or ""
    kind = KIND_OF.get(operation)
    if kind is None or node.tag not in (kind, profile.element(kind)):
        raise GatewayRefused.of("gateway.message_unknown", element=node.tag[:40],
                                operation=operation[:40])
    return node, operation


def _meters(node: ET.Element) -> tuple[Meter, ...]:
    return tuple(
        Meter(id=meter.get("id", ""), functions=tuple(
            Function(id=fn.get("id", ""), text=(fn.text or "").strip(),
                     coding=fn.get("coding"), error=fn.get("error"))
            for fn in meter.findall("function")))
        for meter in node.findall("meter"))


def parse_message(root: ET.Element, profile: Profile) -> Message:
    """The message a root element holds (``gateway.message_unknown``, ``field_missing``)."""
    if root.tag != "root" or root.find("common") is None:
        raise GatewayRefused.of("gateway.message_unknown", element=root.tag[:40], operation="")
    node, operation = _operation(root, profile)
    kind = KIND_OF[operation]
    fields = {name: value for name in FIELDS[kind]
              if (value := _text(node.find(name))) is not None}
    archive = {leaf: value for parent, leaf in _ARCHIVE_TEXTS
               if (value := _text(node.find(f"{parent}/{leaf}"))) is not None}
    return Message(
        operation=operation,
        building_id=_text(root.find("common/building_id")) or "",
        gateway_id=_text(root.find("common/gateway_id")) or "",
        fields=fields,
        meters=_meters(node) if kind == "data" else (),
        archive_meters=tuple(dict(m.attrib) for m in node.findall("meter_info/meter")),
        archive=archive if kind == "archives" else {},
    )


def to_element(message: Message, profile: Profile) -> ET.Element:
    root = ET.Element("root")
    common = ET.SubElement(root, "common")
    ET.SubElement(common, "building_id").text = message.building_id
    ET.SubElement(common, "gateway_id").text = message.gateway_id
    ET.SubElement(common, "type").text = (
        message.operation if profile.common_type == "operation" else profile.element(message.kind))
    node = ET.SubElement(root, profile.element(message.kind), operation=message.operation)
    for name in FIELDS[message.kind]:
        if name in message.fields:
            ET.SubElement(node, name).text = message.fields[name]
    for meter in message.meters:
        meter_node = ET.SubElement(node, "meter", id=meter.id)
        for fn in meter.functions:
            attrs = {"id": fn.id} | ({"coding": fn.coding} if fn.coding is not None else {}) | (
                {"error": fn.error} if fn.error is not None else {})
            ET.SubElement(meter_node, "function", attrs).text = fn.text
    for parent, leaf in _ARCHIVE_TEXTS:
        if leaf in message.archive:
            ET.SubElement(ET.SubElement(node, parent), leaf).text = message.archive[leaf]
    if message.archive_meters:
        info = ET.SubElement(node, "meter_info")
        for meter_attrs in message.archive_meters:
            ET.SubElement(info, "meter", dict(meter_attrs))
    return root


def to_xml(message: Message, profile: Profile) -> bytes:
    """The message as a UTF-8 XML document with its declaration."""
    body = ET.tostring(to_element(message, profile), encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode("utf-8")


def pack_payload(payload: bytes, profile: Profile, key: bytes | None, type_code: int = 0) -> bytes:
    """An XML payload (already serialised) as a frame on the wire: AES, then framing."""
    return encode_frame(profile.framing, encrypt(profile.cipher, key, payload), type_code)


def pack(message: Message, profile: Profile, key: bytes | None = None) -> bytes:
    """A message as a frame on the wire."""
    return pack_payload(to_xml(message, profile), profile, key,
                        profile.framing.type_code(message.kind, message.operation))


def unpack(payload: bytes, profile: Profile, key: bytes | None = None) -> Message:
    """The message of a received frame's payload."""
    limit = profile.max_message_bytes
    if len(payload) > limit:
        raise GatewayRefused.of("gateway.frame_oversize", size=len(payload), limit=limit)
    root = parse_xml(decrypt(profile.cipher, key, payload),
                     default_encoding=profile.encoding, limit=limit)
    return parse_message(root, profile)
