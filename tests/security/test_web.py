"""Class 5: the web UI's token never reaches another local server; bad input answers 400.

The token was a cookie scoped to the host, so every other server on 127.0.0.1 the browser
visited received it and could drive the agent. It now lives only in this origin's addresses
and request headers. Malformed query values and deeply nested JSON bodies answered 500.
"""

from __future__ import annotations

import asyncio
import http.client
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from punie_core.web.server import WebUI


@pytest.fixture
def web(tmp_path: Path, monkeypatch) -> Iterator[WebUI]:
    monkeypatch.setenv("PUNIE_HOME", str(tmp_path / "home"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    ui = WebUI(project=tmp_path, model="scripted", announce=False)
    asyncio.run_coroutine_threadsafe(ui.start(), loop).result(30)
    yield ui
    asyncio.run_coroutine_threadsafe(ui.stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def request(web: WebUI, method: str, path: str, headers=None, body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    connection.request(
        method, path, body=body, headers={"Host": f"127.0.0.1:{web.port}", **(headers or {})}
    )
    response = connection.getresponse()
    content = b"" if "event-stream" in response.getheader("content-type", "") else response.read()
    connection.close()
    return response, content


class Recorder(http.server.BaseHTTPRequestHandler):
    """Another local server: it records everything a browser sends it."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        Recorder.seen.append(self.requestline + "\n" + str(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>hello</p>")

    def log_message(self, *args: Any) -> None:
        pass


def test_another_local_server_the_browser_visits_gets_no_token(web: WebUI) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM_ARGS, ensure_chromium

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    Recorder.seen = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=ensure_chromium(), args=CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page()
            page.goto(web.url)
            page.wait_for_selector("#agents tbody tr.current")
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/anything")
            page.goto(f"http://localhost:{other.server_address[1]}/again")
            assert page.context.cookies() == []
            browser.close()
    finally:
        other.shutdown()
    assert len(Recorder.seen) >= 2
    assert all(web.token not in seen for seen in Recorder.seen), Recorder.seen


def test_no_response_sets_a_cookie_and_no_cookie_is_accepted(web: WebUI) -> None:
    for path in ("/", f"/?token={web.token}", f"/api/sessions?token={web.token}"):
        response, _ = request(web, "GET", path)
        assert response.getheader("set-cookie") is None, path
    for cookie in (f"punie_token_{web.port}={web.token}", f"token={web.token}"):
        response, _ = request(web, "GET", "/api/sessions", {"Cookie": cookie})
        assert response.status == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Last-Event-ID": "\u00b2".encode().decode("latin-1")},
        {"Last-Event-ID": "9" * 5000},
        {"Last-Event-ID": "-1"},
    ],
)
def test_malformed_event_ids_never_answer_500(web: WebUI, headers) -> None:
    auth = {"X-Punie-Token": web.token}
    response, _ = request(web, "GET", "/api/events", {**auth, **headers})
    assert response.status < 500


@pytest.mark.parametrize("query", ["after=%C2%B2", "after=" + "9" * 5000, "after=%FF", "a=" * 2000])
def test_malformed_query_values_never_answer_500(web: WebUI, query: str) -> None:
    response, _ = request(web, "GET", f"/api/events?token={web.token}&{query}")
    assert response.status < 500


@pytest.mark.parametrize("host", ["127.0.0.1:\u00b2", "127.0.0.1:" + "9" * 5000, "[::1]:x"])
def test_malformed_host_headers_answer_403_not_500(web: WebUI, host: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    connection.putrequest("GET", "/api/sessions", skip_host=True)
    connection.putheader("Host", host.encode().decode("latin-1"))
    connection.putheader("X-Punie-Token", web.token)
    connection.endheaders()
    assert connection.getresponse().status == 403


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"cwd": ' + b"[" * 100 + b"]" * 100 + b"}",
        b"\xff\xfe not utf-8",
        b'{"cwd": 5, "mode": ["x"]}',
        b'{"text": {"a": 1}}',
    ],
)
def test_hostile_json_bodies_answer_400(web: WebUI, body: bytes) -> None:
    headers = {
        "X-Punie-Token": web.token,
        "Content-Type": "application/json",
        "Origin": f"http://127.0.0.1:{web.port}",
    }
    response, content = request(web, "POST", "/api/sessions", headers, body)
    assert 400 <= response.status < 500, (response.status, content)
    if content:
        assert "error" in json.loads(content)


def test_a_huge_body_is_refused_without_reading_it_all(web: WebUI) -> None:
    headers = {
        "X-Punie-Token": web.token,
        "Content-Type": "application/json",
        "Origin": f"http://127.0.0.1:{web.port}",
    }
    body = b'{"text": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response, _ = request(web, "POST", "/api/sessions", headers, body)
    assert response.status == 413
