"""The metering registry (issue 12 §1): utility accounts (户号) bound to institutions,
meters, their install / replace / remove events and virtual meters.

- :mod:`.registry` — the commands: bind / unbind an account, add / replace / remove a
  meter, define a virtual meter (capability ``manage_metering``, scope, audit, one
  transaction each);
- :mod:`.listing` — an institution's accounts and meters;
- :mod:`.imports` — bulk binding from a spreadsheet (all or nothing, dry run).

The domain rules are :mod:`jieneng.core.metering`'s; the tables
:mod:`jieneng.storage.metering`'s.
"""
