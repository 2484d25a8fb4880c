"""The command line, run as an operator runs it: ``python -m bot``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def run_bot(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "AUTOASTAT_TOKEN"}}
    clean["PYTHONPATH"] = str(REPOSITORY)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_token_is_one_clear_line_and_exit_status_2(tmp_path: Path) -> None:
    result = run_bot({"AUTOASTAT_TOKEN": "x"}, tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["configuration error: BOT_TOKEN is required"]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HOURLY_BUDGET", "lots", "HOURLY_BUDGET"),
        ("USER_DAILY_QUOTA", "-1", "USER_DAILY_QUOTA"),
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("AUTOASTAT_URL", "not a url", "AUTOASTAT_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("WEBHOOK_URL", "https://bot.example.com/telegram", "WEBHOOK_SECRET"),
        ("PORT", "70000", "PORT"),
        ("ACCESS", "friends", "ACCESS"),
    ],
)
def test_a_malformed_setting_is_named(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result = run_bot({"BOT_TOKEN": "1:x", "AUTOASTAT_TOKEN": "y", variable: value}, tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"configuration error: {expected} ")
    assert "1:x" not in result.stderr


def test_settings_are_read_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=1:from-dotenv\nHOURLY_BUDGET=zero\n")

    result = run_bot({"AUTOASTAT_TOKEN": "y"}, tmp_path)

    # The token came from .env: only the malformed budget is reported.
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: HOURLY_BUDGET ")


def test_help_describes_the_commands(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path, "--help")

    assert result.returncode == 0
    assert "run" in result.stdout


def test_an_unknown_command_is_wrong_usage(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path, "fly")

    assert result.returncode == 2
    assert "invalid choice" in result.stderr
