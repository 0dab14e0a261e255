"""Accounts: who may sign in, as whom, and the record of what everyone changed.

- :mod:`.users` — roles, the scope each role is pinned to, the account as the
  pages see it (:class:`~jieneng.core.caller.User`), and
  :func:`~jieneng.services.accounts.accounts.users.require_actor`, the one capability check
  every feature's writes go through;
- :mod:`.accounts` — account administration: create, read, list and change
  accounts, change one's own password, end an account's sessions;
- :mod:`.auth` — authentication: login lockout, server-side sessions, API tokens;
- :mod:`.passwords` — Argon2id hashing and the policy every new password meets;
- :mod:`.sessions` — the digest a session token is stored under, ending sessions;
- :mod:`.audit` — the audit log: every write of every feature records who, when,
  what and before → after in the writing transaction. It lives here because an
  entry is an account's act; it imports nothing of the services.

Inside, imports run one way (``account-services`` contract in ``pyproject.toml``):
``auth | accounts`` > ``users`` > ``passwords | sessions``; ``audit`` is below them all.
Every other feature package may import this one; it imports none of them.
"""
