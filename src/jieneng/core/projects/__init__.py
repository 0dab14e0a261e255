"""Energy-saving projects (retrofit, EPC, 能源费用托管, 合同节水, PV, heat pumps …):
types, the lifecycle state machine, contract rule sets and settlement formulas — pure.
Conventions in ``docs/projects.md``."""
