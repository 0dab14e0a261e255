"""Carbon extras the notices name (issue 14 §6): an event's carbon (大型活动/会议碳中和)
and the carbon-points ledger (碳普惠). Pure arithmetic over data files
``jieneng/data/carbon/*.csv``; modules (import from them directly):

- :mod:`.events` — the event factor table, resolving each mode's factor, the result
  by source with the factors that made it, offsets, net and 碳中和;
- :mod:`.points` — the points rules and the points/CO₂ of ledger entries.
"""
