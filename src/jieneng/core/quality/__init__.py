"""Data-quality rules (数据审核规则): what each rule checks, its configuration per
region, its findings and messages, and the statistics the SQL layer cannot easily do.

Evaluation (which figures to look at, in SQL) lives in the storage/services
layers (:mod:`jieneng.storage.quality`, :mod:`jieneng.services.quality.quality`).

Modules (import from them directly; this package re-exports nothing):

- :mod:`.model` — severities, levels, message placeholders, indicators, the
  :class:`~.model.Rule` and :class:`~.model.Param` records;
- :mod:`.catalogue` — the rule catalogue ``RULES`` and :func:`~.catalogue.rule`;
- :mod:`.config` — per-region overrides and their inheritance (root → leaf);
- :mod:`.findings` — :class:`~.findings.Finding` and :func:`~.findings.render`;
- :mod:`.stats` — robust spike test, unit slip, year-on-year change, percentiles;
- :mod:`.document` — the generated Markdown catalogue ``docs/quality-rules.md``.
"""
