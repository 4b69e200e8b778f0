"""A session's MCP servers: connected in the background, merged into the session's toolbox.

`McpServers` starts one `McpConnection` per server at once and never waits for them:
`session/new` answers in milliseconds whatever the servers do. Before a prompt the session
awaits `settle()` (bounded by each server's connect timeout) and takes `toolbox(base)`: the
plugins' toolbox plus every ready server's tools and nouns. That toolbox object is cached per
set of tools, so the prompt and the stubs are the same bytes from prompt to prompt until a
server connects, fails or changes its tools.

A server with more than `FOLD_AFTER` tools is summarised in the prompt by one line; its
tools stay callable and `tool_help("<server>")` lists their signatures.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from punie_core.mcp.config import (
    ConfigProblem,
    ServerSpec,
    from_acp,
    merge,
    parse_file,
    project_file,
    read_file,
    user_file,
)
from punie_core.mcp.connection import McpConnection
from punie_core.mcp.schema import SchemaError, identifier
from punie_core.mcp.secrets import Redactor, register
from punie_core.mcp.status import McpServersChanged, McpServerStatus
from punie_core.mcp.tools import McpTool, build_tool

if TYPE_CHECKING:
    from punie_core.plugins.context import Permissions
    from punie_core.plugins.toolbox import Toolbox

log = logging.getLogger("punie.mcp")

FOLD_AFTER = 8
"""Servers with more tools are one line in the prompt (`tool_help(server)` lists them)."""


class McpServers:
    """The MCP servers of one session.

    Args:
        specs: The servers to connect (already merged and sorted).
        root: The project directory.
        problems: Config problems to report as failed entries (a bad `.mcp.json`, ...).
        trust: For servers of an untrusted project file: asks the person once; True to use it.
        session_id: For `McpServersChanged` events.
        ide_tools: Add the curated `ide_*` tools to the toolbox.
    """

    def __init__(
        self,
        specs: Iterable[ServerSpec],
        *,
        root: Path,
        problems: Iterable[McpServerStatus] = (),
        trust: Callable[[], Any] | None = None,
        session_id: str = "",
        ide_tools: bool = True,
    ) -> None:
        self.root = root
        self.ide_tools = ide_tools
        self.session_id = session_id
        self.specs = sorted(specs, key=lambda s: s.name)
        self.problems = list(problems)
        self.redactor = Redactor(v for s in self.specs for v in s.secret_values())
        register(self.secret_values())  # logs too: the SDK logs URLs and payloads
        self.connections = [
            McpConnection(s, root=root, redactor=self.redactor, on_change=self._changed)
            for s in self.specs
        ]
        self._trust = trust
        self._trust_answer: asyncio.Future[bool] | None = None
        for connection in self.connections:
            if connection.spec.source == "project" and trust is not None:
                connection.gate = self._trusted
        self._listeners: list[Callable[[McpServersChanged], None]] = []
        self._cache: tuple[Any, tuple[Any, ...], Toolbox] | None = None
        self._skipped: dict[str, list[str]] = {}
        self._broken: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> McpServers:
        """Start connecting every server in the background (needs a running loop)."""
        for connection in self.connections:
            connection.start()
        return self

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until every server is ready, failed or untrusted (at most `timeout` seconds)."""
        waits = [c.settled() for c in self.connections if c.state == "connecting"]
        if not waits:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.gather(*waits)

    @property
    def settle_timeout(self) -> float:
        """How long a prompt waits for servers still connecting: the longest connect timeout."""
        return max((s.connect_timeout for s in self.specs), default=0.0) + 1.0

    async def aclose(self) -> None:
        """Disconnect every server (stdio processes stop)."""
        await asyncio.gather(*(c.aclose() for c in self.connections), return_exceptions=True)

    def secret_values(self) -> list[str]:
        """Every server's env values, header values and URL credentials (for trace redaction)."""
        return [v for spec in self.specs for v in spec.secret_values()]

    def subscribe(self, listener: Callable[[McpServersChanged], None]) -> None:
        """Call `listener` with every status change."""
        self._listeners.append(listener)

    # -- what people see ---------------------------------------------------------------------

    def statuses(self) -> list[McpServerStatus]:
        """Every server's status (config problems included), sorted by name."""
        found = []
        for connection in self.connections:
            status = connection.status()
            name = connection.spec.name
            if name in self._broken and status.state == "ready":
                status = status.model_copy(
                    update={"state": "failed", "error": self._broken[name], "tools": 0}
                )
            if self._skipped.get(name):
                status = status.model_copy(update={"skipped": list(self._skipped[name])})
                if status.state == "ready":
                    status = status.model_copy(
                        update={"tools": status.tools - len(self._skipped[name])}
                    )
            found.append(status)
        return sorted([*found, *self.problems], key=lambda s: s.name)

    def public(self) -> list[dict[str, Any]]:
        """The servers as JSON for the web UI and `punie mcp --json` (no secrets)."""
        specs = {s.name: s for s in self.specs}
        rows = []
        for status in self.statuses():
            row = status.model_dump()
            spec = specs.get(status.name)
            if spec is not None:
                row["config"] = spec.public()
            rows.append(row)
        return rows

    # -- the toolbox -------------------------------------------------------------------------

    def toolbox(self, base: Toolbox) -> Toolbox:
        """`base` plus the tools and nouns of every ready server (the same object while the
        tools do not change)."""
        ready = [c for c in self.connections if c.state == "ready"]
        key = tuple((c.spec.name, _listing_key(c.tools)) for c in ready)
        cached = self._cache
        if cached is not None and cached[0] is base and cached[1] == key:
            return cached[2]
        toolbox = self._extend(base, ready)
        self._cache = (base, key, toolbox)
        return toolbox

    def _extend(self, base: Toolbox, ready: list[McpConnection]) -> Toolbox:
        from punie_core.plugins.records import Noun
        from punie_core.plugins.stubs import check_stub, render_noun, render_tool, signature_line

        taken = {t.name for t in base.tools} | {n.name for n in base.nouns} | set(base.stub_texts)
        tools: list[McpTool] = []
        nouns: list[Noun] = []
        texts = dict(base.stub_texts)
        self._skipped = {}
        self._broken = {}
        for connection in ready:
            server = connection.spec.name
            built: list[Any] = []
            own_taken = set(taken)
            try:
                for remote in sorted(connection.tools, key=lambda t: t.name):
                    item = build_tool(connection, remote, own_taken)
                    if item.tool.name in taken or any(item.tool.name == b.tool.name for b in built):
                        self._skipped.setdefault(server, []).append(
                            f"{item.tool.name}: the name is taken"
                        )
                        continue
                    built.append(item)
                rendered = {b.tool.name: render_tool(b.tool) for b in built}
                for name, text in rendered.items():
                    check_stub(text, name, function=True)
                noun_texts = {m.__name__: render_noun(m) for b in built for m in b.nouns}
            except Exception as exc:  # a malformed schema fails its server, not the session
                message = (
                    str(exc) if isinstance(exc, SchemaError) else f"{type(exc).__name__}: {exc}"
                )
                self._broken[server] = self.redactor.text(f"malformed tool schema: {message}")
                log.warning("MCP server %s: %s", server, self._broken[server])
                continue
            fold = len(built) > FOLD_AFTER
            group = identifier(server) if fold else None
            for item in built:
                tool = dataclasses.replace(item.tool, prompt_group=group)
                tools.append(tool)
                texts[tool.name] = rendered[tool.name]
                taken.add(tool.name)
            for item in built:
                for model in item.nouns:
                    noun = Noun(model, plugin=f"mcp:{server}", distribution=f"mcp server {server}")
                    nouns.append(noun if group is None else _folded(noun, group))
                    texts[model.__name__] = noun_texts[model.__name__]
                    taken.add(model.__name__)
            if group is not None and group not in texts:
                listing = [
                    f"{signature_line(rendered[b.tool.name], b.tool.name)}: {b.tool.description}"
                    for b in built
                ]
                listing += [noun_line(m) for b in built for m in b.nouns]
                texts[group] = f"# Tools of the MCP server {server!r}\n" + "\n".join(listing) + "\n"
        if self.ide_tools:
            self._add_ide(tools, nouns, texts, taken)
        if self._broken:
            self._notify()
        return dataclasses.replace(
            base,
            tools=tuple(sorted([*base.tools, *tools], key=lambda t: t.name)),
            nouns=tuple(sorted([*base.nouns, *nouns], key=lambda n: n.name)),
            stub_texts=texts,
        )

    def _add_ide(
        self, tools: list[Any], nouns: list[Any], texts: dict[str, str], taken: set[str]
    ) -> None:
        """The curated `ide_*` tools (PyCharm's machinery when connected, Punie's otherwise)."""
        from punie_core.mcp.ide import GROUP, ide_nouns, ide_tools
        from punie_core.plugins.stubs import render_noun, render_tool, signature_line

        if GROUP in texts:
            return
        listing = []
        for tool in ide_tools(self):
            if tool.name in taken:
                continue
            texts[tool.name] = render_tool(tool)
            tools.append(tool)
            taken.add(tool.name)
            listing.append(f"{signature_line(texts[tool.name], tool.name)}: {tool.description}")
        for noun in ide_nouns():
            if noun.name not in taken:
                nouns.append(noun)
                texts[noun.name] = render_noun(noun.model, noun.name)
                taken.add(noun.name)
        listing += [noun_line(noun.model) for noun in ide_nouns()]
        texts[GROUP] = (
            "# IDE tools (PyCharm's when connected, Punie's otherwise)\n"
            + "\n".join(listing)
            + "\n"
        )

    # -- internals ---------------------------------------------------------------------------

    async def _trusted(self) -> bool:
        if self._trust_answer is None:
            self._trust_answer = asyncio.ensure_future(_ask(self._trust))
        return await asyncio.shield(self._trust_answer)

    def _changed(self, connection: McpConnection) -> None:
        if connection.state == "ready":
            problem = _schema_problem(connection)
            if problem is not None:
                connection.reject(problem)  # notifies again, as failed
                return
        self._notify()

    def _notify(self) -> None:
        event = McpServersChanged(self.session_id, self.statuses())
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("MCP status listener failed")


