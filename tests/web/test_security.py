"""The web UI's gate over real HTTP: token, Host (DNS rebinding), Origin (CSRF), methods."""

from __future__ import annotations

import http.client
import json

import pytest

PATHS = [
    "/",
    "/api/sessions",
    "/api/agents",
    "/api/events",
    "/static/common.js",
    "/api/openapi.json",
]


def request(
    agent, method: str, path: str, headers: dict[str, str] | None = None, body: object = None
):
    """One raw HTTP request (http.client sends exactly the headers given, Host included)."""
    connection = http.client.HTTPConnection("127.0.0.1", agent.web.port, timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Host": f"127.0.0.1:{agent.web.port}", **(headers or {})}
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in all_headers.items():
        connection.putheader(name, value)
    if data is not None:
        connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    content = (
        response.read()
        if not response.getheader("content-type", "").startswith("text/event-stream")
        else b""
    )
    connection.close()
    return response, content


def bearer(agent) -> dict[str, str]:
    return {"Authorization": f"Bearer {agent.web.token}"}


@pytest.mark.parametrize("path", PATHS)
def test_no_token_is_401_with_no_content(agent, path):
    response, content = request(agent, "GET", path)
    assert (response.status, content) == (401, b"")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-Punie-Token": "wrong"},
        {"Cookie": "punie_token_{port}=wrong"},
        {"Authorization": "Basic {token}"},
    ],
)
def test_a_wrong_token_is_401_with_no_content(agent, headers):
    filled = {k: v.format(port=agent.web.port, token=agent.web.token) for k, v in headers.items()}
    response, content = request(agent, "GET", "/api/sessions", filled)
    assert (response.status, content) == (401, b"")


def test_a_wrong_token_in_the_address_is_401(agent):
    response, content = request(agent, "GET", "/?token=nope")
    assert (response.status, content) == (401, b"")


def test_no_cookie_ever_opens_it(agent):
    # A cookie cannot be scoped to a port: any other server on 127.0.0.1 the browser visits
    # would receive it. So the token is never set nor accepted as a cookie.
    for name in ("punie_token", f"punie_token_{agent.web.port}", "token"):
        response, _ = request(
            agent, "GET", "/api/sessions", {"Cookie": f"{name}={agent.web.token}"}
        )
        assert response.status == 401


@pytest.mark.parametrize(
    "header",
    [
        {"Authorization": "Bearer {token}"},
        {"X-Punie-Token": "{token}"},
    ],
)
def test_each_way_of_showing_the_token_works(agent, header):
    filled = {k: v.format(port=agent.web.port, token=agent.web.token) for k, v in header.items()}
    response, content = request(agent, "GET", "/api/sessions", filled)
    assert response.status == 200
    assert json.loads(content) == {"sessions": []}
    response, content = request(agent, "GET", f"/api/sessions?token={agent.web.token}")
    assert response.status == 200 and json.loads(content) == {"sessions": []}


def test_the_address_token_opens_a_page_and_sets_no_cookie(agent):
    response, content = request(agent, "GET", f"/?token={agent.web.token}&a=1")
    assert response.status == 200
    assert response.getheader("set-cookie") is None
    # The page's scripts load with the token in their address (no cookie to carry it).
    assert f"common.js?v=1&amp;token={agent.web.token}" in content.decode()


def test_the_token_in_an_address_never_opens_a_post(agent):
    session = agent.session([{"text": "should never run"}])
    path = f"/api/sessions/{session.id}/prompts?token={agent.web.token}"
    origin = f"http://127.0.0.1:{agent.web.port}"
    response, _ = request(
        agent, "POST", path, {"Origin": origin, "Content-Type": "application/json"}, {"text": "x"}
    )
    assert response.status == 401
    assert agent.servers[-1].chat_requests == []


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1:1",
        "localhost.evil.example:{port}",
        "",
        "[::1",
    ],
)
def test_a_foreign_host_header_is_refused_even_with_the_token(agent, host):
    response, content = request(
        agent, "GET", "/api/sessions", {**bearer(agent), "Host": host.format(port=agent.web.port)}
    )
    assert (response.status, content) == (403, b"")


