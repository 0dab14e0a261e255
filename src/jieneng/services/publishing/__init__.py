"""Publishing: what leaves the statistics office — the public screen, the
summaries (汇总) and the annual notification (通报).

- :mod:`.publication` — which years are published (公开发布) on the public big
  screen, region by region (a year published covers the region's subtree);
- :mod:`.summaries` — the reporting rate (上报率, 审核率) of a period and the
  summaries of approved figures (``/reporting/rate``, ``/summaries``, Excel);
- :mod:`.annual_report` — the figures of a region's annual 通报, built from the
  statistics, targets, quotas and the 会审 report; the Word document and the
  workbook are made from them by :mod:`jieneng.reports.annual_report`.

This package sits on top of the other feature packages (statistics, targets,
quality) and none of them imports it.
"""