def noun_line(model: Any) -> str:
    """`Name(field, field: structured type)`: a noun in a folded group's `tool_help` listing."""
    from punie_core.plugins.prompt import field_text

    fields = ", ".join(field_text(n, f.annotation) for n, f in model.model_fields.items())
    return f"{model.__name__}({fields})"


def _schema_problem(connection: McpConnection) -> str | None:
    """Why the server's tool schemas cannot become typed functions, or None."""
    scratch: set[str] = set()
    for remote in connection.tools:
        try:
            build_tool(connection, remote, scratch)
        except SchemaError as exc:
            return f"malformed tool schema: {exc}"
        except Exception as exc:
            return f"malformed tool schema: {remote.name}: {type(exc).__name__}: {exc}"
    return None


def _folded(noun: Any, group: str) -> Any:
    from punie_core.mcp.tools import McpNoun

    return McpNoun(noun.model, noun.name, noun.plugin, noun.distribution, prompt_group=group)


async def _ask(trust: Callable[[], Any] | None) -> bool:
    if trust is None:
        return False
    try:
        return bool(await trust())
    except Exception:
        log.exception("asking to trust the project's MCP servers failed")
        return False


def _listing_key(tools: list[Any]) -> str:
    data = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# -- building a session's servers ------------------------------------------------------------


