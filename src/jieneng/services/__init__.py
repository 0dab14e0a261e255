"""Use cases: one function per command, one transaction per command.

Grouped by feature (DESIGN.md §4), one package per area:

================= ===========================================================
``accounts``      users and roles, account administration, login and sessions,
                  passwords, the audit log
``statistics``    the dashboards' figures: selection, overview, rankings,
                  explanations, indicators, the factor-set choice
``workflow``      the reporting workflow: periods, tasks, review, questions,
                  the figure lock, reminders (催报)
``entry``         getting figures in: the monthly form, its checks, file imports
``directory``     the institution directory (名录库) and an institution's records
``quality``       data-quality rules and findings, spot checks, the 会审 report
``targets``       dual-control targets, quotas, progress and assessment, alerts
``notifications`` the senders (in-app, e-mail, group robots) and the channels
``publishing``    the public screen's years, summaries (汇总), the annual 通报
================= ===========================================================

Four modules stay here, outside every feature, because they are not features:
three are the shared plumbing every package uses and that imports none of them
— :mod:`.scope` (the one place scope is enforced), :mod:`.result_cache` (the
dashboard cache keyed by the data version) and :mod:`.database` (opening the
database for a command) — and :mod:`.demo` builds the demo database through all
of the packages, so it sits above them. A package named ``common`` would add a
name without adding meaning.
"""
