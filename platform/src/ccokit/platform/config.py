"""Twelve-factor configuration: ``CCOKIT_*`` variables, validated once at start-up.

Nothing reads the environment at import time. :func:`load_settings` reads a mapping (the process
environment by default) and either returns :class:`Settings` or raises :class:`ConfigError`
whose message is one line naming the variable and what is wrong with it, which the CLI prints
before exiting.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ConfigError", "Settings", "load_settings"]


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one ccokit process."""

    database_url: str = "sqlite:///var/ccokit.db"
    #: The role that owns the tables and runs migrations; defaults to ``database_url``.
    migration_database_url: str | None = None
    #: A pooled PostgreSQL connection idle longer than this is pinged before use (0: always).
    database_ping_after: float = 1.0
    redis_url: str | None = None
    storage_url: str = "file://var/blobs"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 1
    web_threads: int = 8
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    signup_rate_limit: str = "20 per minute"
    token_rate_limit: str = "300 per minute"  # noqa: S105 - a rate, not a secret
    signin_rate_limit: str = "20 per minute"
    #: Unauthenticated API calls per client IP.
    public_rate_limit: str = "300 per minute"
    #: Replaces every plan's ``requests_per_minute`` when set (single-merchant installs, load tests).
    tenant_rate_limit: str | None = None
    signup_plan: str = "free"
    log_level: str = "INFO"
    event_redelivery_seconds: float = 30.0
    event_retry_base: float = 10.0
    event_retry_cap: float = 3600.0
    event_max_attempts: int = 8
    event_retention_days: int = 7
    #: Webhooks may go to loopback addresses (development and tests only).
    webhooks_allow_loopback: bool = False
    #: Multiplies every delay of the webhook retry schedule (tests compress three days).
    webhook_retry_scale: float = 1.0
    webhook_disable_after_days: float = 5.0
    webhook_secret_grace_seconds: int = 24 * 3600
    webhook_retention_days: int = 30
    max_content_length: int = 1 << 20
    trusted_proxies: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def owner_database_url(self) -> str:
        return self.migration_database_url or self.database_url

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low:g} and {high:g}, got {value:g}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """A flask-limiter limit string such as ``20 per minute`` or ``5/second;100/hour``."""
    from limits import parse_many

    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a rate such as '20 per minute', got {raw!r}") from None
    return raw


