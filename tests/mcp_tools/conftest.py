"""Fixtures for the MCP tests: a private PUNIE_HOME, core-only plugins, a project, servers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SERVERS = Path(__file__).parent / "mcp_servers.py"


@pytest.fixture
def punie_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "punie-home"
    home.mkdir()
    monkeypatch.setenv("PUNIE_HOME", str(home))
    monkeypatch.setenv("PUNIE_LOAD_PLUGINS", "")
    monkeypatch.delenv("PUNIE_MODEL", raising=False)
    monkeypatch.delenv("PUNIE_MCP_CONNECT_TIMEOUT", raising=False)
    return home


@pytest.fixture
def project(tmp_path: Path, punie_home: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(
        'def greet(name):\n    """Say hello."""\n    return f"hi {name}"\n\n\nprint(greet("x"))\n',
        encoding="utf-8",
    )
    (root / "broken.py").write_text("x = greet(\n", encoding="utf-8")
    return root.resolve()


def stdio_entry(name: str, kind: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    """An ACP stdio McpServer entry running one of the test servers."""
    return {
        "name": name,
        "command": sys.executable,
        "args": [str(SERVERS), kind, *extra],
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
    }


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Start a test server over streamable HTTP or SSE; yields a starter returning its URL."""
    processes: list[subprocess.Popen[str]] = []

    def start(kind: str = "basic", transport: str = "http") -> str:
        process = subprocess.Popen(
            [sys.executable, str(SERVERS), kind, "--transport", transport],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
