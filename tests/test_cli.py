"""The terminal commands ``lookup`` and ``check``, run as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.vins import SAMPLE_VIN

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    status: int
    out: str
    err: str


async def run_cli(cwd: Path, *args: str, **env: str) -> Result:
    """``python -m bot ARGS`` with these settings; the fakes keep serving meanwhile."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "AUTOASTAT"))}
    environment |= {"PYTHONPATH": str(REPOSITORY), "DATABASE_PATH": str(cwd / "bot.sqlite3")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=environment | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def test_lookup_in_demo_mode_needs_only_a_bot_token(tmp_path: Path) -> None:
    result = await run_cli(tmp_path, "lookup", "--demo", "5yjsa1e2xmf123456", BOT_TOKEN="1:x")

    assert result.status == 0, result.err
    assert "Demo data" in result.out
    assert "5YJSA1E2XMF123456" in result.out
    assert "3 auction records" in result.out
    assert "<b>" not in result.out
    assert "$1,750" in result.out


async def test_lookup_uses_the_api_then_the_cache(
    tmp_path: Path, fake_autoastat: FakeAutoastat
) -> None:
    settings = {
        "BOT_TOKEN": "1:x",
        "AUTOASTAT_TOKEN": fake_autoastat.token,
        "AUTOASTAT_URL": fake_autoastat.url,
    }

    first = await run_cli(tmp_path, "lookup", SAMPLE_VIN, **settings)
    second = await run_cli(tmp_path, "lookup", SAMPLE_VIN.lower(), **settings)

    assert first.status == second.status == 0, first.err + second.err
    assert "(fresh: one API request)" in first.out
    assert "(cache: no API request)" in second.out
    assert "Seller: CA Auto Sales (not an insurer)" in second.out
    assert fake_autoastat.request_count() == 1
    assert fake_autoastat.token not in first.out + first.err


async def test_lookup_reports_an_api_failure_with_status_1(
    tmp_path: Path, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.set_response(SAMPLE_VIN, status=401, body={"message": "Unauthorized"})

    result = await run_cli(
        tmp_path,
        "lookup",
        SAMPLE_VIN,
        BOT_TOKEN="1:x",
        AUTOASTAT_TOKEN=fake_autoastat.token,
        AUTOASTAT_URL=fake_autoastat.url,
    )

    assert result.status == 1
    assert "temporarily unavailable" in result.err


async def test_lookup_of_something_that_is_not_a_vin_is_wrong_usage(tmp_path: Path) -> None:
    result = await run_cli(tmp_path, "lookup", "--demo", "hello", BOT_TOKEN="1:x")

    assert result.status == 2
    assert "no VIN" in result.err


async def test_check_reports_what_it_found(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    settings = {
        "AUTOASTAT_TOKEN": fake_autoastat.token,
        "TELEGRAM_API_URL": fake_telegram.url,
    }

    good = await run_cli(tmp_path, "check", BOT_TOKEN=fake_telegram.token, **settings)
    bad = await run_cli(tmp_path, "check", BOT_TOKEN="999:WRONG", **settings)

    assert good.status == 0, good.out + good.err
    assert "ok    telegram: token accepted for @VinHistoryBot, inline mode on" in good.out
    assert "ok    database:" in good.out
    assert bad.status == 1
    assert "FAIL  telegram: Telegram rejected BOT_TOKEN" in bad.out
    assert "WRONG" not in bad.out + bad.err


async def test_check_reports_an_unwritable_database(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")

    result = await run_cli(
        tmp_path,
        "check",
        "--demo",
        BOT_TOKEN=fake_telegram.token,
        TELEGRAM_API_URL=fake_telegram.url,
        DATABASE_PATH=str(blocked / "bot.sqlite3"),
    )

    assert result.status == 1
    assert "FAIL  database:" in result.out


async def test_each_command_has_help_and_wrong_usage_is_status_2(tmp_path: Path) -> None:
    for command in ("run", "lookup", "check"):
        help_result = await run_cli(tmp_path, command, "--help")
        assert help_result.status == 0
        assert "usage: python -m bot" in help_result.out

    missing_vin = await run_cli(tmp_path, "lookup", BOT_TOKEN="1:x")
    assert missing_vin.status == 2
    assert "the following arguments are required: vin" in missing_vin.err


async def test_stats_prints_what_the_lookups_did(
    tmp_path: Path, fake_autoastat: FakeAutoastat
) -> None:
    settings = {
        "BOT_TOKEN": "1:x",
        "AUTOASTAT_TOKEN": fake_autoastat.token,
        "AUTOASTAT_URL": fake_autoastat.url,
    }
    await run_cli(tmp_path, "lookup", SAMPLE_VIN, **settings)
    await run_cli(tmp_path, "lookup", SAMPLE_VIN, **settings)

    result = await run_cli(tmp_path, "stats", **settings)

    assert result.status == 0, result.err
    assert "Budget: 1 of 100 requests in the last hour, 99 left." in result.out
    assert "fresh 1, from cache 1, shared 0, refused 0, failed 0" in result.out
    assert "cache hit rate 50%, active users 1" in result.out


async def test_health_needs_a_fresh_heartbeat(tmp_path: Path) -> None:
    stale = await run_cli(tmp_path, "health", BOT_TOKEN="1:x", AUTOASTAT_TOKEN="y")
    (tmp_path / "bot.sqlite3.alive").write_text("now\n")
    fresh = await run_cli(tmp_path, "health", BOT_TOKEN="1:x", AUTOASTAT_TOKEN="y")

    assert stale.status == 1
    assert "no fresh heartbeat" in stale.err
    assert fresh.status == 0
