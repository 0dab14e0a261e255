"""The messages of the 能耗监测系统数据传输 protocol, and its local timestamps.

Every message is ``<root><common><building_id/><gateway_id/><type/></common>`` and
one operation element with an ``operation`` attribute (reference §1.1):

=============  ==============================================  ====================
kind           operations (→ from gateway, ← from platform)     children
=============  ==============================================  ====================
id_validate    →request ←sequence →md5 ←result                  sequence, md5, result
heart_beat     →notify ←time                                    time
data           →report →continuous →reply ←query                sequence, parser, time,
               ←report_ack ←continuous_ack                      total, current, result,
                                                                meter/function
period         ←period →period_ack                              period (minutes)
archives       ←archives →archives_ack                          build_info, net_info,
                                                                meter_info/meter
=============  ==============================================  ====================

Timestamps (``YYYYMMDDhhmmss``) carry no zone; they are local time of
Asia/Shanghai and are converted to UTC epoch seconds here, explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .errors import GatewayRefused

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y%m%d%H%M%S"

#: operation → kind of message
KIND_OF: Mapping[str, str] = {
    "request": "id_validate", "sequence": "id_validate", "md5": "id_validate",
    "result": "id_validate",
    "notify": "heart_beat", "time": "heart_beat",
    "report": "data", "continuous": "data", "reply": "data", "query": "data",
    "report_ack": "data", "continuous_ack": "data",
    "period": "period", "period_ack": "period",
    "archives": "archives", "archives_ack": "archives",
}
#: leaf children of each kind, in the order they are written
FIELDS: Mapping[str, tuple[str, ...]] = {
    "id_validate": ("sequence", "md5", "result"),
    "heart_beat": ("time",),
    "data": ("sequence", "parser", "time", "total", "current", "result"),
    "period": ("period", "result"),
    "archives": ("result",),
}
#: operations whose readings the platform acknowledges, and the acknowledgement
ACK_OF: Mapping[str, str] = {"report": "report_ack", "continuous": "continuous_ack"}


class Function(NamedTuple):
    """``<function id coding error>value</function>`` of a meter (a named tuple: a report
    holds thousands, made three times faster than a frozen dataclass)."""

    id: str
    text: str
    coding: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Meter:
    id: str
    functions: tuple[Function, ...] = ()


@dataclass(frozen=True)
class Message:
    """One message. ``fields`` holds the leaf children that are present (by name);
    ``meters`` the readings of a ``data`` message; ``archive`` the attributes of each
    ``meter_info/meter`` and ``build_name``/``period`` of an ``archives_ack``."""

    operation: str
    building_id: str
    gateway_id: str
    fields: Mapping[str, str] = field(default_factory=dict)
    meters: tuple[Meter, ...] = ()
    archive_meters: tuple[Mapping[str, str], ...] = ()
    archive: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return KIND_OF[self.operation]

    def field(self, name: str) -> str:
        """A required child's text (``gateway.field_missing``)."""
        value = self.fields.get(name)
        if value is None or value == "":
            raise GatewayRefused.of("gateway.field_missing", field=name,
                                    operation=self.operation)
        return value


def local_to_epoch(text: str, *, field_name: str = "time") -> int:
    """``YYYYMMDDhhmmss`` of Asia/Shanghai → UTC epoch seconds (``gateway.field_invalid``)."""
    value = text.strip()
    try:
        if len(value) != 14 or not (value.isascii() and value.isdigit()):
            raise ValueError(value)
        local = datetime.strptime(value, TIME_FORMAT).replace(tzinfo=LOCAL_ZONE)
    except ValueError:
        raise GatewayRefused.of("gateway.field_invalid", field=field_name,
                                value=text[:40]) from None
    return int(local.timestamp())


def epoch_to_local(epoch: float) -> str:
    """UTC epoch seconds → ``YYYYMMDDhhmmss`` in Asia/Shanghai (the 校时 reply)."""
    return datetime.fromtimestamp(int(epoch), LOCAL_ZONE).strftime(TIME_FORMAT)
