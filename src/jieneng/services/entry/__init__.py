"""Getting figures in (数据填报): the monthly form and file imports.

- :mod:`.entry` — the monthly form of one institution: what is stored, the
  previous month and the same month last year beside it, and saving;
- :mod:`.year` — the year grid of one institution (12 months × carriers, last year
  beside, totals, the year's tasks and locked months), saving several months at once
  through :mod:`.entry`, and 上报 from the form;
- :mod:`.profile` — the annual 基本信息 (NY101: 用能人数, 建筑面积, vehicles …);
- :mod:`.entry_checks` — the checks of the form run before saving (pure: typed
  lines in, findings with stable codes and canonical figures out);
- :mod:`.imports` — importing regions, institutions, profiles and consumption
  from files, all-or-nothing with the original bytes kept; the web upload is
  the same import limited to the caller's scope.

Every write runs the quality rules (:mod:`jieneng.services.quality`) and
respects the reporting workflow's figure lock (:mod:`jieneng.services.workflow.locks`).
"""
