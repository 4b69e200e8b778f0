"""`PunieAgent`: the ACP agent behind `punie serve`, dispatched to by the SDK's router.

It is a plain class, not a subclass of the SDK's `Agent` protocol: the router answers
"method not found" for every method it lacks (`authenticate`, `session/resume`, extension
methods, ...) instead of a fake empty success.

One ACP session owns a `punie_core.agent.session.Session` (the agent proper, built on the first
prompt so `session/new` stays fast), a `ToolContext` whose files and commands go through the
IDE when it offers them, a permission policy that follows the session mode, and a reporter
that turns the session's events into `session/update`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import (
    InitializeResponse,
    LoadSessionResponse,
    NewSessionResponse,
    PromptResponse,
    RequestError,
    SetSessionModeResponse,
    update_agent_message_text,
)
from acp.helpers import update_available_commands, update_current_mode
from acp.schema import (
    AvailableCommand,
    ClientCapabilities,
    ConfigOptionUpdate,
    EmbeddedResourceContentBlock,
    InitializeRequest,
    ListSessionsResponse,
    NewSessionRequest,
    ResourceContentBlock,
    SessionConfigOptionSelect,
    SessionInfo,
    SessionInfoUpdate,
    SetSessionConfigOptionResponse,
    TextContentBlock,
    TextResourceContents,
)

from punie_core.acp import protocol
from punie_core.acp.backends import choose_backends
from punie_core.acp.channel import FrameChannel
from punie_core.acp.history import stored_sessions, title_of
from punie_core.acp.permissions import AcpPermissions
from punie_core.acp.reporting import ToolCallReporter
from punie_core.agent.threads import in_daemon_thread
from punie_core.plugins.context import ToolContext
from punie_core.security.workspace import project_workspace

log = logging.getLogger("punie.acp")

LIST_PAGE = 50
STOP_REASONS = {"end_turn", "cancelled", "max_turn_requests", "refusal", "max_tokens"}


@dataclass
class AcpSession:
    """What one ACP session holds.

    Attributes:
        id: The ACP session id (also the agent session's id and its traces' `session_id`).
        cwd: The session's working directory (the workspace root).
        context: Where its tools read, write, run and ask.
        reporter: Sends its `session/update`s.
        permissions: Its mode and "always allowed" tools.
        mcp: The session's MCP servers (`punie_core.mcp.McpServers`): the client's and the
            config files', connecting in the background from `session/new` on.
        mcp_shown: The MCP status text last shown in the IDE (shown again when it changes).
        agent: The `punie_core.agent.session.Session`, once the first prompt built it.
        restored: Trace records of a conversation loaded with `session/load`, which the
            agent continues (the model sees those messages again) once it is built.
        running: The prompt being answered, if any.
        cancelled: Set by `session/cancel` while a prompt runs.
    """

    id: str
    cwd: Path
    context: ToolContext
    reporter: ToolCallReporter
    permissions: AcpPermissions
    mcp: Any = None
    mcp_shown: str = ""
    title: str = ""
    agent: Any = None
    restored: list[dict[str, Any]] = field(default_factory=list)
    running: asyncio.Task[Any] | None = None
    cancelled: bool = False


class PunieAgent:
    """The ACP agent.

    Args:
        model: The model string for every session (None: `PUNIE_MODEL`, config, `local`).
        channel: The stdio channel, to send notifications right after a response.
        trace_paths: Where stored sessions are read from (default `$PUNIE_HOME/traces`).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        channel: FrameChannel | None = None,
        trace_paths: list[Path] | None = None,
    ) -> None:
        self.model = model
        self.client: Any = None
        self.client_capabilities: ClientCapabilities | None = None
        self.client_info: Any = None
        self.sessions: dict[str, AcpSession] = {}
        self.trace_paths = trace_paths
        self._channel = channel
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        if channel is not None:
            channel.after_response("session/new", self._after_session_response)
            channel.after_response("session/load", self._after_session_response)
            channel.on_initialize = self.note_client
            if channel.initialize_params is not None:
                self.note_client(channel.initialize_params)

    def on_connect(self, conn: Any) -> None:
        """The SDK hands over its connection to the client (session updates, fs, terminals)."""
        self.client = conn

    def note_client(self, params: dict[str, Any]) -> None:
        """Remember the client's capabilities from `initialize` params answered by the channel."""
        try:
            request = InitializeRequest.model_validate(params)
        except ValueError:
            log.warning("could not read the client's capabilities; using local tools only")
            return
        self.client_capabilities = request.client_capabilities
        self.client_info = request.client_info

    def adopt_early_sessions(self, early: list[tuple[str, dict[str, Any]]]) -> None:
        """Take over the sessions the channel opened while this agent loaded, then announce them."""
        for session_id, params in early:
            try:
                servers = NewSessionRequest.model_validate(params).mcp_servers
            except ValueError as exc:
                log.warning("ignoring the MCP servers of session %s: %s", session_id, exc)
                servers = []
            try:
                self._open(session_id, params["cwd"], servers)
            except RequestError as exc:  # the directory vanished in the meantime
                log.warning("could not open session %s: %s", session_id, exc.data)
                continue
            self._after_session_response({"sessionId": session_id}, None)

    # -- ACP methods ---------------------------------------------------------------------------

    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Any = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        self.client_capabilities = client_capabilities
        self.client_info = client_info
        return InitializeResponse.model_validate(
            protocol.initialize_result({"protocolVersion": protocol_version})
        )

    async def new_session(
        self,
        cwd: str,
        mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None,
        **kwargs: Any,
    ) -> NewSessionResponse:
        session = self._open(uuid.uuid4().hex, cwd, mcp_servers)
        return NewSessionResponse.model_validate(
            {
                "sessionId": session.id,
                "modes": protocol.mode_state(session.permissions.mode),
                "configOptions": protocol.config_options(session.permissions.mode),
            }
        )

    async def load_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[Any] | None = None,
        additional_directories: list[str] | None = None,
        **kwargs: Any,
    ) -> LoadSessionResponse:
        stored = (await asyncio.to_thread(stored_sessions, self.trace_paths)).get(session_id)
        session = self.sessions.get(session_id)
        if stored is None and session is None:
            raise RequestError.resource_not_found(f"session {session_id}")
        if session is not None and session.running is not None:
            raise RequestError.invalid_request({"message": "a prompt is running in this session"})
        if session is None:
            session = self._open(session_id, cwd, mcp_servers)
        else:
            await self._connect_mcp(session, mcp_servers)  # `session/load` reconnects
        # A session still open in this process keeps its agent (and the model's history); either
        # way the IDE gets the whole conversation again, as `session/load` requires.
        if stored is not None:
            from punie_core.acp.history import replay_updates

            if session.agent is None:
                session.restored = stored.records  # the model continues it on the next prompt
            session.title = session.title or stored.title
            for update in replay_updates(stored):
                await session.reporter.send(update)
        return LoadSessionResponse.model_validate(
            {
                "modes": protocol.mode_state(session.permissions.mode),
                "configOptions": protocol.config_options(session.permissions.mode),
            }
        )

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        stored = await asyncio.to_thread(stored_sessions, self.trace_paths)
        wanted = str(Path(cwd).resolve()) if cwd else None
        rows = [
            SessionInfo(
                session_id=s.session_id,
                cwd=s.cwd,
                title=s.title or None,
                updated_at=s.updated_at or None,
            )
            for s in stored.values()
            if s.cwd and (wanted is None or s.cwd == wanted)
        ]
        rows.sort(key=lambda r: r.updated_at or "", reverse=True)
        try:
            start = int(cursor) if cursor else 0
        except ValueError:
            raise RequestError.invalid_params(
                {"cursor": "not a cursor this agent returned"}
            ) from None
        page = rows[start : start + LIST_PAGE]
        next_cursor = str(start + LIST_PAGE) if start + LIST_PAGE < len(rows) else None
        return ListSessionsResponse(sessions=page, next_cursor=next_cursor)

    async def set_session_mode(
        self, mode_id: str, session_id: str, **kwargs: Any
    ) -> SetSessionModeResponse:
        session = self._session(session_id)
        await self._switch_mode(session, mode_id)
        return SetSessionModeResponse()

    async def set_config_option(
        self, config_id: str, session_id: str, value: str | bool, **kwargs: Any
    ) -> SetSessionConfigOptionResponse:
        session = self._session(session_id)
        if config_id != protocol.MODE_OPTION_ID:
            raise RequestError.invalid_params({"configId": f"unknown option {config_id!r}"})
        await self._switch_mode(session, str(value))
        return SetSessionConfigOptionResponse(config_options=self._config_options(session))

    async def prompt(self, prompt: list[Any], session_id: str, **kwargs: Any) -> PromptResponse:
        session = self._session(session_id)
        if session.running is not None:
            raise RequestError.invalid_request(
                {"message": "a prompt is already running in this session"}
            )
        text = prompt_text(prompt)
        session.cancelled = False
        session.running = asyncio.current_task()
        try:
            command = slash_command(text)
            if command is not None:
                await self._run_command(session, *command)
                return PromptResponse(stop_reason="end_turn")
            return await self._run_prompt(session, text)
        finally:
            session.running = None
            await session.reporter.close_open("Not finished")

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        session = self.sessions.get(session_id)
        if session is None or session.running is None:
            return
        session.cancelled = True
        if session.agent is not None:
            session.agent.cancel()

    # -- prompts -------------------------------------------------------------------------------

    async def _run_prompt(self, session: AcpSession, text: str) -> PromptResponse:
        agent = await self._agent_for(session)
        if session.cancelled:
            return PromptResponse(stop_reason="cancelled")
        await self._show_mcp(session)
        unsubscribe = agent.subscribe(session.reporter.handle)
        try:
            outcome = await agent.prompt(text)
        finally:
            unsubscribe()
        stop = "cancelled" if session.cancelled else outcome.stop_reason
        await session.reporter.close_open("Cancelled" if stop == "cancelled" else "Not finished")
        if not session.title:
            session.title = title_of(text)
            await session.reporter.send(
                SessionInfoUpdate(session_update="session_info_update", title=session.title)
            )
        if stop == "error":
            message = outcome.error or "the model failed"
            await session.reporter.send(
                update_agent_message_text(f"\n\nPunie could not finish: {message}")
            )
            raise RequestError.internal_error({"details": message})
        return PromptResponse(stop_reason=stop if stop in STOP_REASONS else "end_turn")

    async def _agent_for(self, session: AcpSession) -> Any:
        """The session's agent, built on first use (the heavy imports run in threads)."""
        if session.agent is None:
            toolbox = await self._background("toolbox", _load_toolbox)
            session_module = await self._preloaded()
            agent = session_module.Session(
                cwd=session.cwd,
                model=self.model,
                context=session.context,
                toolbox=toolbox,
                session_id=session.id,
                mcp=session.mcp,
            )
            if session.restored:
                agent.restore_from_traces(session.restored)
                session.restored = []
            session.agent = agent
            from punie_core.web import show

            show(session.agent)  # live in this process's web UI, when one runs
        return session.agent

    def _background(self, name: str, load: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run `load` once, in a thread, so the loop keeps answering; later calls share it."""
        future = self._loading.get(name)
        if future is None:
            future = self._loading[name] = in_daemon_thread(load, f"punie-load-{name}")
            future.add_done_callback(_log_load_failure)
        return future

    def _preloaded(self) -> asyncio.Future[Any]:
        """`agent.session`, once `Session.preload()` imported what a prompt needs (once)."""
        future = self._loading.get("session")
        if future is None:
            future = self._loading["session"] = asyncio.ensure_future(_preload_session())
            future.add_done_callback(_log_load_failure)
        return future

    def _warm_up(self) -> None:
        """Start loading the agent and the toolbox while the person types the first prompt."""
        self._background("toolbox", _load_toolbox)
        self._preloaded()

    # -- slash commands ------------------------------------------------------------------------

    async def _run_command(self, session: AcpSession, name: str, argument: str) -> None:
        say = session.reporter.send
        if name == "mode":
            if argument not in protocol.MODE_IDS:
                await say(
                    update_agent_message_text(
                        f"Modes: {', '.join(protocol.MODE_IDS)}. Usage: /mode NAME"
                    )
                )
                return
            await self._switch_mode(session, argument)
            await say(update_agent_message_text(f"Mode: {argument}"))
        elif name == "plugins":
            toolbox = await self._background("toolbox", _load_toolbox)
            await say(update_agent_message_text(plugins_text(toolbox)))
        elif name == "status":
            await say(update_agent_message_text(self._status_text(session)))
        else:
            lines = [f"/{c.name}: {c.description}" for c in protocol.COMMANDS]
            lines += ["", "Modes:"] + [f"{m.id}: {m.description}" for m in protocol.MODES]
            await say(update_agent_message_text("\n".join(lines)))

    # -- sessions ------------------------------------------------------------------------------

    def _open(self, session_id: str, cwd: str, mcp_servers: list[Any] | None) -> AcpSession:
        try:
            workspace = project_workspace(cwd)  # the same rule as the web UI's new sessions
        except (OSError, ValueError) as exc:
            raise RequestError.invalid_params(
                {"cwd": f"not a directory this agent can use: {exc}"}
            ) from None
        reporter = ToolCallReporter(session_id, self.client, workspace.root)
        reporter.start()
        permissions = AcpPermissions(session_id, self.client, reporter)
        files, commands = choose_backends(
            self.client_capabilities, self.client, session_id, reporter
        )
        from punie_core.web import shared_permissions  # the web UI can answer approvals too

        context = ToolContext(
            workspace=workspace,
            files=files,
            commands=commands,
            permissions=shared_permissions(permissions),
        )
        session = AcpSession(
            id=session_id,
            cwd=workspace.root,
            context=context,
            reporter=reporter,
            permissions=permissions,
        )
        self.sessions[session_id] = session
        self._start_mcp(session, mcp_servers)
        return session

    # -- MCP servers ---------------------------------------------------------------------------

    def _start_mcp(self, session: AcpSession, mcp_servers: list[Any] | None) -> None:
        """Connect the session's MCP servers in the background (`session/new` does not wait)."""
        from punie_core.mcp.manager import session_servers

        servers = session_servers(
            session.cwd,
            mcp_servers or [],
            permissions=session.context.permissions,
            session_id=session.id,
        )
        servers.subscribe(lambda event: self._mcp_changed(session, event))
        session.mcp = servers.start()
        if session.agent is not None:
            session.agent.mcp = servers
            servers.subscribe(session.agent._emit)
        if servers.specs or servers.problems:
            names = ", ".join(s.describe() for s in servers.specs)
            log.info("session %s: connecting MCP servers %s", session.id, names or "(none)")

    async def _connect_mcp(self, session: AcpSession, mcp_servers: list[Any] | None) -> None:
        """Replace the session's MCP servers with the ones `session/load` passes."""
        old = session.mcp
        session.mcp = None
        if old is not None:  # stopping a server can take seconds: `session/load` does not wait
            task = asyncio.get_running_loop().create_task(old.aclose())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        session.mcp_shown = ""
        self._start_mcp(session, mcp_servers)

    def _mcp_changed(self, session: AcpSession, event: Any) -> None:
        """Tell the IDE (session info `_meta`) each time a server connects or fails."""
        if session.mcp is None or self.sessions.get(session.id) is not session:
            return
        info = SessionInfoUpdate(
            session_update="session_info_update",
            field_meta={"punie": {"mcpServers": session.mcp.public()}},
        )
        task = asyncio.get_running_loop().create_task(session.reporter.send(info))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _show_mcp(self, session: AcpSession) -> None:
        """At the start of a prompt, say which MCP servers connected and which failed (once per
        change), so nothing the IDE passed is dropped silently."""
        servers = session.mcp
        if servers is None or not (servers.specs or servers.problems):
            return
        await servers.settle(servers.settle_timeout)
        from punie_core.mcp.status import summary_text

        text = summary_text(servers.statuses())
        if text != session.mcp_shown:
            session.mcp_shown = text
            await session.reporter.send(update_agent_message_text(text + "\n\n"))

    def _status_text(self, session: AcpSession) -> str:
        """The `/status` answer: mode, model, MCP servers and their tools."""
        from punie_core.mcp.status import summary_text

        lines = [f"Mode: {session.permissions.mode}", f"Model: {self.model or 'default'}"]
        servers = session.mcp
        lines.append(summary_text(servers.statuses() if servers is not None else []))
        return "\n".join(lines)

    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise RequestError.invalid_params({"sessionId": f"unknown session {session_id!r}"})
        return session

    async def _switch_mode(self, session: AcpSession, mode_id: str) -> None:
        if mode_id not in protocol.MODE_IDS:
            raise RequestError.invalid_params(
                {"modeId": f"unknown mode {mode_id!r}; modes: {', '.join(protocol.MODE_IDS)}"}
            )
        session.permissions.mode = mode_id
        await session.reporter.send(update_current_mode(mode_id))
        await session.reporter.send(
            ConfigOptionUpdate(
                session_update="config_option_update", config_options=self._config_options(session)
            )
        )

    @staticmethod
    def _config_options(session: AcpSession) -> list[Any]:
        return [
            SessionConfigOptionSelect.model_validate(option)
            for option in protocol.config_options(session.permissions.mode)
        ]

    def _after_session_response(self, result: Any, params: Any) -> None:
        """After a `session/new` or `session/load` response: announce commands, start warming up."""
        session_id = (result or {}).get("sessionId") or (params or {}).get("sessionId")
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is not None:
            commands = [AvailableCommand.model_validate(c) for c in protocol.available_commands()]
            task = asyncio.get_running_loop().create_task(
                session.reporter.send(update_available_commands(commands))
            )
            self._tasks.add(task)  # keep a reference until it is sent
            task.add_done_callback(self._tasks.discard)
        self._warm_up()

    async def _close(self, session: AcpSession) -> None:
        if session.agent is not None:
            with contextlib.suppress(Exception):
                session.agent.cancel()
                await session.agent.aclose()
        if session.mcp is not None:
            with contextlib.suppress(Exception):
                await session.mcp.aclose()
        await session.reporter.aclose()
        self.sessions.pop(session.id, None)

    async def shutdown(self) -> None:
        """Cancel every running prompt and stop the reporters (the client went away)."""
        for session in list(self.sessions.values()):
            if session.running is not None:
                await self.cancel(session.id)
                session.running.cancel()
            await self._close(session)
        if "punie_core.sandbox.runner" in sys.modules:
            # Monty's worker pool must close while the loop still runs (see shutdown_pool).
            await sys.modules["punie_core.sandbox.runner"].shutdown_pool()


def _load_toolbox() -> Any:
    from punie_core.plugins.loader import load_toolbox

    return load_toolbox()


async def _preload_session() -> Any:
    """Import `agent.session` (light: pydantic and the context are loaded already), then let
    it import what a prompt needs in a thread, keeping the loop free to answer `session/cancel`
    and stream updates."""
    from punie_core.agent import session

    await session.preload()
    return session


def _log_load_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("loading the agent failed: %r", future.exception())


def prompt_text(blocks: list[Any]) -> str:
    """The prompt as text: text blocks, embedded files as fenced context, links as mentions."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, TextContentBlock):
            parts.append(block.text)
        elif isinstance(block, EmbeddedResourceContentBlock):
            resource = block.resource
            if isinstance(resource, TextResourceContents):
                parts.append(
                    f"\nContext from {resource.uri}:\n```\n{resource.text.rstrip()}\n```\n"
                )
            else:
                parts.append(f"\n(attached binary resource {resource.uri}, not shown)\n")
        elif isinstance(block, ResourceContentBlock):
            parts.append(f"[{block.name}]({block.uri})")
        else:
            parts.append(
                f"(a {getattr(block, 'type', 'content')} block Punie cannot read was left out)"
            )
    text = "".join(parts).strip()
    # JSON may carry lone surrogates (`"\\udcff"`), which no model request can encode: the
    # prompt would fail, and every later one of the session with it. Replace them.
    return text.encode("utf-8", "replace").decode("utf-8")


def slash_command(text: str) -> tuple[str, str] | None:
    """(`name`, argument) when `text` is one of Punie's slash commands, else None."""
    if not text.startswith("/"):
        return None
    name, _, argument = text[1:].partition(" ")
    if name not in {c.name for c in protocol.COMMANDS}:
        return None
    return name, argument.strip()


def plugins_text(toolbox: Any) -> str:
    """The `/plugins` answer: each plugin, its status and what it adds."""
    lines = []
    for info in toolbox.plugins:
        if info.status == "active":
            adds = ", ".join(
                f"{len(info.names(kind))} {kind}"
                for kind in ("tools", "nouns", "skills", "validators")
                if info.names(kind)
            )
        else:
            adds = info.error or ""
        lines.append(f"- {info.name} ({info.distribution} {info.version}): {info.status}; {adds}")
    return "Plugins:\n" + "\n".join(lines)
