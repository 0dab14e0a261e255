"""Carbon extras (issue 14 §6): :mod:`.events` — an event's carbon, offsets and 碳中和;
:mod:`.factors` — the administrator-set event factors; :mod:`.points` — the
carbon-points ledger (import, leaderboards, monthly totals). Writes need
``record_carbon`` (setting a factor: ``factor_sets``); reads follow the caller's scope
(:mod:`jieneng.services.scope`); every write is one transaction with an audit entry."""
