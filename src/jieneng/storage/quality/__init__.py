"""Data-quality rules in storage: evaluated set-based over the roll-up tables, their
findings stored in ``quality_finding`` (what each rule checks: :mod:`jieneng.core.quality`).

- :mod:`.evaluation` — :func:`~.evaluation.evaluate`: the institutions of an
  evaluation in chunks, every rule, one replace of their findings;
- :mod:`.figure_rules` — the per-figure rules over dense institutions × 36 months arrays;
- :mod:`.institution_rules` — the rules over profiles, the directory, peers and quotas;
- :mod:`.model` — the period of an evaluation, its counts, the findings collector;
- :mod:`.findings` — staging and replacing findings, and reading them;
- :mod:`.settings` — the per-region rule settings and the reference prices.
"""
