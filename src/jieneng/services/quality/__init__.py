"""Data quality (数据审核, 抽查, 会审): are the reported figures complete and right?

- :mod:`.quality` — the rule checks: one institution and period right after a
  write (entry, imports), a whole region on demand; findings listed and
  explained; the per-region rule settings and reference prices;
- :mod:`.spot_checks` — spot checks (抽查) of approved reports and the data
  accuracy rate (数据准确率), 国管节能〔2015〕304号;
- :mod:`.review_report` — the annual 会审 report of a region: completeness
  (上报率, 审核率), findings by rule and their resolution, accuracy from the spot
  checks.

Imports :mod:`jieneng.services.accounts` and the shared :mod:`jieneng.services.scope`;
data entry, imports and the reporting workflow import this package.
"""
