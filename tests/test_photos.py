"""Downloading lot photos within the limits: bot.photos against local servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.photos import download_photos
from tests.fakes.autoastat import FakeAutoastat, tiny_jpeg

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client set up like the bot's shared one: no redirects of its own."""
    async with httpx.AsyncClient(follow_redirects=False) as client:
        yield client


class Awkward:
    """A server of the photo hosts FakeAutoastat cannot imitate: hanging, endless, redirecting."""

    def __init__(self, fake_autoastat: FakeAutoastat) -> None:
        self.fake_autoastat = fake_autoastat
        self.requests: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Serve on an OS-chosen port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/hang", self._hang)
        app.router.add_get("/endless", self._endless)
        app.router.add_get("/chunked", self._chunked)
        app.router.add_get("/to-file", self._to_file)
        app.router.add_get("/to-image", self._to_image)
        app.router.add_get("/loop", self._loop)
        app.router.add_get("/html-as-jpeg", self._html_as_jpeg)
        # A client that gives up must not leave a handler sleeping until cleanup.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Release hanging handlers and shut down."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        await self._stopping.wait()
        return web.Response(body=tiny_jpeg(), content_type="image/jpeg")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        # No Content-Length: only counting the bytes read can stop this one.
        self.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await response.prepare(request)
        await response.write(tiny_jpeg())
        while not self._stopping.is_set():
            await response.write(bytes(64 * 1024))
        return response

    async def _chunked(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await response.prepare(request)
        await response.write(tiny_jpeg())
        await response.write(bytes(100))
        await response.write_eof()
        return response

    async def _to_file(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        raise web.HTTPFound("file:///etc/passwd")

    async def _to_image(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        raise web.HTTPFound(self.fake_autoastat.image_url("moved.jpg"))

    async def _loop(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        raise web.HTTPFound("/loop")

    async def _html_as_jpeg(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        return web.Response(body=b"<html>not found</html>", content_type="image/jpeg")


@pytest.fixture
async def awkward(fake_autoastat: FakeAutoastat) -> AsyncIterator[Awkward]:
    """A started Awkward server; stopped after the test."""
    server = Awkward(fake_autoastat)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_good_jpeg_is_returned(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat
) -> None:
    url = fake_autoastat.image_url("lot/1.jpg")

    photos = await download_photos(http, [url])

    assert photos == {url: tiny_jpeg()}
    assert fake_autoastat.image_requests == ["lot/1.jpg"]


async def test_png_and_webp_are_photos_too(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat
) -> None:
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24)
    fake_autoastat.set_image("a.png", body=PNG, content_type="image/png")
    fake_autoastat.set_image("b.webp", body=webp, content_type="image/webp; charset=binary")
    urls = [fake_autoastat.image_url("a.png"), fake_autoastat.image_url("b.webp")]

    photos = await download_photos(http, urls)

    assert photos == {urls[0]: PNG, urls[1]: webp}


async def test_the_photos_that_fail_are_dropped_and_the_rest_kept_in_order(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.set_image("gone.jpg", status=404, body="no such image")
    urls = [fake_autoastat.image_url(name) for name in ("3.jpg", "gone.jpg", "1.jpg", "2.jpg")]

    photos = await download_photos(http, urls)

    assert list(photos) == [urls[0], urls[2], urls[3]]
    assert "gone.jpg" in fake_autoastat.image_requests


async def test_a_404_is_dropped(http: httpx.AsyncClient, fake_autoastat: FakeAutoastat) -> None:
    fake_autoastat.set_image("gone.jpg", status=404, body=tiny_jpeg())

    assert await download_photos(http, [fake_autoastat.image_url("gone.jpg")]) == {}


async def test_a_web_page_is_dropped(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="bot.photos")
    fake_autoastat.set_image("page.jpg", body="<html>hello</html>", content_type="text/html")

    assert await download_photos(http, [fake_autoastat.image_url("page.jpg")]) == {}
    assert "'text/html' is not a photo" in caplog.text


async def test_a_web_page_labelled_as_jpeg_is_dropped(
    http: httpx.AsyncClient, awkward: Awkward
) -> None:
    assert await download_photos(http, [f"{awkward.url}/html-as-jpeg"]) == {}
    assert awkward.requests == ["/html-as-jpeg"]


async def test_a_photo_over_the_size_limit_is_dropped(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat
) -> None:
    url = fake_autoastat.image_url("big.jpg")
    size = len(tiny_jpeg())

    assert await download_photos(http, [url], max_bytes=size - 1) == {}
    assert await download_photos(http, [url], max_bytes=size) == {url: tiny_jpeg()}


async def test_a_body_without_length_is_counted_as_it_streams(
    http: httpx.AsyncClient, awkward: Awkward
) -> None:
    url = f"{awkward.url}/chunked"
    size = len(tiny_jpeg()) + 100

    assert await download_photos(http, [url], max_bytes=size - 1) == {}
    assert await download_photos(http, [url], max_bytes=size) == {url: tiny_jpeg() + bytes(100)}


async def test_an_endless_body_is_abandoned_past_the_limit(
    http: httpx.AsyncClient, awkward: Awkward, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="bot.photos")

    photos = await download_photos(http, [f"{awkward.url}/endless"], max_bytes=256 * 1024)

    assert photos == {}
    # Dropped for its size, not left to run into the deadline.
    assert "over the limit of 262144 bytes" in caplog.text


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/a.jpg", "data:image/jpeg;base64,AAAA", "a.jpg"],
)
async def test_a_url_that_is_not_a_web_address_is_dropped_without_a_request(
    url: str, fake_autoastat: FakeAutoastat
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be made, got {request.url}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        assert await download_photos(client, [url]) == {}
    assert fake_autoastat.image_requests == []


async def test_a_redirect_to_a_web_address_is_followed(
    http: httpx.AsyncClient, awkward: Awkward, fake_autoastat: FakeAutoastat
) -> None:
    url = f"{awkward.url}/to-image"

    assert await download_photos(http, [url]) == {url: tiny_jpeg()}
    assert fake_autoastat.image_requests == ["moved.jpg"]


async def test_a_redirect_to_anything_else_is_not_followed(
    http: httpx.AsyncClient, awkward: Awkward, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="bot.photos")

    assert await download_photos(http, [f"{awkward.url}/to-file"]) == {}
    assert "not a web address: 'file:" in caplog.text
    assert awkward.requests == ["/to-file"]


async def test_endless_redirects_are_given_up(
    http: httpx.AsyncClient, awkward: Awkward, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="bot.photos")

    assert await download_photos(http, [f"{awkward.url}/loop"]) == {}
    assert "more than 3 redirects" in caplog.text
    assert len(awkward.requests) == 4


async def test_a_hanging_photo_times_out_and_the_others_arrive(
    http: httpx.AsyncClient,
    awkward: Awkward,
    fake_autoastat: FakeAutoastat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="bot.photos")
    hanging, good = f"{awkward.url}/hang", fake_autoastat.image_url("1.jpg")

    photos = await download_photos(http, [hanging, good], timeout=0.2)

    assert photos == {good: tiny_jpeg()}
    assert awkward.requests == ["/hang"]
    assert f"photo {hanging} dropped" in caplog.text


async def test_photo_bytes_never_reach_the_log(
    http: httpx.AsyncClient, fake_autoastat: FakeAutoastat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    marker = "SECRET-BODY-MARKER"
    fake_autoastat.set_image("page.jpg", body=marker, content_type="image/jpeg")
    fake_autoastat.set_image("huge.jpg", body=tiny_jpeg() + marker.encode())
    urls = [fake_autoastat.image_url("page.jpg"), fake_autoastat.image_url("huge.jpg")]

    await download_photos(http, urls, max_bytes=len(tiny_jpeg()))

    assert "dropped" in caplog.text
    assert marker not in caplog.text