def _database_url(name: str, raw: str) -> str:
    scheme = urlsplit(raw).scheme
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg", "postgres"):
        raise ConfigError(
            f"{name}: expected a postgresql:// or sqlite:/// URL, got scheme {scheme!r}"
        )
    if scheme == "postgres":
        raw = "postgresql" + raw[len("postgres"):]
    return raw


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from ``env`` (default: ``os.environ``) plus explicit overrides."""
    env = os.environ if env is None else env
    get = env.get
    app_env = get("CCOKIT_ENV", "development")
    if app_env not in ("development", "production", "test"):
        raise ConfigError(
            f"CCOKIT_ENV: expected development, production or test, got {app_env!r}"
        )

    database_url = _database_url(
        "CCOKIT_DATABASE_URL", get("CCOKIT_DATABASE_URL") or Settings.database_url
    )
    migration_url = get("CCOKIT_MIGRATION_DATABASE_URL") or None
    if migration_url:
        migration_url = _database_url("CCOKIT_MIGRATION_DATABASE_URL", migration_url)

    redis_url = get("CCOKIT_REDIS_URL") or None
    if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"CCOKIT_REDIS_URL: expected a redis:// URL, got {redis_url!r}")

    storage_url = get("CCOKIT_STORAGE_URL") or Settings.storage_url
    storage_scheme = urlsplit(storage_url).scheme
    if storage_scheme not in ("file", "s3"):
        raise ConfigError(
            f"CCOKIT_STORAGE_URL: expected file://PATH or s3://BUCKET, got {storage_url!r}"
        )
    if storage_scheme == "s3" and not urlsplit(storage_url).netloc:
        raise ConfigError("CCOKIT_STORAGE_URL: an s3:// URL needs a bucket name")

    secret_key = get("CCOKIT_SECRET_KEY") or ""
    if not secret_key:
        if app_env == "production":
            raise ConfigError("CCOKIT_SECRET_KEY: required in production (32+ random characters)")
        secret_key = _development_secret()
    elif len(secret_key) < 32:
        raise ConfigError("CCOKIT_SECRET_KEY: must be at least 32 characters long")

    base_url = (get("CCOKIT_BASE_URL") or Settings.base_url).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"CCOKIT_BASE_URL: expected an http(s):// URL, got {base_url!r}")
    if app_env == "production" and parts.scheme != "https":
        raise ConfigError("CCOKIT_BASE_URL: must be https:// in production")

    log_level = (get("CCOKIT_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"CCOKIT_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    from ccokit.tenants.plans import PLANS

    signup_plan = get("CCOKIT_SIGNUP_PLAN") or "free"
    if signup_plan not in PLANS:
        raise ConfigError(
            f"CCOKIT_SIGNUP_PLAN: unknown plan {signup_plan!r}; expected one of {sorted(PLANS)}"
        )

    settings = Settings(
        database_url=database_url,
        migration_database_url=migration_url,
        database_ping_after=_float(env, "CCOKIT_DATABASE_PING_AFTER_SECONDS", 1.0, 0.0, 3600),
        redis_url=redis_url,
        storage_url=storage_url,
        secret_key=secret_key,
        base_url=base_url,
        env=app_env,
        host=get("CCOKIT_HOST") or "127.0.0.1",
        port=_int(env, "CCOKIT_PORT", 8000, 1, 65535),
        web_workers=_int(env, "CCOKIT_WEB_WORKERS", 1, 1, 64),
        web_threads=_int(env, "CCOKIT_WEB_THREADS", 8, 1, 256),
        access_token_ttl=_int(env, "CCOKIT_ACCESS_TOKEN_TTL", 900, 60, 900),
        refresh_token_ttl=_int(env, "CCOKIT_REFRESH_TOKEN_TTL", 30 * 24 * 3600, 3600, 365 * 24 * 3600),
        signup_rate_limit=_rate_limit(env, "CCOKIT_SIGNUP_RATE_LIMIT", "20 per minute"),
        token_rate_limit=_rate_limit(env, "CCOKIT_TOKEN_RATE_LIMIT", "300 per minute"),
        signin_rate_limit=_rate_limit(env, "CCOKIT_SIGNIN_RATE_LIMIT", "20 per minute"),
        public_rate_limit=_rate_limit(env, "CCOKIT_PUBLIC_RATE_LIMIT", "300 per minute"),
        tenant_rate_limit=(
            _rate_limit(env, "CCOKIT_TENANT_RATE_LIMIT", "") if get("CCOKIT_TENANT_RATE_LIMIT") else None
        ),
        signup_plan=signup_plan,
        log_level=log_level,
        max_content_length=_int(env, "CCOKIT_MAX_CONTENT_LENGTH", 1 << 20, 1024, 1 << 30),
        trusted_proxies=_int(env, "CCOKIT_TRUSTED_PROXIES", 0, 0, 5),
        event_redelivery_seconds=_float(env, "CCOKIT_EVENT_REDELIVERY_SECONDS", 30.0, 0.05, 3600),
        event_retry_base=_float(env, "CCOKIT_EVENT_RETRY_BASE_SECONDS", 10.0, 0.01, 3600),
        event_retry_cap=_float(env, "CCOKIT_EVENT_RETRY_CAP_SECONDS", 3600.0, 0.01, 86400),
        event_max_attempts=_int(env, "CCOKIT_EVENT_MAX_ATTEMPTS", 8, 1, 50),
        event_retention_days=_int(env, "CCOKIT_EVENT_RETENTION_DAYS", 7, 1, 3650),
        webhooks_allow_loopback=_bool(env, "CCOKIT_WEBHOOKS_ALLOW_LOOPBACK", False),
        webhook_retry_scale=_float(env, "CCOKIT_WEBHOOK_RETRY_SCALE", 1.0, 0.00001, 10.0),
        webhook_disable_after_days=_float(env, "CCOKIT_WEBHOOK_DISABLE_AFTER_DAYS", 5.0, 0.00001, 365.0),
        webhook_secret_grace_seconds=_int(
            env, "CCOKIT_WEBHOOK_SECRET_GRACE_SECONDS", 24 * 3600, 0, 7 * 24 * 3600
        ),
        webhook_retention_days=_int(env, "CCOKIT_WEBHOOK_RETENTION_DAYS", 30, 1, 3650),
    )
    if settings.webhooks_allow_loopback and app_env == "production":
        raise ConfigError("CCOKIT_WEBHOOKS_ALLOW_LOOPBACK: not allowed in production (webhooks to loopback)")
    return replace(settings, **overrides) if overrides else settings


def _development_secret() -> str:
    """A per-checkout secret kept in ``var/`` so that development restarts keep sessions valid."""
    path = Path("var/secret_key")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
