"""Benchmark scoring a province's round against the 示范单位 scheme (issue 14 §2, speed:
50,000 institutions < 10 s).

    .venv/bin/python bench/bench_scheme_scoring.py [--institutions 50000] [--repeat 5]
    .venv/bin/python bench/bench_scheme_scoring.py --db sqlite:////tmp/jieneng_bench/province.db \
        --region 430000 --evaluation 2025-03

Without ``--db``: a synthetic province in memory (below). With ``--db``: a database made
by ``bench/generate_province.py``; timed: :func:`jieneng.services.campaigns.figures.
energy_figures` (the window sums read from ``consumption_month``, the intensities and
the province × type peers) and the scoring of the ``demonstration_unit`` scheme.


Synthetic province (seeded): ``--institutions`` institutions over 14 cities and the 8
institution types, each with 12 monthly figures (energy [kgce], water [m³]) for the 12
months before the evaluation, a floor area and occupants; one in five already a
节水型单位; random self-assessed scores for the checklist/inspection items within their
maxima. Timed, from the monthly arrays on: the 12-month sums, the province × type peer
averages (ratio of sums) of the three intensities, the scoring of every item of the
shipped ``demonstration_unit`` scheme, pass (≥ 85, ★ veto) and grades (the shipped
scheme states none; two bench-only grades are added to exercise them). Database reads
are not included (the rounds that read the statistics come later). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import numpy as np

from jieneng.core.campaigns.scheme import Grade, Scheme
from jieneng.core.campaigns.scoring import Population, group_ids, peer_average, score
from jieneng.core.campaigns.shipped import shipped

TYPES = np.array(["01", "021", "022", "023", "024", "025", "026", "03"])


def province(n: int, seed: int = 14) -> dict[str, np.ndarray]:
    """Monthly figures and profiles of ``n`` synthetic institutions."""
    rng = np.random.default_rng(seed)
    area = rng.lognormal(8.5, 0.8, n)
    occupants = np.maximum(1, rng.lognormal(4.5, 0.9, n)).round()
    monthly = rng.lognormal(0.0, 0.25, (n, 12))
    energy = area[:, None] * rng.lognormal(0.4, 0.3, n)[:, None] * monthly  # kgce/month
    water = occupants[:, None] * rng.lognormal(1.6, 0.4, n)[:, None] * monthly  # m³/month
    energy[rng.random((n, 12)) < 0.01] = np.nan  # a few months missing
    return {"city": rng.integers(0, 14, n).astype(str), "type": rng.choice(TYPES, n),
            "area": area, "occupants": occupants, "energy": energy, "water": water,
            "water_unit": rng.random(n) < 0.2}


def bench_scheme() -> Scheme:
    unit = shipped("demonstration_unit")
    return replace(unit, grades=(Grade("bench_good", "（基准测试）良好", "bench good", 95, 0),
                                 Grade("bench_pass", "（基准测试）合格", "bench pass", 85, 0)))


def run(data: dict[str, np.ndarray], scheme: Scheme, seed: int = 5) -> dict[str, float]:
    start = time.perf_counter()
    n = data["area"].shape[0]
    energy = np.nansum(data["energy"], axis=1)
    water = data["water"].sum(axis=1)
    groups = group_ids(np.full(n, "43"), data["type"])  # one province: type groups
    figures = {"energy_per_area_kgce_m2": energy / data["area"],
               "energy_per_capita_kgce": energy / data["occupants"],
               "water_per_capita_m3": water / data["occupants"]}
    peers = {"energy_per_area_kgce_m2": peer_average(energy, data["area"], groups),
             "energy_per_capita_kgce": peer_average(energy, data["occupants"], groups),
             "water_per_capita_m3": peer_average(water, data["occupants"], groups)}
    prepared = time.perf_counter()
    rng = np.random.default_rng(seed)
    manual = {i.code: np.floor(rng.uniform(0.6, 1.0, n) * i.points * 2) / 2
              for i in scheme.items if i.rule is not None and i.rule.value in (
                  "checklist", "inspection")}
    flags = {"water_saving_unit": data["water_unit"],
             "targets_met_2y": np.ones(n, dtype=bool)}
    figures["targets_met_2y"] = np.where(rng.random(n) < 0.8, 1.0, 0.0)
    pop = Population(n, figures=figures, peers=peers, flags=flags, manual=manual)
    scored_at = time.perf_counter()
    got = score(scheme, pop)
    done = time.perf_counter()
    return {"seconds": done - start, "sums_and_peers_s": prepared - start,
            "scoring_s": done - scored_at, "passed": float(got.passed.sum()),
            "vetoed": float(got.vetoed.sum()), "mean_total": float(got.total.mean()),
            "graded_good": float((got.grade_code() == "bench_good").sum())}


def from_database(url: str, region: str, evaluation: str, repeat: int) -> None:
    """Time the energy section read from the statistics, then scored."""
    from jieneng.services.campaigns.figures import energy_figures
    from jieneng.services.database import open_database

    engine = open_database(url)
    year, month = (int(x) for x in evaluation.split("-"))
    scheme = bench_scheme()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        figures = energy_figures(engine, region, year, month)
        read = time.perf_counter()
        got = score(scheme, figures.population)
        runs.append((time.perf_counter() - start, read - start,
                     int(figures.institution_ids.shape[0]),
                     int((got.missing[:, 0]).sum())))
    print(json.dumps({"db": engine.dialect.name, "region": region, "evaluation": evaluation,
                      "institutions": runs[-1][2], "missing_per_area": runs[-1][3],
                      "median_s": round(statistics.median(r[0] for r in runs), 3),
                      "max_s": round(max(r[0] for r in runs), 3),
                      "read_and_figures_s": round(runs[-1][1], 3)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--institutions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None, help="a generate_province.py database")
    parser.add_argument("--region", default="430000")
    parser.add_argument("--evaluation", default="2025-03", help="YYYY-MM")
    args = parser.parse_args()
    if args.db:
        from_database(args.db, args.region, args.evaluation, args.repeat)
        return
    data = province(args.institutions)
    scheme = bench_scheme()
    runs = [run(data, scheme) for _ in range(args.repeat)]
    times = [r["seconds"] for r in runs]
    print(json.dumps({"institutions": args.institutions, "repeat": args.repeat,
                      "median_s": round(statistics.median(times), 4),
                      "max_s": round(max(times), 4),
                      "sums_and_peers_s": round(runs[-1]["sums_and_peers_s"], 4),
                      "scoring_s": round(runs[-1]["scoring_s"], 4),
                      "passed": runs[-1]["passed"], "vetoed": runs[-1]["vetoed"],
                      "mean_total": round(runs[-1]["mean_total"], 2),
                      "graded_good": runs[-1]["graded_good"]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
