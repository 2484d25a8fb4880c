"""The operator's documents name every setting the code reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings

REPOSITORY = Path(__file__).resolve().parents[1]
SETTINGS = sorted(name.upper() for name in Settings.model_fields)


@pytest.mark.parametrize("variable", SETTINGS)
def test_the_readme_settings_table_has_every_setting(variable: str) -> None:
    assert f"| `{variable}` |" in (REPOSITORY / "README.md").read_text()


@pytest.mark.parametrize("variable", SETTINGS)
def test_the_env_example_lists_every_setting(variable: str) -> None:
    lines = (REPOSITORY / ".env.example").read_text().splitlines()
    assert any(line.startswith(f"{variable}=") for line in lines)


def test_the_env_example_is_valid_in_demo_mode() -> None:
    values = dict(
        line.split("=", 1)
        for line in (REPOSITORY / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    given = {key.lower(): value for key, value in values.items() if value}

    settings = Settings(_env_file=None, **(given | {"bot_token": "1:x"}))

    assert settings.demo
    assert settings.hourly_budget == 100
