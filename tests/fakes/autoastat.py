"""A fake of the autoAstat history API (``GET /api/history/{vin}``), served by aiohttp.

It also serves small JPEGs under ``/images/...`` so tests can exercise photo downloads without
the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

__all__ = ["DEFAULT_TOKEN", "FakeAutoastat", "Request", "Response", "tiny_jpeg"]

DEFAULT_TOKEN = "test-autoastat-token"
SAMPLE_VIN = "1FMZU73K83ZB53903"
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / f"history-{SAMPLE_VIN}.json"
# Image URLs in the vendor sample; sample_history(local_images=True) points them at the fake.
VENDOR_IMAGE_PREFIX = "https://s.autoastat.com/images/"


@dataclass(frozen=True)
class Response:
    """One scripted answer: ``body`` is bytes/str (sent as is) or any object (sent as JSON)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    # Never answer (until the fake stops): for client timeout tests.
    hang: bool = False

    def render(self) -> web.Response:
        """Build the aiohttp response."""
        headers = dict(self.headers or {})
        if isinstance(self.body, bytes):
            body = self.body
            default_type = "application/octet-stream"
        elif isinstance(self.body, str):
            body = self.body.encode()
            default_type = "text/plain; charset=utf-8"
        else:
            body = json.dumps(self.body).encode()
            default_type = "application/json"
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = default_type
        return web.Response(status=self.status, body=body, headers=headers)


@dataclass
class Request:
    """A request the fake received; ``status`` is None while it is still being answered."""

    vin: str
    headers: dict[str, str]
    time: float
    status: int | None = None


@dataclass
class _Script:
    queued: list[Response] = field(default_factory=list)
    fixed: Response | None = None


