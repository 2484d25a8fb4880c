"""Settings from the environment and an optional ``.env`` file.

The variable names are the bot's interface to its operators: the README, the
Dockerfile and the tests all use them, so rename none of them lightly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import (
    Field,
    HttpUrl,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import available_languages

# Not a secret: the AUTOASTAT_TOKEN value that switches demo mode on.
DEMO_TOKEN = "demo"  # noqa: S105

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says why."""


class Settings(BaseSettings):
    """Everything an operator can set."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    bot_token: SecretStr
    autoastat_token: SecretStr
    autoastat_url: HttpUrl = HttpUrl("https://autoastat.com")
    telegram_api_url: HttpUrl = HttpUrl("https://api.telegram.org")
    database_path: Path = Path("data/bot.sqlite3")
    hourly_budget: int = Field(default=100, ge=1)
    user_daily_quota: int = Field(default=10, ge=0)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    cache_ttl_hours: float = Field(default=24, gt=0)
    retry_delay: float = Field(default=30, ge=0)
    autoastat_timeout: float = Field(default=15, gt=0)
    max_vins_per_message: int = Field(default=3, ge=1)
    inline_answer_timeout: float = Field(default=4, gt=0, le=10)
    user_rate_limit: int = Field(default=10, ge=0)
    access: Literal["public", "allowlist"] = "public"
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "en"
    webhook_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: LogLevel = "INFO"

    @field_validator("bot_token", "autoastat_token")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("admin_ids", "allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", "access", mode="before")
    @classmethod
    def _fold_case(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("default_language", mode="before")
    @classmethod
    def _shipped_language(cls, value: Any) -> Any:
        # Checked here, against the catalogue files alone, so that a typo stops the
        # bot at start with one line instead of failing later, when it opens.
        if not isinstance(value, str):
            return value
        language = value.strip().lower()
        shipped = available_languages()
        if language not in shipped:
            raise ValueError(f"must be one of {', '.join(shipped)}")
        return language

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        # Telegram sends the secret back in a header: 1-256 of A-Z a-z 0-9 _ -.
        if not _WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError(
                "WEBHOOK_SECRET must be set with WEBHOOK_URL: 1 to 256 letters, digits, _ or -"
            )
        return self

    @property
    def demo(self) -> bool:
        """Whether lookups are answered from the sample history instead of the API."""
        return self.autoastat_token.get_secret_value() == DEMO_TOKEN

    @property
    def autoastat_base(self) -> str:
        """The API base without a trailing slash."""
        return str(self.autoastat_url).rstrip("/")

    @property
    def telegram_base(self) -> str:
        """The Bot API base without a trailing slash."""
        return str(self.telegram_api_url).rstrip("/")

    @property
    def cache_ttl_seconds(self) -> float:
        """How long a fetched history is served from the cache."""
        return self.cache_ttl_hours * 3600


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning any validation error into one readable line."""
    try:
        return Settings(**overrides)
    except pydantic.ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: pydantic.ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        reason = "is required" if error["type"] == "missing" else error["msg"]
        reason = reason.removeprefix("Value error, ")
        # A rule across settings names its variables itself.
        problems.append(f"{str(error['loc'][0]).upper()} {reason}" if error["loc"] else reason)
    return "; ".join(problems)
