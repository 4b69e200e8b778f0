"""Web UI test fixtures: an agent loop in a thread, sessions on the scripted model, Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.approvals import PermissionBroker
from punie_core.plugins.context import ToolContext
from punie_core.security.workspace import Workspace
from punie_core.testing.scripted_model import ScriptedModelServer
from punie_core.web import WebUI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


class AgentLoop:
    """An asyncio loop in a thread: the agent's own loop, where the web UI and sessions run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="agent-loop", daemon=True)
        self.thread.start()

    def submit(self, coroutine: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        return self.submit(coroutine).result(timeout)

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        async def wrapper() -> Any:
            return function(*args)

        return self.run(wrapper())

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Agent:
    """One web UI in the agent loop, with helpers to add real sessions driven by scripted models."""

    loop: AgentLoop
    web: WebUI
    root: Path
    servers: list[ScriptedModelServer] = field(default_factory=list)
    prompts: list[Future[Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.web.url

    def session(
        self,
        script: Any,
        *,
        workspace: Path | None = None,
        ask: bool = True,
        broker: PermissionBroker | None = None,
    ) -> Any:
        """A real `Session` on a scripted model server, attached to the web UI.

        Args:
            script: The scripted replies.
            workspace: The project directory (a fresh one by default).
            ask: Give the session a permission broker (the browser answers); else refuse all.
            broker: The broker to use (with other askers already added).
        """
        from punie_core.agent.session import Session

        server = ScriptedModelServer(script).start()
        self.servers.append(server)
        workspace = workspace or _fresh_dir(self.root)

        async def create() -> Any:
            context = ToolContext(
                workspace=Workspace.at(workspace),
                permissions=broker
                or (PermissionBroker() if ask else ToolContext.local(workspace).permissions),
            )
            session = Session(
                cwd=workspace,
                model=server.model_string,
                context=context,
                toolbox=toolbox(),
                traces=False,
            )
            self.web.attach(session)
            return session

        return self.loop.run(create())

    def prompt(self, session: Any, text: str) -> Future[Any]:
        """Start `session.prompt(text)` in the agent loop; the future holds its outcome."""
        future = self.loop.submit(session.prompt(text))
        self.prompts.append(future)
        return future

    def api(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Call the JSON API with the bearer token."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.web.base_url + path,
            data=data,
            headers={
                "Authorization": f"Bearer {self.web.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None


_toolbox: Any = None


def toolbox() -> Any:
    """The merged toolbox, loaded once for all web tests."""
    global _toolbox
    if _toolbox is None:
        from punie_core.plugins.loader import load_toolbox

        _toolbox = load_toolbox()
        # The first prompt imports pydantic-ai in the agent loop; do it once here instead.
        import punie_core.agent.pydantic_agent  # noqa: F401
    return _toolbox


_counter = iter(range(1_000_000))


def _fresh_dir(root: Path) -> Path:
    path = root / f"project{next(_counter)}"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def agent_loop() -> Iterator[AgentLoop]:
    loop = AgentLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def warm_agent() -> None:
    """Load the toolbox and import the agent once, before the first test's clock starts."""
    toolbox()


@pytest.fixture
def agent(agent_loop: AgentLoop, tmp_path: Path, warm_agent: None) -> Iterator[Agent]:
    """A running web UI (registered in this test's PUNIE_HOME) in the agent loop."""
    web = WebUI(project=tmp_path, model="scripted", announce=False)
    agent_loop.run(web.start())
    running = Agent(agent_loop, web, tmp_path)
    yield running
    for session in list(web.hub.views.values()):
        agent_loop.call(session.session.cancel)
    for future in running.prompts:
        try:
            future.result(10)
        except Exception:
            pass
    agent_loop.run(web.stop())
    for server in running.servers:
        server.stop()


def ensure_chromium() -> str:
    """The machine's Chromium, installed from Debian packages when missing (as root)."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=False, capture_output=True)
        if not os.path.exists(CHROMIUM):
            subprocess.run(["apt-get", "update"], check=False, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "chromium"], check=False, capture_output=True
            )
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system packages, driven by Playwright (never a download).

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while
    it is open, and later tests elsewhere call asyncio.run().
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page (own cookies), failing the test on any page script error."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Keep a screenshot of a page as a test artifact (tests/artifacts/web-NAME.png)."""

    def take(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"web-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def loaded_toolbox() -> Any:
    """The merged toolbox of every installed plugin, loaded once (views, pages, tools)."""
    return toolbox()


@pytest.fixture
def workplace(
    agent_loop: AgentLoop, tmp_path: Path, loaded_toolbox: Any
) -> Iterator[Callable[..., Agent]]:
    """Start web UIs whose browser sessions answer with a scripted model: `start(script)`.

    Each UI serves `tmp_path / "project"` (created) and shares this test's `PUNIE_HOME`, so a
    second UI finds the first one's sessions in the traces, as a restarted agent would.
    """
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    started: list[Agent] = []

    def start(script: Any) -> Agent:
        server = ScriptedModelServer(script).start()
        web = WebUI(
            project=project, model=server.model_string, announce=False, toolbox=loaded_toolbox
        )
        agent_loop.run(web.start())
        running = Agent(agent_loop, web, tmp_path, servers=[server])
        started.append(running)
        return running

    start.stop = stop_agent  # type: ignore[attr-defined]
    yield start
    for running in started:
        stop_agent(running)


def stop_agent(running: Agent) -> None:
    """Cancel the agent's prompts, stop its web UI and its model servers."""
    for view in list(running.web.hub.views.values()):
        running.loop.call(view.session.cancel)
        task = view.prompt_task
        if task is not None:
            running.loop.run(asyncio.wait([task], timeout=10))
    running.loop.run(running.web.stop())
    for server in running.servers:
        server.stop()
