"""Targets (双控目标, 定额): what a region and an institution may consume, and how
they are doing against it.

- :mod:`.targets` — regions' dual-control targets: set by hand, decomposed from
  a parent's cap with a preview, locked per year;
- :mod:`.quotas` — quota standards (定额) imported from a sheet, assigned to the
  institutions of a category, and each institution's position against them;
- :mod:`.progress` — the progress of a region's targets (actual to date against
  the pro-rated allowance, projected year end) and the year-end assessment
  (目标绩效考核) of its children;
- :mod:`.alerts` — early warning (超限额预警) on caps and quotas, sent through
  :mod:`jieneng.services.notifications`.

Figures come from :mod:`jieneng.services.statistics`; the annual 通报
(:mod:`jieneng.services.publishing`) reads this package, never the reverse.
"""
