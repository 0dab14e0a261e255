"""Install, replace and remove events, and the register segments they delimit.

A metering point's history is a sequence of registers (the physical meters that
succeed each other). A replacement records the old meter's final reading and the
new meter's initial reading at the same instant, so the energy of both sides is
counted and the history of the point stays continuous (no fake spike, no loss:
the complaint pattern of ``metering-and-scale.md`` §3.5 "Meter replacement breaks
history" — dsmr-reader#225/#666/#994, home-assistant.io#38946).

States: a point with no event before a reading has an open past (the register was
there before the registry knew it). ``install`` starts a register (refused while one
is installed), ``replace`` ends the current register and starts the next, ``remove``
ends it; readings outside every register are flagged and not used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ..exceptions import ValidationFailed
from .findings import local_time
from .meters import Meter, Multiplier


class EventKind(StrEnum):
    INSTALL = "install"
    REPLACE = "replace"
    REMOVE = "remove"


_KIND_ZH = {EventKind.INSTALL: "安装", EventKind.REPLACE: "更换", EventKind.REMOVE: "拆除"}
_READING_LABELS = {"final": "末次（拆下表）", "initial": "起始（新装表）"}


@dataclass(frozen=True, slots=True)
class MeterEvent:
    """One event at ``ts`` [epoch s, UTC].

    ``final`` is the outgoing register's last reading (replace, remove) and
    ``initial`` the incoming register's first (install, replace) [register unit];
    ``multiplier`` and ``register_digits`` describe the incoming register when they
    differ from the meter's; ``device`` is its serial number (出厂编号).
    """

    kind: EventKind
    ts: int
    final: float | None = None
    initial: float | None = None
    multiplier: Multiplier | None = None
    register_digits: int | None = None
    device: str | None = None

    @classmethod
    def install(cls, ts: int, *, initial: float, multiplier: Multiplier | None = None,
                register_digits: int | None = None, device: str | None = None) -> MeterEvent:
        return cls(EventKind.INSTALL, ts, None, initial, multiplier, register_digits, device)

    @classmethod
    def replace(cls, ts: int, *, final: float, initial: float,
                multiplier: Multiplier | None = None, register_digits: int | None = None,
                device: str | None = None) -> MeterEvent:
        return cls(EventKind.REPLACE, ts, final, initial, multiplier, register_digits, device)

    @classmethod
    def remove(cls, ts: int, *, final: float) -> MeterEvent:
        return cls(EventKind.REMOVE, ts, final)

    def __post_init__(self) -> None:
        need_final = self.kind is not EventKind.INSTALL
        need_initial = self.kind is not EventKind.REMOVE
        for name, value, needed in (("final", self.final, need_final),
                                    ("initial", self.initial, need_initial)):
            if needed and (value is None or not math.isfinite(value) or value < 0):
                raise ValidationFailed.of("metering.event_reading", kind=str(self.kind),
                                          name=name, value=value,
                                          values={"kind_zh": _KIND_ZH[self.kind],
                                                  "kind_en": str(self.kind),
                                                  "name_zh": _READING_LABELS[name],
                                                  "name_en": name})


@dataclass(frozen=True, slots=True)
class RegisterSegment:
    """One register's life at the point: [``start``, ``end``) [epoch s; None = open].

    ``initial``/``final`` are its first and last readings when an event recorded
    them [register unit]; ``multiplier`` its 倍率 [-]; ``modulus`` where it rolls over
    [register unit] or None.
    """

    start: int | None
    end: int | None
    initial: float | None
    final: float | None
    multiplier: float
    modulus: float | None

    def covers(self, ts: int) -> bool:
        return (self.start is None or ts >= self.start) and (self.end is None or ts < self.end)


def register_segments(meter: Meter, events: Iterable[MeterEvent] = ()) -> tuple[
        RegisterSegment, ...]:
    """The registers of ``meter`` delimited by ``events``, in time order.

    No events: one open register with the meter's 倍率. Raises
    ``metering.event_order`` for an event that cannot follow the previous one
    (install while installed, replace or remove after removal, two events at once).
    """
    ordered = sorted(events, key=lambda e: e.ts)
    segments: list[RegisterSegment] = []
    start: int | None = None
    initial: float | None = None
    multiplier, modulus = meter.multiplier.value, meter.modulus
    state, previous_ts = "open", None  # open: installed since before the registry knew
    for event in ordered:
        allowed = ("open", "removed") if event.kind is EventKind.INSTALL else ("open",
                                                                                "installed")
        if event.ts == previous_ts or state not in allowed:
            raise ValidationFailed.of("metering.event_order", meter=meter.number,
                                      kind=str(event.kind), ts=event.ts,
                                      values={"time": local_time(event.ts),
                                              "kind_zh": _KIND_ZH[event.kind],
                                              "kind_en": str(event.kind)})
        if event.kind is not EventKind.INSTALL:
            segments.append(RegisterSegment(start, event.ts, initial, event.final,
                                            multiplier, modulus))
        state = "removed" if event.kind is EventKind.REMOVE else "installed"
        if state == "installed":
            start, initial = event.ts, event.initial
            multiplier = (event.multiplier or meter.multiplier).value
            digits = event.register_digits or meter.register_digits
            modulus = None if digits is None else 10.0 ** digits
        previous_ts = event.ts
    if state != "removed":
        segments.append(RegisterSegment(start, None, initial, None, multiplier, modulus))
    return tuple(segments)