def session_servers(
    root: Path,
    client_servers: Iterable[Any] = (),
    *,
    permissions: Permissions | None = None,
    session_id: str = "",
    use_config: bool = True,
) -> McpServers:
    """The servers of a session: the client's, `$PUNIE_HOME/mcp.json`, a trusted `.mcp.json`.

    Args:
        root: The project directory.
        client_servers: ACP `McpServer` entries (SDK models or JSON).
        permissions: Asks the person to trust an untrusted project file (once per content);
            None refuses it.
        session_id: For status events.
        use_config: Also read the config files.
    """
    problems: list[McpServerStatus] = []
    client: list[ServerSpec] = []
    for entry in client_servers:
        try:
            client.append(from_acp(entry))
        except ConfigProblem as exc:
            name = _entry_name(entry)
            problems.append(
                McpServerStatus(name=name, transport="?", state="failed", error=str(exc))
            )
    user: list[ServerSpec] = []
    project: list[ServerSpec] = []
    project_path = project_file(root)
    content = b""
    if use_config:
        try:
            user = read_file(user_file(), "user")
        except ConfigProblem as exc:
            problems.append(_file_problem(user_file(), "user", exc))
        try:
            content = project_path.read_bytes() if project_path.is_file() else b""
            project = (
                parse_file(content.decode("utf-8"), project_path, "project") if content else []
            )
        except (ConfigProblem, OSError, UnicodeDecodeError) as exc:
            problems.append(_file_problem(project_path, "project", exc))
    specs = merge(client, user, project)
    trust = None
    chosen = [s for s in specs if s.source == "project"]
    if chosen:
        from punie_core.mcp.trust import is_trusted

        if not is_trusted(project_path, content):

            async def trust() -> bool:
                return await ask_trust(project_path, content, chosen, permissions)

    return McpServers(specs, root=root, problems=problems, trust=trust, session_id=session_id)


def _file_problem(path: Path, source: str, exc: Exception) -> McpServerStatus:
    """A config file that cannot be used, reported like a failed server (named after it)."""
    return McpServerStatus(
        name=path.name, transport="config", source=source, state="failed", error=str(exc)
    )


def _entry_name(entry: Any) -> str:
    data = entry.model_dump() if hasattr(entry, "model_dump") else entry
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "unnamed"


async def ask_trust(
    path: Path, content: bytes, specs: list[ServerSpec], permissions: Permissions | None
) -> bool:
    """Ask once whether the project's `.mcp.json` may start its servers; remember a yes."""
    if permissions is None:
        return False
    from punie_core.mcp.trust import remember
    from punie_core.plugins.context import PermissionRequest
    from punie_core.plugins.toolbox import new_call_id

    servers = ", ".join(s.describe() for s in specs)
    request = PermissionRequest(
        call_id=new_call_id(),
        tool="trust_mcp_config",
        kind="execute",
        title=f"Trust {path.name}: start MCP servers {servers}",
        arguments={"file": path.name, "servers": [s.public() for s in specs]},
        paths=(path.name,),
        sensitive=True,  # it runs programs: a person decides, never `--yes`
    )
    if not await permissions.approve(request):
        return False
    remember(path, content)
    return True
