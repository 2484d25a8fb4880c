"""The command line: ``python -m bot`` (or ``python -m bot run``) runs the bot."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from telegram import Update

from bot.app import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

logger = logging.getLogger(__name__)

CONFIG_ERROR_STATUS = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram bot that shows a VIN's US salvage-auction history.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot with long polling (the default)")
    arguments = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as error:
        sys.stderr.write(f"configuration error: {error}\n")
        return CONFIG_ERROR_STATUS

    configure_logging(settings)
    match arguments.command:
        case None | "run":
            return run(settings)
    parser.error(f"unknown command {arguments.command}")


def run(settings: Settings) -> int:
    """Run the bot until it is stopped by a signal."""
    application = build_application(settings)
    logger.info("starting; database %s", settings.database_path)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
