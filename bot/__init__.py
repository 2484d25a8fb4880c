"""Telegram bot that shows a VIN's history at the US salvage auctions."""

import os

# python-telegram-bot 22 warns on every duration it hands out (RetryAfter among
# them) unless the process opts in to the timedelta form that version 23 makes
# the default; opting in keeps the logs free of that warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
