"""Passwords: Argon2id hashing and verification, and the policy every new password meets.

Argon2id with the argon2-cffi defaults (RFC 9106 low-memory profile); only the
hash is stored, and :func:`needs_rehash` says when the parameters changed. New
passwords follow :mod:`jieneng.core.passwords` (等保 2.0 complexity). Used by
:mod:`jieneng.services.accounts.auth` (login) and :mod:`jieneng.services.accounts.users` (setting a
password); it imports neither.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from jieneng.core.passwords import MIN_LENGTH, check_password

_hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}
#: the ``test`` profile (settings.password_hash_profile): Argon2id with cheap parameters
#: for the servers the test suite starts; refused in production by the settings. Its
#: memory differs from the in-process tests' hasher (1 MiB), so a server still re-hashes
#: their accounts on login, as it would after a change of parameters.
TEST_TIME_COST, TEST_MEMORY_KIB, TEST_PARALLELISM = 1, 2048, 1
MIN_PASSWORD_LENGTH = MIN_LENGTH


def use_profile(profile: str, environment: str) -> None:
    """Hash new passwords with the parameters of ``profile`` (settings.password_hash_profile):
    ``test`` only outside production (the settings refuse it there too); ``default``
    changes nothing."""
    global _hasher
    if profile == "test" and environment != "production":
        _hasher = PasswordHasher(time_cost=TEST_TIME_COST, memory_cost=TEST_MEMORY_KIB,
                                 parallelism=TEST_PARALLELISM)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def validate_password(password: str, username: str | None = None) -> None:
    """WeakPassword (a ValidationFailed naming the rule) unless the policy accepts it."""
    check_password(password, username)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored Argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def verify_nobody(password: str) -> None:
    """The work of one verification against no one's password (same cost as a real one),
    so that an unknown or locked account is answered after the same time."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hashes[key], password)