@pytest.mark.parametrize(
    "host",
    ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST:{port}", "localhost"],
)
def test_loopback_host_names_are_accepted(agent, host):
    response, _ = request(
        agent, "GET", "/api/sessions", {**bearer(agent), "Host": host.format(port=agent.web.port)}
    )
    assert response.status == 200


def test_a_post_from_a_foreign_origin_is_refused_and_changes_nothing(agent):
    session = agent.session([{"text": "should never run"}])
    header = {"X-Punie-Token": agent.web.token}
    for origin in (
        "http://evil.example",
        f"http://evil.example:{agent.web.port}",
        "null",
        "http://127.0.0.1:1",
    ):
        for auth in (header, bearer(agent)):
            response, content = request(
                agent,
                "POST",
                f"/api/sessions/{session.id}/prompts",
                {**auth, "Origin": origin, "Content-Type": "application/json"},
                {"text": "hi"},
            )
            assert (response.status, content) == (403, b""), origin
    assert agent.servers[-1].chat_requests == []
    assert session.state == "idle"


def test_a_post_without_origin_is_served_only_with_the_token_in_a_header(agent):
    session = agent.session([{"text": "hello from the API"}])
    path = f"/api/sessions/{session.id}/prompts"
    response, content = request(
        agent, "POST", path, {**bearer(agent), "Content-Type": "application/json"}, {"text": "hi"}
    )
    assert response.status == 202, content
    assert json.loads(content)["accepted"] is True


def test_a_same_origin_post_with_the_header_is_served(agent):
    session = agent.session([{"text": "ok"}])
    headers = {
        "X-Punie-Token": agent.web.token,
        "Origin": f"http://127.0.0.1:{agent.web.port}",
        "Content-Type": "application/json",
    }
    response, content = request(agent, "POST", f"/api/sessions/{session.id}/cancel", headers, {})
    assert response.status == 202, content


def test_state_changes_need_post_and_json(agent):
    session = agent.session([{"text": "ok"}])
    path = f"/api/sessions/{session.id}/prompts"
    response, _ = request(agent, "GET", path, bearer(agent))
    assert response.status == 405
    for method in ("PUT", "DELETE", "PATCH"):
        response, _ = request(
            agent,
            method,
            path,
            {**bearer(agent), "Content-Type": "application/json"},
            {"text": "x"},
        )
        assert response.status == 405, method
    # A form post (what a cross-site <form> can send) is refused before any route runs.
    response, _ = request(
        agent, "POST", path, {**bearer(agent), "Content-Type": "text/plain"}, {"text": "x"}
    )
    assert response.status == 415
    assert agent.servers[-1].chat_requests == []


def test_every_answer_carries_a_strict_content_security_policy(agent):
    for path in ("/", "/api/sessions"):
        response, _ = request(agent, "GET", path, bearer(agent))
        policy = response.getheader("content-security-policy")
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.getheader("x-content-type-options") == "nosniff"
        assert response.getheader("referrer-policy") == "no-referrer"
    response, _ = request(agent, "GET", "/api/sessions")
    assert response.getheader("content-security-policy")


def test_no_route_serves_files_from_disk(agent):
    for path in (
        "/static/../../registry.py",
        "/static/%2e%2e%2fserver.py",
        "/static/app.py",
        "/static/",
        "/etc/passwd",
    ):
        response, content = request(agent, "GET", path, bearer(agent))
        assert response.status == 404, path
        assert b"import" not in content


def test_the_server_listens_on_loopback_only_by_default(agent):
    assert agent.web.host == "127.0.0.1"
    assert agent.web._socket.getsockname()[0] == "127.0.0.1"