class FakeAutoastat:
    """Fake autoAstat server on 127.0.0.1; configure answers per VIN, inspect ``requests``."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, require_json_content_type: bool = True
    ) -> None:
        self.token = token
        # The manual requires "Content-Type: application/json" on every request; refusing a
        # request without it makes a bot that forgets the header fail in tests, not in prod.
        self.require_json_content_type = require_json_content_type
        self.delay = 0.0
        self.requests: list[Request] = []
        self.image_requests: list[str] = []
        self.max_concurrent = 0
        self.in_flight = 0
        self._sample: list[dict[str, Any]] = json.loads(SAMPLE_PATH.read_text("utf-8"))
        self._default = Response(body=self._sample)
        self._scripts: dict[str, _Script] = {}
        self._images: dict[str, Response] = {}
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._stopping = asyncio.Event()
        # Replaced by a fresh Event on every change; waiters re-check their condition.
        self._changed = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on an OS-chosen port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/api/history/{vin}", self._handle_history)
        app.router.add_get("/images/{name:.+}", self._handle_image)
        # handler_cancellation: a client that gives up (timeout) must not leave a handler
        # sleeping on the server until stop().
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Release hanging requests and shut the server down."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (history is at ``{url}/api/history/VIN``)."""
        if self._url is None:
            raise RuntimeError("FakeAutoastat is not started")
        return self._url

    def history_url(self, vin: str) -> str:
        """Full URL of the history of ``vin``."""
        return f"{self.url}/api/history/{vin}"

    # --- configuration ---------------------------------------------------------------------

    def sample_history(self, *, local_images: bool = False) -> list[dict[str, Any]]:
        """Deep copy of the vendor sample; ``local_images`` rewrites image URLs to this fake."""
        sales = copy.deepcopy(self._sample)
        if local_images:
            for sale in sales:
                images = sale.get("images") or {}
                for kind, urls in images.items():
                    images[kind] = [
                        self.image_url(u.removeprefix(VENDOR_IMAGE_PREFIX)) for u in urls
                    ]
        return sales

    def set_history(self, vin: str, sales: Sequence[Mapping[str, Any]]) -> None:
        """Answer ``vin`` with 200 and this list of sales (``[]`` means no records)."""
        self._script(vin).fixed = Response(body=[dict(sale) for sale in sales])

    def set_response(
        self,
        vin: str,
        *,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer ``vin`` with any raw response (status, bytes/str/JSON body, headers)."""
        self._script(vin).fixed = Response(status, body, headers, delay)

    def queue_responses(self, vin: str, responses: Sequence[Response]) -> None:
        """Successive requests for ``vin`` get these in order, then its usual answer."""
        self._script(vin).queued.extend(responses)

    def set_default(
        self,
        *,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer for every VIN that has no answer of its own (initially: the vendor sample)."""
        self._default = Response(status, body, headers, delay)

    def hang(self, vin: str) -> None:
        """Never answer ``vin`` (the request is held until the fake stops)."""
        self._script(vin).fixed = Response(status=503, body={"message": "hung"}, hang=True)

    def reset(self, vin: str) -> None:
        """Forget the answers configured for ``vin``."""
        self._scripts.pop(vin.upper(), None)

    def image_url(self, name: str) -> str:
        """URL of an image served by this fake (a tiny JPEG unless set_image says otherwise)."""
        return f"{self.url}/images/{name.lstrip('/')}"

    def set_image(
        self,
        name: str,
        *,
        status: int = 200,
        body: bytes | str | None = None,
        content_type: str = "image/jpeg",
    ) -> None:
        """Serve something else at ``image_url(name)``: another image, a 404, HTML, ..."""
        payload = tiny_jpeg() if body is None else body
        headers = {"Content-Type": content_type}
        self._images[name.lstrip("/")] = Response(status, payload, headers)

    # --- inspection ------------------------------------------------------------------------

    def request_count(self, vin: str | None = None) -> int:
        """Number of history requests received (for ``vin``, compared case-insensitively)."""
        return len(self._matching(vin))

    async def wait_for_requests(
        self,
        *,
        vin: str | None = None,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline is the point of this helper
    ) -> list[Request]:
        """Wait until ``count`` history requests (for ``vin``) have arrived; return them."""
        try:
            async with asyncio.timeout(timeout):
                while len(self._matching(vin)) < count:
                    await self._changed.wait()
        except TimeoutError:
            seen = ", ".join(f"{r.vin} -> {r.status}" for r in self.requests) or "none"
            raise AssertionError(
                f"FakeAutoastat: waited {timeout}s for {count} request(s)"
                f"{f' for {vin}' if vin else ''}, got {len(self._matching(vin))}; "
                f"all requests: {seen}"
            ) from None
        return self._matching(vin)

    # --- internals -------------------------------------------------------------------------

    def _script(self, vin: str) -> _Script:
        return self._scripts.setdefault(vin.upper(), _Script())

    def _matching(self, vin: str | None) -> list[Request]:
        if vin is None:
            return list(self.requests)
        return [r for r in self.requests if r.vin.upper() == vin.upper()]

    def _choose(self, vin: str) -> Response:
        script = self._scripts.get(vin.upper())
        if script is None:
            return self._default
        if script.queued:
            return script.queued.pop(0)
        return script.fixed or self._default

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up early when the fake stops so shutdown stays quick."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._stopping.wait()

    async def _handle_history(self, request: web.Request) -> web.StreamResponse:
        vin = request.match_info["vin"]
        record = Request(vin=vin, headers=dict(request.headers), time=time.monotonic())
        self.requests.append(record)
        self.in_flight += 1
        self.max_concurrent = max(self.max_concurrent, self.in_flight)
        self._notify()
        try:
            response = self._answer(request, vin)
            if response.hang:
                await self._stopping.wait()
            await self._pause(self.delay + response.delay)
            record.status = response.status
            return response.render()
        finally:
            self.in_flight -= 1
            self._notify()

    def _answer(self, request: web.Request, vin: str) -> Response:
        if request.headers.get("X-API-AUTH-TOKEN") != self.token:
            return Response(401, {"message": "Unauthorized"})
        content_type = request.headers.get("Content-Type", "")
        if self.require_json_content_type and not content_type.startswith("application/json"):
            return Response(
                400,
                {
                    "message": "FakeAutoastat: the API manual requires the header "
                    f"'Content-Type: application/json', got {content_type!r}"
                },
            )
        return self._choose(vin)

    async def _handle_image(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.image_requests.append(name)
        configured = self._images.get(name)
        if configured is not None:
            return configured.render()
        return web.Response(body=tiny_jpeg(), content_type="image/jpeg")


def tiny_jpeg(width: int = 64, height: int = 48) -> bytes:
    """A valid baseline grayscale JPEG of a flat mid-grey picture, built without any library."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload

    # Huffman tables with a single 1-bit code "0" for symbol 0: DC difference category 0
    # and AC end-of-block.  Every 8x8 block is then "0" (DC) + "0" (EOB) = 2 zero bits.
    one_symbol_table = bytes([1] + [0] * 15) + b"\x00"
    blocks = -(-width // 8) * -(-height // 8)
    scan = bytes(-(-2 * blocks // 8))
    if (2 * blocks) % 8:
        # Pad the last byte with 1-bits as the standard requires.
        scan = scan[:-1] + bytes([(1 << (8 - (2 * blocks) % 8)) - 1])
    return b"".join(
        [
            b"\xff\xd8",
            segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            segment(0xDB, b"\x00" + bytes([1] * 64)),
            segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
            segment(0xC4, b"\x00" + one_symbol_table),
            segment(0xC4, b"\x10" + one_symbol_table),
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        ]
    )
