"""The demo's energy-saving projects (issue 13) and the synthetic weather they are
measured with — pure generation (numpy, seeded); nothing here is an observation.

- :func:`demo_temperatures` — the demo station's daily mean temperature, **synthetic**:
  a stated climatology (:data:`CLIMATE`: a sinusoid with annual mean 19.0 °C,
  amplitude 10.0 °C, coldest on 15 January — chosen to resemble a humid subtropical
  city like Guilin, not a published normal) plus a seeded AR(1) anomaly. Stored with
  source ``demo`` (``docs/weather.md``).
- :data:`PROJECTS` — three projects of the demo city: a 能源费用托管型 trusteeship of
  two city organs, a 节能效益分享型 EPC retrofit of a hospital and a 分布式光伏 PV
  roof on a school; their contracts, measures, windows (baseline 2023, reporting
  from 2024) and an invented, plausible lifecycle history in 2023–2024.
- :func:`pick_owners` — which demo institutions own them: among the candidates of a
  kind, those whose electricity fell most after 2023 in the demo's own monthly figures
  (and whose months show no planted spike), so the M&V finds savings in the demo's
  data rather than in figures written for it.
- :func:`pv_generation` — the PV roof's monthly generation [kWh], synthetic: a stated
  specific yield (:data:`PV_YIELD_KWH_PER_KWP`, the platform's demo convention) shaped
  over the year, seeded noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from jieneng.core.projects.spec import MeasureSpec

DEMO_STATION = "DEMO-GL"
STATION_NAME = "桂林演示气象站（合成数据，非观测）"
ESCO = ("桂林演示节能服务有限公司", "91450300MA5DEMO01X")


@dataclass(frozen=True)
class Climatology:
    """Daily mean [°C] = mean − amplitude × cos(2π (d − coldest) / 365.25) + AR(1)
    anomaly (σ = ``sd``, lag-1 correlation ``rho``), d the day of the year."""

    mean_c: float = 19.0
    amplitude_c: float = 10.0
    coldest_day: int = 15  # 15 January
    sd_c: float = 2.0
    rho: float = 0.7


CLIMATE = Climatology()
#: the synthetic series starts here whatever range is asked (a later range only appends)
_EPOCH = date(2020, 1, 1)
_SEED = 20230101


def demo_temperatures(first: date, last: date, *, climate: Climatology = CLIMATE,
                      seed: int = _SEED) -> tuple[np.ndarray, np.ndarray]:
    """(days datetime64[D], °C) for every day of [first, last] (first ≥ 2020-01-01)."""
    start = np.datetime64(_EPOCH, "D")
    days_all = np.arange(start, np.datetime64(last, "D") + 1)
    years = days_all.astype("datetime64[Y]")
    doy = (days_all - years.astype("datetime64[D]")).astype(np.float64)
    seasonal = climate.mean_c - climate.amplitude_c * np.cos(
        2 * np.pi * (doy - (climate.coldest_day - 1)) / 365.25)
    shocks = np.random.default_rng(seed).standard_normal(days_all.size) * (
        climate.sd_c * np.sqrt(1 - climate.rho ** 2))
    kernel = climate.rho ** np.arange(80)  # AR(1) as a filter: rho^80 < 1e-12
    anomaly = np.convolve(shocks, kernel)[:days_all.size]
    keep = days_all >= np.datetime64(first, "D")
    return days_all[keep], np.round(seasonal + anomaly, 2)[keep]


@dataclass(frozen=True)
class DemoProject:
    """One demo project: what :mod:`jieneng.services.demo_projects` registers."""

    code: str
    name: str
    type: str
    subtype: str | None
    #: (category prefix, name pattern) the owners are picked among, and how many
    candidates: tuple[str, str]
    owners: int
    state: str
    description: str
    contract: dict[str, Any] = field(default_factory=dict)
    measures: tuple[MeasureSpec, ...] = ()
    funding: str = "合同能源管理（节能服务公司投资）"
    #: owners ranked by their relative fall (``share``) or their fall in kWh (``kwh``)
    rank: str = "share"
    #: the project's history (invented, plausible): declared on ``declared``, then each
    #: (state, date) move in order — entered as dated moves (``recorded_at`` = build time)
    declared: date = date(2023, 3, 1)
    moves: tuple[tuple[str, date], ...] = ()


BASE = (date(2023, 1, 1), date(2023, 12, 31))
REPORTING = (date(2024, 1, 1), date(2025, 12, 31))
TERM = (date(2024, 1, 1), date(2031, 12, 31))

PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "GL-TG-2024-01", "演示：机关能源费用托管项目（打包）", "epc", "trusteeship",
        ("01", "%"), 2, "monitoring",
        "演示数据：两家机关打包实施能源费用托管，托管范围为电力系统（空调、照明、"
        "动力），节能服务公司负责改造与运行维护；托管费按调整后基准能源费用的 "
        "95% 支付（业主节约 5%）。",
        contract={"number": "GLJG-TG-2023-018", "signed_on": date(2023, 12, 20),
                  "price_mode": "base_year", "guaranteed_rate": 0.10,
                  "om_scope": "空调、照明及动力系统的改造、运行和维护",
                  "carbon_rights": "owner", "asset_handover": "托管期满后设备无偿移交业主单位"},
        measures=(MeasureSpec("空调系统群控改造", "electricity", 380_000.0),
                  MeasureSpec("LED照明改造", "electricity", 120_000.0)),
        declared=date(2023, 3, 15),
        moves=(("approval", date(2023, 5, 10)), ("procurement", date(2023, 8, 1)),
               ("contracted", date(2023, 12, 20)), ("baseline", date(2024, 1, 8)),
               ("implementation", date(2024, 1, 15)), ("monitoring", date(2024, 4, 1))),
    ),
    DemoProject(
        "GL-EPC-2024-02", "演示：医院节能效益分享型改造", "epc", "shared_savings",
        ("024", "%医院"), 1, "monitoring",
        "演示数据：医院冷热源与照明节能改造，节能服务公司投资，按核定的节能效益分享。",
        contract={"number": "GLYY-EPC-2023-007", "signed_on": date(2023, 11, 28),
                  "sharing_ratio": 0.7, "carbon_rights": "shared",
                  "om_scope": "改造设备的运行维护",
                  "asset_handover": "分享期满后设备移交医院"},
        measures=(MeasureSpec("冷水机组更换（磁悬浮）", "electricity", 2_600_000.0),
                  MeasureSpec("LED照明改造", "electricity", 450_000.0)),
        declared=date(2023, 4, 6),
        moves=(("approval", date(2023, 6, 2)), ("procurement", date(2023, 8, 21)),
               ("contracted", date(2023, 11, 28)), ("baseline", date(2024, 1, 10)),
               ("implementation", date(2024, 2, 1)), ("monitoring", date(2024, 6, 3))),
    ),
    DemoProject(
        "GL-PV-2024-03", "演示：机关办公楼屋顶分布式光伏", "pv", None,
        ("01", "%"), 1, "monitoring",
        "演示数据：办公楼屋顶分布式光伏，自发自用、余电上网；发电量按月报送"
        "（太阳能光电发电量）。装机容量按该单位2024—2025年外购电量的降幅确定。",
        funding="财政资金", rank="kwh",
        # 元 per kWp here: the service multiplies it by the size
        measures=(MeasureSpec("屋顶分布式光伏", "electricity", 4_000.0),),
        declared=date(2023, 5, 8),
        moves=(("approval", date(2023, 7, 3)), ("procurement", date(2023, 9, 4)),
               ("contracted", date(2023, 10, 16)), ("baseline", date(2024, 1, 5)),
               ("implementation", date(2024, 1, 12)), ("monitoring", date(2024, 3, 1))),
    ),
)

#: the demo PV roof's share of its generation used on site (the rest exported) — the
#: platform's demo convention (synthetic; a real project reports both from its
#: grid-connection settlement)
PV_SELF_CONSUMED_SHARE = 0.85

#: the demo PV roof's annual yield [kWh per kWp] — the platform's demo convention for a
#: roof in southern China (synthetic, not a measured or published figure)
PV_YIELD_KWH_PER_KWP = 1000.0


def pv_generation(kwp: float, months: int, *, seed: int = 20240101) -> np.ndarray:
    """Monthly generation [kWh] of ``months`` months from January: the yield shaped
    by a sinusoid peaking in July (±35 %), ±6 % seeded noise."""
    m = np.arange(months) % 12
    shape = 1.0 + 0.35 * np.cos(2 * np.pi * (m - 6) / 12)
    shape = shape / shape[:12].mean() if months >= 12 else shape
    noise = 1.0 + 0.06 * np.random.default_rng(seed).standard_normal(months)
    return np.round(kwp * PV_YIELD_KWH_PER_KWP / 12.0 * shape * noise, 0)


#: the trusteeship fee: this share of the adjusted baseline's energy cost (a demo term)
TRUSTEESHIP_FEE_FACTOR = 0.95


def pv_size(drop_kwh: float) -> float:
    """The demo roof's size [kWp]: the owner's yearly fall in bought electricity over
    the yield, to 10 kWp (at least 50) — so the generation matches the measured fall."""
    return max(50.0, round(drop_kwh / PV_YIELD_KWH_PER_KWP / 10.0) * 10.0)


def yearly_drop(monthly: np.ndarray) -> np.ndarray:
    """Per row of ``monthly`` (months from January of the base year): the mean year
    after the first 12 months minus the first 12 months [kWh/year]."""
    return np.asarray((monthly[:, :12].mean(axis=1) - monthly[:, 12:].mean(axis=1)) * 12.0)


def pick_owners(ids: np.ndarray, monthly: np.ndarray, count: int,
                taken: frozenset[int] | set[int] = frozenset(), *, rank: str = "share"
                ) -> list[int]:
    """The ``count`` institutions of ``ids`` whose electricity fell most from the first
    12 months of ``monthly`` (institutions × months, NaN missing) to the rest, among
    those with every month reported and no month off its own calendar month's median
    by more than 30 % (no planted spike or unit slip); ``taken`` are left out;
    ``rank`` ``kwh`` ranks by the fall in kWh instead of its share."""
    full = ~np.isnan(monthly).any(axis=1) & (monthly > 0).all(axis=1)
    n_months = monthly.shape[1]
    by_month = monthly.reshape(monthly.shape[0], n_months // 12, 12)
    median = np.median(by_month, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        steady = (np.abs(np.log(by_month / median)) < np.log(1.3)).all(axis=(1, 2))
        drop = (yearly_drop(monthly) if rank == "kwh" else
                1.0 - monthly[:, 12:].mean(axis=1) / monthly[:, :12].mean(axis=1))
    ok = full & steady & ~np.isin(ids, list(taken))
    order = np.argsort(-np.where(ok, drop, -np.inf), kind="stable")
    return [int(ids[i]) for i in order[:count] if ok[i]]
