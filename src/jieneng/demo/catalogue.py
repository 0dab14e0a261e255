"""The fictional institutions of the demo city 桂林市 (演示数据).

Every name carries the label 演示; none is a real body. This module only
decides *which* institutions exist (names, kinds, roles, regions);
:mod:`jieneng.demo.generate` gives them sizes, codes and figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CITY_CODE = "450300"
CITY_NAME = "桂林市"
#: The four central urban districts (秀峰, 叠彩, 象山, 七星): densest.
URBAN_CORE = ("450302", "450303", "450304", "450305")
YANSHAN, LINGUI, LIPU = "450311", "450312", "450381"

DEMO_LABEL = "演示"


@dataclass(frozen=True, slots=True)
class Seat:
    """One fictional institution before sizes and codes are drawn."""

    name: str
    region_code: str
    category: str  # 01, 021 … 026, 03
    kind: str  # a key of ``generate.KINDS``
    role: str | None = None  # this organ is the competent department for …
    department_role: str | None = None  # … and this seat's competent department is


_NUMERALS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (1 ≤ n < 100)."""
    if n < 10:
        return _NUMERALS[n]
    tens, units = divmod(n, 10)
    head = "" if tens == 1 else _NUMERALS[tens]
    return head + "十" + (_NUMERALS[units] if units else "")


# (name suffix, kind, role). "委员会…" entries are party organs: 中共{region}演示委员会….
_CITY_ORGANS: tuple[tuple[str, str, str | None], ...] = (
    ("人民政府办公室", "organ_city", "gov"),
    ("教育局", "organ_city", "edu"),
    ("卫生健康委员会", "organ_city", "health"),
    ("文化广电和旅游局", "organ_city", "culture"),
    ("体育局", "organ_city", "sports"),
    ("科学技术局", "organ_city", "science"),
    ("公安局", "police_city", None),
    ("中级人民法院", "organ_city", None),
    ("人民检察院", "organ_city", None),
    ("发展和改革委员会", "organ_city", None),
    ("工业和信息化局", "organ_city", None),
    ("民政局", "organ_city", None),
    ("司法局", "organ_city", None),
    ("财政局", "organ_city", None),
    ("人力资源和社会保障局", "organ_city", None),
    ("自然资源和规划局", "organ_city", None),
    ("生态环境局", "organ_city", None),
    ("住房和城乡建设局", "organ_city", None),
    ("交通运输局", "organ_city", None),
    ("水利局", "organ_city", None),
    ("农业农村局", "organ_city", None),
    ("商务局", "organ_city", None),
    ("退役军人事务局", "organ_city", None),
    ("应急管理局", "organ_city", None),
    ("审计局", "organ_city", None),
    ("市场监督管理局", "organ_city", None),
    ("统计局", "organ_city", None),
    ("医疗保障局", "organ_city", None),
    ("林业局", "organ_city", None),
    ("机关事务管理局", "organ_city", None),
    ("信访局", "organ_city", None),
    ("城市管理委员会", "organ_city", None),
    ("人大常委会办公室", "organ_city", None),
    ("政协办公室", "organ_city", None),
    ("纪委监委机关", "organ_city", None),
    ("委员会办公室", "organ_city", None),
    ("委员会组织部", "organ_city", None),
    ("委员会宣传部", "organ_city", None),
    ("委员会统一战线工作部", "organ_city", None),
    ("委员会政法委员会", "organ_city", None),
)

_COUNTY_ORGANS_REQUIRED: tuple[tuple[str, str, str | None], ...] = (
    ("人民政府办公室", "organ_county", "gov"),
    ("教育局", "organ_county", "edu"),
    ("卫生健康局", "organ_county", "health"),
    ("文化广电体育和旅游局", "organ_county", "culture"),
    ("科学技术局", "organ_county", "science"),
    ("公安局", "police_county", None),
    ("人民法院", "organ_county", None),
    ("人民检察院", "organ_county", None),
    ("财政局", "organ_county", None),
)

_COUNTY_ORGANS_OPTIONAL: tuple[str, ...] = (
    "发展和改革局", "民政局", "司法局", "人力资源和社会保障局", "自然资源局",
    "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "退役军人事务局",
    "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局",
    "人大常委会办公室", "政协办公室", "纪委监委机关", "委员会办公室", "委员会组织部",
    "委员会宣传部",
)  # fmt: skip

_TOWNS = (
    "东岭", "西山", "南岗", "北坪", "石门", "清溪", "龙泉", "白沙", "金竹", "桃源",
    "马岭", "沙井", "青石", "凤凰", "黄竹", "茶洞",
)  # fmt: skip

_CULTURE = ("图书馆", "文化馆", "博物馆", "美术馆", "群众艺术馆", "纪念馆")
_SCIENCE = (
    "科学技术情报研究所",
    "农业科学研究所",
    "林业科学研究所",
    "产品质量检验所",
    "农业技术推广中心",
    "水产畜牧科学研究所",
)
_SPORTS = ("体育中心", "体育运动学校", "全民健身中心", "游泳馆")
_OTHER = (
    "机关事务服务中心",
    "公共资源交易中心",
    "不动产登记中心",
    "政务服务中心",
    "住房公积金管理中心",
    "园林绿化管理处",
    "环境卫生管理处",
    "社会福利院",
    "广播电视台",
    "水利工程管理站",
)
_GROUPS = (
    "总工会",
    "共青团委员会",
    "妇女联合会",
    "科学技术协会",
    "残疾人联合会",
    "工商业联合会",
    "文学艺术界联合会",
    "红十字会",
    "归国华侨联合会",
)


