"""Energy-saving projects: registry and lifecycle, contracts, boundaries, M&V runs,
non-routine adjustments, statements, settlement and alerts — one use case per function.

M&V, statements, settlement and alerts (``docs/projects.md`` §7–§10):
``mv_access`` (the project in the caller's scope, its contract), ``mv_inputs`` (NY201
months or boundary meters' days, temperatures, prices — described), ``mv_runs`` (fit and
store a baseline run, evaluate it over a period), ``adjustments`` (non-routine, evidence
and approval), ``statements`` (monthly / quarterly / annual, the 荆州 cadence),
``settlement`` (trusteeship fee and margin, shared benefit, guarantee shortfall),
``project_alerts`` (through the platform's alerts)."""
