"""The test-only Argon2 profile (settings.password_hash_profile): cheap hashes for the
servers the suite starts, never in production."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from jieneng.core.exceptions import ValidationFailed
from jieneng.services.accounts import passwords
from jieneng.settings import Settings

STRONG = "kX3v-9QpL_2wRt7Zm4Nb8Yc1Hd6Jf0Gs5Ae"


def test_production_refuses_the_test_profile() -> None:
    with pytest.raises(ValidationFailed) as err:
        Settings(environment="production", secret_key=STRONG, password_hash_profile="test")
    assert err.value.code == "settings.password_hash_profile_production"
    assert Settings(environment="production", secret_key=STRONG).password_hash_profile == (
        "default")


def test_the_profile_is_honoured_outside_production_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    default = PasswordHasher()
    monkeypatch.setattr(passwords, "_hasher", default)
    passwords.use_profile("test", "production")  # the settings refuse it before this
    assert passwords._hasher is default
    passwords.use_profile("default", "test")
    assert passwords._hasher is default
    passwords.use_profile("test", "test")
    cheap = passwords.hash_password("Correct-Horse-Battery-9")
    assert cheap.startswith("$argon2id$") and "m=2048,t=1,p=1" in cheap
    assert passwords.verify_password(cheap, "Correct-Horse-Battery-9")
    assert "m=65536" in default.hash("x")  # the default stays argon2-cffi's
