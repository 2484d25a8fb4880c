"""Logging for the whole process, configured once at start, with secrets kept out."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.config import Settings

REDACTED = "[redacted]"


def configure_logging(settings: Settings) -> None:
    """One format for every logger, quiet libraries, and no token in any line."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(_secrets(settings), "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    redact_records(_secrets(settings))


def _secrets(settings: Settings) -> list[str]:
    return [settings.bot_token.get_secret_value(), settings.autoastat_token.get_secret_value()]


def redact_records(secrets: Iterable[str]) -> None:
    """Make every log record, whoever logs it, carry its message with the secrets blanked.

    python-telegram-bot logs its API URL (which holds the token) at DEBUG, so
    quieting our own code is not enough; redacting at record creation covers
    every logger and every handler.
    """
    hidden = [secret for secret in secrets if secret]
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        message = record.getMessage()
        if any(secret in message for secret in hidden):
            record.msg, record.args = _blank(message, hidden), None
        return record

    logging.setLogRecordFactory(redacting_factory)


class RedactingFormatter(logging.Formatter):
    """Blanks the secrets in the formatted line too, tracebacks included."""

    def __init__(self, secrets: Iterable[str], fmt: str) -> None:
        super().__init__(fmt)
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        """The usual line, with every secret replaced."""
        return _blank(super().format(record), self._secrets)


def _blank(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
