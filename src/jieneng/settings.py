"""Typed settings, read from the environment (``JIENENG_*``) or passed in.

Nothing here runs at import time: call :func:`load_settings`. A default secret is
refused outside development.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jieneng.core.exceptions import ValidationFailed

DEV_SECRET = "development-only-secret-do-not-use"


def data_dir() -> Path:
    """The user's data directory for jieneng (created on demand by callers)."""
    return Path(user_data_dir("jieneng", appauthor=False))


def default_database_url(name: str = "jieneng.db") -> str:
    return f"sqlite:///{data_dir() / name}"


class Settings(BaseSettings):
    """Settings of one jieneng installation."""

    model_config = SettingsConfigDict(env_prefix="JIENENG_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    environment: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    max_upload_bytes: int = 50 * 1024 * 1024
    #: the most issues the full error report of a rejected import lists [rows]; the
    #: counts by kind and column stay exact (services.entry.error_reports)
    import_report_max_rows: int = Field(default=100_000, ge=1)
    #: request body of every route that is not a file upload (forms, JSON) [bytes];
    #: larger ones are refused (413) before they are read (``web.limits``)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    factor_set: str = "pi-published"
    #: consecutive failed logins before an account is locked, and for how long
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    #: lifetime of a login session [s] (absolute: sign in again after it)
    session_max_age: int = 8 * 60 * 60
    #: a session unused for this long ends [min] (等保 2.0: 登录连接超时自动退出)
    session_idle_minutes: int = Field(default=30, ge=1)
    #: dashboard results cached per server process (``services.result_cache``);
    #: 0 turns the cache off
    result_cache_entries: int = Field(default=256, ge=0)
    #: per-client rate limits (``web.ratelimit``): on or off; unset means on in
    #: production only (development, the test suite and the bench run without)
    rate_limit_enabled: bool | None = None
    #: POST /login attempts per client IP address per window [s]
    login_rate_limit: int = Field(default=20, ge=1)
    login_rate_window: int = Field(default=5 * 60, ge=1)
    #: API requests with a bearer token, per token, per window [s]
    api_rate_limit: int = Field(default=600, ge=1)
    api_rate_window: int = Field(default=60, ge=1)

    #: outgoing e-mail for notifications (services.notifications.notify); no host = e-mail skipped
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "jieneng@localhost"
    smtp_starttls: bool = True
    #: reporting reminders (services.workflow.reminders): days before the deadline, and how
    #: many days after it overdue reminders continue (one a day)
    remind_days_before: int = Field(default=3, ge=0, le=60)
    remind_overdue_days: int = Field(default=14, ge=0, le=365)
    #: delivery attempts per channel and message (exponential backoff between them)
    #: early warning (services.targets.alerts): 提示 when the actual to date reaches this share
    #: of the pro-rated allowance; unacknowledged alerts go to the level above after
    alert_notice_share: float = Field(default=0.9, gt=0, le=1)
    alert_escalate_hours: float = Field(default=48.0, gt=0)
    #: publishing a year on the public big screen (services.publishing.publication): the
    #: least 上报率 and 审核率 of the year's tasks; below them only with a stated reason
    publish_min_reporting_rate: float = Field(default=0.95, ge=0, le=1)
    publish_min_review_rate: float = Field(default=0.90, ge=0, le=1)
    #: the period a statistics page opens on (services.statistics.periods): the last
    #: reporting period with at least this share of its tasks approved (docs/statistics.md)
    default_period_min_approved: float = Field(default=0.8, gt=0, le=1)
    notify_attempts: int = Field(default=3, ge=1, le=10)
    notify_timeout_seconds: float = Field(default=10.0, gt=0)
    #: the web app delivers the notification outbox every this many seconds (and at once
    #: after a commit that queued); 0: no worker in the app (``jieneng notify deliver``)
    notify_worker_seconds: float = Field(default=5.0, ge=0)
    #: the web app derives metering intervals and roll-ups from new readings every this
    #: many seconds (services.metering.derive); 0: no worker in the app
    #: (``jieneng meters derive --loop``)
    metering_derive_seconds: float = Field(default=10.0, ge=0)
    #: where the energy of the reading after a gap goes: ``spread`` (evenly, flagged
    #: estimated) or ``flag`` (on the last interval; the gap's intervals missing)
    metering_gap_policy: Literal["spread", "flag"] = "spread"
    #: Argon2id parameters of new password hashes: ``default`` (argon2-cffi's, RFC 9106
    #: low-memory) or ``test`` (cheap, for the servers the test suite starts:
    #: ``JIENENG_PASSWORD_HASH_PROFILE=test``); ``test`` is refused in production
    password_hash_profile: Literal["default", "test"] = "default"

    @property
    def rate_limits_on(self) -> bool:
        if self.rate_limit_enabled is None:
            return self.environment == "production"
        return self.rate_limit_enabled

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and secret == DEV_SECRET:
            raise ValidationFailed.of("settings.secret_key_missing")
        if self.environment == "production":
            refuse_weak_secret(secret)
            if self.password_hash_profile != "default":
                raise ValidationFailed.of("settings.password_hash_profile_production",
                                          field="password_hash_profile")
        return self


#: a production JIENENG_SECRET_KEY: at least this long, with this many distinct characters
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 12
_WEAK_SECRET_WORDS = ("changeme", "secret", "password", "jieneng", "example", "default")


def refuse_weak_secret(secret: str) -> None:
    """ValidationFailed unless ``secret`` is long and random enough for production.

    At least :data:`SECRET_MIN_LENGTH` characters with :data:`SECRET_MIN_DISTINCT`
    distinct ones, and not built around a placeholder word (``changeme``, ``secret`` …).
    ``python -c "import secrets; print(secrets.token_urlsafe(48))"`` makes one.
    """
    lowered = secret.lower()
    if (len(secret) < SECRET_MIN_LENGTH or len(set(secret)) < SECRET_MIN_DISTINCT
            or any(word in lowered for word in _WEAK_SECRET_WORDS)):
        raise ValidationFailed.of(
            "settings.secret_key_weak",
            min_length=SECRET_MIN_LENGTH, min_distinct=SECRET_MIN_DISTINCT,
            field="secret_key",
        )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit ``overrides`` (None values ignored)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
