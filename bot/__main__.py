"""The command line: ``python -m bot [run | lookup VIN | stats | check | health] [--demo]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any

from telegram import Update

from bot import cli
from bot.app import Webhook, build_application
from bot.config import DEMO_TOKEN, ConfigError, Settings, load_settings
from bot.logs import configure_logging

logger = logging.getLogger(__name__)

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The commands and their options."""
    demo = argparse.ArgumentParser(add_help=False)
    demo.add_argument(
        "--demo",
        action="store_true",
        help="answer from the vendor's sample history, with no API request",
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram bot that shows a VIN's US salvage-auction history.",
        parents=[demo],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", parents=[demo], help="run the bot (the default)")
    lookup = commands.add_parser(
        "lookup", parents=[demo], help="print a VIN's summary here, as the bot would send it"
    )
    lookup.add_argument("vin", help="the VIN, in any case, split or not")
    lookup.add_argument("--lang", help="language of the summary: en, ru or uk")
    commands.add_parser(
        "stats", parents=[demo], help="print the budget and lookup figures /stats shows"
    )
    commands.add_parser(
        "check",
        parents=[demo],
        help="check the settings, the database and the Telegram token",
    )
    commands.add_parser(
        "health", parents=[demo], help="exit 0 while the running bot is alive (for Docker)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    arguments = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {"autoastat_token": DEMO_TOKEN} if arguments.demo else {}
    try:
        settings = load_settings(**overrides)
    except ConfigError as error:
        sys.stderr.write(f"configuration error: {error}\n")
        return USAGE_ERROR

    configure_logging(settings)
    match arguments.command:
        case "lookup":
            return asyncio.run(cli.lookup(settings, arguments.vin, arguments.lang))
        case "stats":
            return asyncio.run(cli.show_stats(settings))
        case "check":
            return asyncio.run(cli.check(settings))
        case "health":
            return cli.health(settings)
        case _:
            return run(settings)


def run(settings: Settings) -> int:
    """Run the bot until it is stopped by a signal."""
    application = build_application(settings)
    mode = "demo mode, no API requests" if settings.demo else "live"
    webhook = Webhook.from_settings(settings)
    logger.info(
        "starting (%s, %s); database %s",
        mode,
        "long polling" if webhook is None else f"webhook on port {webhook.port}",
        settings.database_path,
    )
    if webhook is None:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    else:
        application.run_webhook(
            listen=webhook.listen,
            port=webhook.port,
            url_path=webhook.path,
            webhook_url=webhook.url,
            secret_token=webhook.secret,
            allowed_updates=Update.ALL_TYPES,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
