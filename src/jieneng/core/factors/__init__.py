"""Named, versioned factor sets: standard-coal coefficients and CO₂ factors.

A factor set is a choice, not a constant: the published public-institution
totals use 1.33 kgce/m³ for natural gas where the GB/T 2589 statistical single
value is 1.2143, so both are offered and every result names the set it used.
All values are data in ``jieneng/data/factors/*.csv``, each row with its status
and source; this package only reads them (lazily, cached) and converts them to
the canonical unit of each carrier.

Modules (import from them directly; this package re-exports nothing):

- :mod:`.data` — reading the CSV files, coefficients per canonical unit,
  :func:`~.data.grid_region`;
- :mod:`.co2` — CO₂ factors: the electricity factor by scope, area and data year
  with its fallbacks, and the other fuels;
- :mod:`.sets` — :class:`~.sets.FactorSet`, :func:`~.sets.factor_set`,
  ``DEFAULT_FACTOR_SET``, ``FACTOR_SET_NAMES``.

References
----------
- GB/T 2589-2020 《综合能耗计算通则》 Table A.1 (as reproduced; ``reference-data.md``
  §1.2); 1 kgce = 29 307.6 kJ (cl. 6.2 of the 2008 edition).
- Chongqing 13th FYP public-institution plan, 2015 totals (``reference-data.md`` §1.3):
  the coefficients the public-institution statistics apply.
- 生态环境部、国家统计局《关于发布2021/2022/2023年电力二氧化碳排放因子的公告》
  (``reference-data.md`` §3.1).
- 生态环境部 2019 补充数据表: purchased heat 0.11 tCO₂/GJ (§3.2).
- IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.4 (§3.3).
"""
