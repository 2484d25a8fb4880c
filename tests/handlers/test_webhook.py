"""Webhook mode: Telegram posts updates to the bot, which checks the secret on each."""

from __future__ import annotations

import socket
import time

import httpx

from bot.app import Webhook, build_application, running
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import MakeSettings
from tests.handlers.conversation import containing
from tests.vins import SAMPLE_VIN

ALICE = 1001
SECRET = "s3cret_-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def update_with(text: str, update_id: int) -> dict[str, object]:
    user = {"id": ALICE, "is_bot": False, "first_name": "Alice", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "from": user,
            "text": text,
        },
    }


async def test_updates_with_the_secret_are_answered_and_others_refused(
    make_settings: MakeSettings, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    webhook = Webhook(url=url, secret=SECRET, listen="127.0.0.1", port=port)
    fake_telegram.ensure_chat(ALICE)
    settings = make_settings(webhook_url=url, webhook_secret=SECRET)

    async with running(build_application(settings), webhook), httpx.AsyncClient() as client:
        refused = await client.post(url, json=update_with(SAMPLE_VIN, 1))
        forged = await client.post(
            url,
            json=update_with(SAMPLE_VIN, 2),
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        )
        accepted = await client.post(
            url,
            json=update_with(SAMPLE_VIN, 3),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        answer = await fake_telegram.wait_for("sendMessage", containing("auction records"))

    (registered,) = fake_telegram.calls_to("setWebhook")
    assert registered.params["url"] == url
    assert registered.params["secret_token"] == SECRET
    assert refused.status_code == forged.status_code == 403
    assert accepted.status_code == 200
    assert int(answer[0].params["chat_id"]) == ALICE
    assert len(fake_telegram.calls_to("sendMessage")) == 1
    assert fake_autoastat.request_count() == 1
    assert fake_telegram.calls_to("getUpdates") == []
