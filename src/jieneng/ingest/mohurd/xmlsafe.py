"""XML of a gateway message, parsed safe by construction.

- A size cap before anything is decoded (``gateway.frame_oversize``).
- The text is decoded by Python, not by the parser: the encoding the XML
  declaration names (the gateways found write UTF-8 and GB2312; GB2312/GBK are read
  as their superset GB18030), else the profile's.
- Any markup declaration — ``<!DOCTYPE``, ``<!ENTITY``, ``<!ELEMENT``, ``<!ATTLIST``,
  ``<!NOTATION`` — and any processing instruction other than the XML declaration is
  refused before parsing (``gateway.xml_forbidden``). Without a DTD there are no
  entities to expand (no billion laughs) and nothing external to fetch (no XXE); the
  tree builder is then the standard library's (ElementTree, a DOM), which never
  fetches anything.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .errors import GatewayRefused

_DECLARATION = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]{1,40})["']""")
_LEADING = re.compile(r"^\s*<\?xml\s[^>]*\?>")
_FORBIDDEN = re.compile(r"<!(?!--|\[CDATA\[)|<\?(?!xml[\s?])", re.IGNORECASE)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}
ALLOWED_ENCODINGS = frozenset({"utf-8", "gb18030", "ascii", "us-ascii"})


def _encoding(data: bytes, default: str) -> str:
    found = _DECLARATION.match(data)
    name = (found.group(1).decode("ascii") if found else default).lower()
    name = _ALIASES.get(name, name)
    if name not in ALLOWED_ENCODINGS:
        raise GatewayRefused.of("gateway.xml_encoding", encoding=name[:40])
    return name


def decode_xml(data: bytes, *, default_encoding: str, limit: int) -> str:
    """The message's text, its declaration dropped (the parser must not re-decode)."""
    if len(data) > limit:
        raise GatewayRefused.of("gateway.frame_oversize", size=len(data), limit=limit)
    encoding = _encoding(data, default_encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise GatewayRefused.of("gateway.xml_encoding", encoding=encoding) from None
    text = _LEADING.sub("", text.removeprefix("\ufeff"), count=1)
    if _FORBIDDEN.search(text):
        raise GatewayRefused.of("gateway.xml_forbidden")
    return text


def parse_xml(data: bytes, *, default_encoding: str = "utf-8", limit: int = 1 << 20) -> ET.Element:
    """The root element of one message (``gateway.xml_malformed`` if it is not XML)."""
    text = decode_xml(data, default_encoding=default_encoding, limit=limit)
    try:
        return ET.fromstring(text)
    except ET.ParseError as err:
        raise GatewayRefused.of("gateway.xml_malformed", reason=str(err)[:200]) from None