@dataclass(frozen=True, slots=True)
class _Quota:
    organs: int
    schools: int
    health: int
    culture: int
    science: int
    sports: int
    other: int
    groups: int
    towns: int = 0


def _quota(code: str, rng: np.random.Generator) -> _Quota:
    if code == CITY_CODE:
        return _Quota(len(_CITY_ORGANS), 20, 8, 6, 6, 4, 10, 8)
    if code in URBAN_CORE:
        return _Quota(13, 11, 3, 1, 1, 1, 2, 1, towns=1)
    if code == YANSHAN:
        return _Quota(12, 8, 3, 1, 1, 0, 1, 0, towns=2)
    if code == LINGUI:
        return _Quota(18, 15, 5, 2, 1, 1, 3, 1, towns=4)
    if code == LIPU:
        return _Quota(15, 11, 4, 1, 1, 1, 2, 1, towns=3)
    extra = rng.integers(0, 2, size=4)
    return _Quota(
        10 + int(rng.integers(0, 3)),
        8,
        3,
        1,
        int(extra[0]),
        int(extra[1]),
        1,
        int(extra[2]),
        towns=1 + int(extra[3]),
    )


def _name(region: str, suffix: str) -> str:
    if suffix.startswith("委员会"):
        return f"中共{region}{DEMO_LABEL}{suffix}"
    return f"{region}{DEMO_LABEL}{suffix}"


def _schools(n: int, city: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if city:
        out += [
            ("职业技术学院", "college"),
            ("师范高等专科学校", "college"),
            ("中等职业技术学校", "vocational"),
            ("卫生学校", "vocational"),
        ]
    elif n >= 11:
        out.append(("中等职业技术学校", "vocational"))
    n_middle = max(2, (n - len(out)) // 3)
    out += [(f"第{chinese_number(i)}中学", "middle") for i in range(1, n_middle + 1)]
    out.append(("实验小学", "primary"))
    out.append(("幼儿园", "kindergarten"))
    i = 1
    while len(out) < n:
        out.append((f"第{chinese_number(i)}小学", "primary"))
        i += 1
    return out[:n]


def _health(n: int, code: str, towns: list[str]) -> list[tuple[str, str]]:
    if code == CITY_CODE:
        base = [
            ("人民医院", "hospital_city"),
            ("第二人民医院", "hospital_city"),
            ("中医医院", "hospital_city"),
            ("妇幼保健院", "hospital_small"),
            ("疾病预防控制中心", "cdc"),
            ("第三人民医院", "hospital_county"),
            ("急救医疗中心", "clinic"),
            ("中心血站", "cdc"),
        ]
        return base[:n]
    if code in URBAN_CORE:
        base = [("人民医院", "hospital_small"), ("疾病预防控制中心", "cdc")]
        clinic = "社区卫生服务中心"
    else:
        base = [
            ("人民医院", "hospital_county"),
            ("疾病预防控制中心", "cdc"),
            ("中医医院", "hospital_small"),
            ("妇幼保健院", "hospital_small"),
        ]
        clinic = "镇卫生院"
    out = base[: min(n, len(base))]
    for town in towns:
        if len(out) >= n:
            break
        out.append((f"{town}{clinic}", "clinic"))
    return out


def seats(regions: list[tuple[str, str]], rng: np.random.Generator) -> list[Seat]:
    """The demo's institutions for ``regions`` (``(code, name)``: the city and its counties)."""
    out: list[Seat] = []
    for code, region in regions:
        quota = _quota(code, rng)
        city = code == CITY_CODE
        towns = [str(t) for t in rng.choice(np.array(_TOWNS), size=6, replace=False)]
        # 01 organs
        if city:
            organs = list(_CITY_ORGANS)
        else:
            optional = rng.choice(
                np.array(_COUNTY_ORGANS_OPTIONAL),
                size=quota.organs - len(_COUNTY_ORGANS_REQUIRED),
                replace=False,
            )
            organs = [*_COUNTY_ORGANS_REQUIRED, *((str(s), "organ_county", None) for s in optional)]
            if code in URBAN_CORE or code == YANSHAN:
                organs[5] = ("公安分局", "police_county", None)
        for suffix, kind, role in organs:
            out.append(Seat(_name(region, suffix), code, "01", kind, role=role))
        town_kind = "街道办事处" if code in URBAN_CORE else "镇人民政府"
        for town in towns[: quota.towns]:
            out.append(
                Seat(
                    _name(region, f"{town}{town_kind}"),
                    code,
                    "01",
                    "township",
                    department_role="gov",
                )
            )
        # 事业单位 and 团体组织
        for suffix, kind in _schools(quota.schools, city):
            out.append(Seat(_name(region, suffix), code, "021", kind, department_role="edu"))
        for suffix, kind in _health(quota.health, code, towns):
            out.append(Seat(_name(region, suffix), code, "024", kind, department_role="health"))
        for suffix in _CULTURE[: quota.culture]:
            out.append(Seat(_name(region, suffix), code, "023", "venue", department_role="culture"))
        for suffix in _SCIENCE[: quota.science]:
            out.append(
                Seat(_name(region, suffix), code, "022", "science", department_role="science")
            )
        for suffix in _SPORTS[: quota.sports]:
            out.append(
                Seat(
                    _name(region, suffix),
                    code,
                    "025",
                    "venue",
                    department_role="sports" if city else "culture",
                )
            )
        for suffix in _OTHER[: quota.other]:
            out.append(Seat(_name(region, suffix), code, "026", "other", department_role="gov"))
        for suffix in _GROUPS[: quota.groups]:
            out.append(Seat(_name(region, suffix), code, "03", "group"))
    return out
