"""The IDE's machinery as six curated tools, the same nouns with or without PyCharm.

When a JetBrains MCP server is connected (PyCharm with `use_idea_mcp`), `ide_problems`,
`ide_symbol`, `ide_rename`, `ide_callers`, `ide_run` and `ide_search` call its tools
(`get_file_problems`, `get_symbol_info`, `rename_refactoring`, `search_text`, ...), reading
the live schemas for the parameter names of this IDE version. Without it the same functions
answer from Punie's own means: punie-code's language server when that plugin is installed
(`diagnostics`, `hover`), else the Python parser, the workspace files and pytest; prompts and
traces look the same either way. Every answer is a noun: `Problem`, `SymbolDoc`,
`RenameOutcome`, `Hit`, `RunOutcome`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from punie_core.plugins.records import Noun, Tool

if TYPE_CHECKING:
    from punie_core.mcp.connection import McpConnection

McpServers = Any
"""A session's `punie_core.mcp.manager.McpServers` (not imported: the manager imports this)."""

GROUP = "ide"
JETBRAINS_MARKERS = ("get_file_problems", "get_symbol_info", "rename_refactoring", "search_text")
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"}
)
MAX_HITS = 200


class Problem(BaseModel):
    """One problem in a file (1-based line and column)."""

    path: str
    line: int
    column: int
    severity: str
    message: str


class SymbolDoc(BaseModel):
    """What a symbol is: its declaration and documentation."""

    name: str
    path: str | None = None
    line: int | None = None
    declaration: str = ""
    documentation: str = ""


class RenameOutcome(BaseModel):
    """A rename: applied or previewed, what it touches, or why not."""

    applied: bool
    files: int = 0
    usages: int = 0
    conflicts: list[str] = []
    error: str | None = None


class Hit(BaseModel):
    """A place in a file (1-based line and column) and its line's text."""

    path: str
    line: int
    column: int
    text: str = ""


class RunOutcome(BaseModel):
    """A test or run configuration that ran."""

    target: str
    exit_code: int | None
    output: str


NOUNS = (Problem, SymbolDoc, RenameOutcome, Hit, RunOutcome)


def jetbrains(servers: McpServers | None) -> McpConnection | None:
    """The connected JetBrains MCP server, recognised by its tools, or None."""
    if servers is None:
        return None
    for connection in servers.connections:
        names = {t.name for t in connection.tools}
        if connection.state == "ready" and sum(m in names for m in JETBRAINS_MARKERS) >= 2:
            return connection
    return None


def _remote(connection: McpConnection | None, *names: str) -> Any:
    if connection is None:
        return None
    tools = {t.name: t for t in connection.tools}
    return next((tools[n] for n in names if n in tools), None)


def _fit(remote: Any, values: dict[str, list[tuple[str, Any]]]) -> dict[str, Any]:
    """Arguments for a live JetBrains tool: each value under the first alias its schema has."""
    properties = (remote.input_schema or {}).get("properties") or {}
    arguments: dict[str, Any] = {}
    for aliases in values.values():
        for alias, value in aliases:
            if alias in properties:
                if value is not None:
                    arguments[alias] = value
                break
    if "projectPath" in properties:
        arguments["projectPath"] = str(_root())
    return arguments


async def _call(connection: McpConnection, remote: Any, arguments: dict[str, Any]) -> Any:
    from punie_core.mcp.tools import McpToolError, result_text

    result = await connection.call(remote.name, arguments, connection.spec.call_timeout)
    if result.is_error:
        raise McpToolError(connection.redactor.text(result_text(result)))
    data = result.structured_content
    if data is None:
        import json

        try:
            data = json.loads(result_text(result))
        except ValueError:
            data = {"text": result_text(result)}
    return connection.redactor.data(data)


def _root() -> Any:
    from punie_core.plugins.context import tool_context

    return tool_context().workspace.root


def ide_tools(servers: McpServers | None) -> list[Tool]:
    """The six `ide_*` tools, bound to a session's MCP servers (None: Punie's own means)."""

    async def ide_problems(paths: list[str]) -> list[Problem]:
        """Problems the IDE sees in files (errors and warnings).

        Uses PyCharm's inspections when its MCP server is connected, else Python's parser.

        Args:
            paths: Workspace files, for example `["app/views.py"]`.
        """
        connection = jetbrains(servers)
        remote = _remote(connection, "get_file_problems")
        found: list[Problem] = []
        for path in paths:
            if remote is not None and connection is not None:
                data = await _call(connection, remote, _fit(remote, {
                    "path": [("filePath", path), ("path", path), ("pathInProject", path)],
                    "errors": [("errorsOnly", False)],
                }))  # fmt: skip
                for item in data.get("errors") or data.get("problems") or []:
                    found.append(
                        Problem(
                            path=str(data.get("filePath") or path),
                            line=int(item.get("line") or 1),
                            column=int(item.get("column") or 1),
                            severity=str(item.get("severity") or "ERROR"),
                            message=str(item.get("description") or item.get("message") or ""),
                        )
                    )
                continue
            coded = await _plugin_tool("diagnostics", paths=[path])
            if isinstance(coded, list):  # punie-code's language server answered
                found += [
                    Problem(path=d.path, line=d.line, column=d.column,
                            severity=str(d.severity).upper(), message=d.message)
                    for d in coded
                ]  # fmt: skip
                continue
            source = (_root() / path).read_text(encoding="utf-8")
            try:
                compile(source, path, "exec", dont_inherit=True)
            except SyntaxError as exc:
                found.append(
                    Problem(path=path, line=exc.lineno or 1, column=exc.offset or 1,
                            severity="ERROR", message=exc.msg)
                )  # fmt: skip
        return found

    async def ide_symbol(path: str, line: int, column: int) -> SymbolDoc:
        """What the symbol at a position is: declaration and docs.

        Args:
            path: Workspace file.
            line: 1-based line.
            column: 1-based column.
        """
        connection = jetbrains(servers)
        remote = _remote(connection, "get_symbol_info")
        if remote is not None and connection is not None:
            data = await _call(connection, remote, _fit(remote, {
                "path": [("filePath", path), ("path", path), ("pathInProject", path)],
                "line": [("line", line)], "column": [("column", column)],
            }))  # fmt: skip
            info = data.get("symbolInfo") or {}
            return SymbolDoc(
                name=str(info.get("name") or ""),
                path=info.get("filePath"),
                line=info.get("line"),
                declaration=str(info.get("declarationText") or ""),
                documentation=str(data.get("documentation") or ""),
            )
        text = (_root() / path).read_text(encoding="utf-8").splitlines()
        row = text[line - 1] if 0 < line <= len(text) else ""
        match = next(
            (m for m in re.finditer(r"\w+", row) if m.start() <= column - 1 < m.end()), None
        )
        name = match.group(0) if match else ""
        hover = await _plugin_tool("hover", path=path, line=line, column=column)
        if hover is not None and getattr(hover, "signature", None) is not None:
            return SymbolDoc(
                name=name, path=path, line=line, declaration=hover.signature,
                documentation=getattr(hover, "doc", ""),
            )  # fmt: skip
        for rel, tree in _python_files():
            for node in ast.walk(tree):
                if (
                    isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    and node.name == name
                ):
                    source = (_root() / rel).read_text(encoding="utf-8").splitlines()
                    return SymbolDoc(
                        name=name, path=rel, line=node.lineno,
                        declaration=source[node.lineno - 1].strip(),
                        documentation=ast.get_docstring(node) or "",
                    )  # fmt: skip
        return SymbolDoc(name=name)

    async def ide_rename(
        path: str,
        symbol: str,
        new_name: str,
        line: int | None = None,
        column: int | None = None,
        preview: bool = True,
    ) -> RenameOutcome:
        """Rename a symbol everywhere; preview first, then preview=False.

        With PyCharm it is the IDE's rename refactoring; without it, a whole-word rename in the
        project's Python files. `preview=False` changes files and asks permission first.

        Args:
            path: The file that declares or uses the symbol.
            symbol: Its current name.
            new_name: The new name.
            line: 1-based line of the symbol (optional).
            column: 1-based column of the symbol (optional).
            preview: Only report what would change.
        """
        if not preview:
            await _ask_rename(path, symbol, new_name)
        connection = jetbrains(servers)
        remote = _remote(connection, "rename_refactoring")
        if remote is not None and connection is not None:
            data = await _call(connection, remote, _fit(remote, {
                "path": [("pathInProject", path), ("filePath", path), ("path", path)],
                "symbol": [("symbolName", symbol)], "new": [("newName", new_name)],
                "line": [("line", line)], "column": [("column", column)],
                "preview": [("preview", preview)],
            }))  # fmt: skip
            affects = data.get("affects") or {}
            error = data.get("error") or None
            return RenameOutcome(
                applied=bool(data.get("applied")),
                files=int(affects.get("files") or 0),
                usages=int(affects.get("usages") or 0),
                conflicts=[str(c.get("description", c)) for c in data.get("conflicts") or []],
                error=f"{error.get('kind')}: {error.get('hint')}"
                if isinstance(error, dict)
                else error,
            )
        if not new_name.isidentifier():
            return RenameOutcome(applied=False, error=f"{new_name!r} is not an identifier")
        pattern = re.compile(rf"\b{re.escape(symbol)}\b")
        changes: dict[str, str] = {}
        usages = 0
        for rel in [f for f in _text_files() if f.endswith(".py")]:
            text = (_root() / rel).read_text(encoding="utf-8")
            count = len(pattern.findall(text))
            if count:
                usages += count
                changes[rel] = pattern.sub(new_name, text)
        if not usages:
            return RenameOutcome(
                applied=False, error=f"SYMBOL_NOT_FOUND: no {symbol!r} in the project"
            )
        if not preview:
            from punie_core.plugins.context import tool_context

            context = tool_context()
            for rel, text in sorted(changes.items()):
                await context.files.write_text(context.workspace.writable(rel), text)
        return RenameOutcome(applied=not preview, files=len(changes), usages=usages)

    async def ide_callers(symbol: str) -> list[Hit]:
        """Where a function or method is called.

        Args:
            symbol: Its name, for example `create_user`.
        """
        connection = jetbrains(servers)
        remote = _remote(connection, "search_text")
        hits: list[Hit] = []
        if remote is not None and connection is not None:
            data = await _call(connection, remote, _fit(remote, {"q": [("q", f"{symbol}(")]}))
            for item in data.get("items") or []:
                hit = _hit_at(str(item.get("filePath")), int(item.get("startLine") or 1),
                              int(item.get("startColumn") or 1))  # fmt: skip
                if not re.match(rf"\s*(async\s+)?def\s+{re.escape(symbol)}\b", hit.text):
                    hits.append(hit)
            return hits[:MAX_HITS]
        for rel, tree in _python_files():
            lines = (_root() / rel).read_text(encoding="utf-8").splitlines()
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name == symbol:
                        hits.append(Hit(path=rel, line=node.lineno, column=node.col_offset + 1,
                                        text=lines[node.lineno - 1].strip()))  # fmt: skip
        return sorted(hits, key=lambda h: (h.path, h.line, h.column))[:MAX_HITS]

    async def ide_search(
        q: str, kind: Literal["text", "regex", "symbol", "file"] = "text"
    ) -> list[Hit]:
        """Search the project: text, regex, symbol or file name.

        Args:
            q: What to find.
            kind: `text` (default), `regex`, `symbol` (definitions) or `file` (a glob).
        """
        connection = jetbrains(servers)
        remote = _remote(connection, f"search_{kind}")
        if remote is not None and connection is not None:
            data = await _call(connection, remote, _fit(remote, {"q": [("q", q)]}))
            return [
                _hit_at(str(i.get("filePath")), int(i.get("startLine") or 1),
                        int(i.get("startColumn") or 1))
                for i in (data.get("items") or [])[:MAX_HITS]
            ]  # fmt: skip
        root = _root()
        if kind == "file":
            if q.startswith("/") or ".." in Path(q).parts:
                return []  # a glob stays in the project
            return [
                Hit(path=p.relative_to(root).as_posix(), line=1, column=1)
                for p in sorted(root.glob(q)) if p.is_file() and not SKIP_DIRS & set(p.parts)
            ][:MAX_HITS]  # fmt: skip
        if kind == "symbol":
            pattern = re.compile(rf"^\s*(async\s+def|def|class)\s+{re.escape(q)}\b")
        elif kind == "regex":
            pattern = re.compile(q)
        else:
            pattern = re.compile(re.escape(q))
        hits = []
        for rel in _text_files():
            for number, row in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
                match = pattern.search(row)
                if match:
                    hits.append(
                        Hit(path=rel, line=number, column=match.start() + 1, text=row.strip())
                    )
                    if len(hits) >= MAX_HITS:
                        return hits
        return hits

    async def ide_run(target: str) -> RunOutcome:
        """Run a test (path or node id) or an IDE run configuration.

        With PyCharm, a run configuration of that name runs in the IDE; otherwise the target
        runs with pytest in the workspace (after permission).

        Args:
            target: A run configuration name, or a test such as `tests/test_app.py::test_home`.
        """
        connection = jetbrains(servers)
        remote = _remote(connection, "execute_run_configuration")
        if remote is not None and connection is not None:
            data = await _call(connection, remote, _fit(remote, {
                "name": [("configurationName", target)]}))  # fmt: skip
            return RunOutcome(
                target=target, exit_code=data.get("exitCode"), output=str(data.get("output") or "")
            )
        import shlex

        from punie_core.plugins.context import tool_context

        context = tool_context()  # the gate asked permission for this call already
        result = await context.commands.run(
            f"python -m pytest -q {shlex.quote(target)}", context.workspace.root,
            context.command_timeout,
        )  # fmt: skip
        return RunOutcome(target=target, exit_code=result.exit_code, output=result.output)

    kinds = {
        ide_problems: "read", ide_symbol: "read", ide_rename: "other", ide_callers: "search",
        ide_search: "search", ide_run: "execute",
    }  # fmt: skip
    from punie_core.mcp.tools import McpTool

    return [
        McpTool(
            function=f,
            kind=k,
            plugin="mcp:ide",
            distribution="punie",
            server="",  # type: ignore[arg-type]
            ask=k == "execute",
            path_parameters=("path", "paths"),
            prompt_group=GROUP,
        )
        for f, k in kinds.items()
    ]


def ide_nouns() -> list[Noun]:
    """The nouns of the `ide_*` tools."""
    from punie_core.mcp.tools import McpNoun

    return [
        McpNoun(model, plugin="mcp:ide", distribution="punie", prompt_group=GROUP)
        for model in NOUNS
    ]


async def _plugin_tool(name: str, **kwargs: Any) -> Any:
    """A plugin's tool (punie-code's `diagnostics`, `hover`) through the gate, when installed;
    None when it is not, or when it is unavailable (its language server did not start)."""
    from punie_core.plugins.toolbox import current_toolbox

    try:
        toolbox = current_toolbox()
        if not any(t.name == name for t in toolbox.tools):
            return None
        result = await toolbox.call(name, kwargs=kwargs)
    except Exception:  # the simple answer below is better than none
        return None
    return None if getattr(result, "available", True) is False else result


async def _ask_rename(path: str, symbol: str, new_name: str) -> None:
    from punie_core.plugins.context import PermissionRequest
    from punie_core.plugins.toolbox import current_call_id, new_call_id, require_approval

    await require_approval(
        PermissionRequest(
            call_id=current_call_id() or new_call_id(),
            tool="ide_rename",
            kind="edit",
            title=f"ide_rename({symbol} -> {new_name}, from {path})",
            arguments={"path": path, "symbol": symbol, "new_name": new_name},
            paths=(path,),
        )
    )


def _hit_at(path: str, line: int, column: int) -> Hit:
    try:
        rows = (_root() / path).read_text(encoding="utf-8").splitlines()
        text = rows[line - 1].strip() if 0 < line <= len(rows) else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    return Hit(path=path, line=line, column=column, text=text)


def _text_files() -> list[str]:
    root = _root()
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if SKIP_DIRS & set(rel.parts) or not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        if path.suffix in (
            ".py",
            ".pyi",
            ".html",
            ".md",
            ".txt",
            ".toml",
            ".cfg",
            ".ini",
            ".js",
            ".css",
            ".json",
            ".yaml",
            ".yml",
        ):
            found.append(rel.as_posix())
    return found


def _python_files() -> list[tuple[str, ast.Module]]:
    root = _root()
    found = []
    for rel in _text_files():
        if rel.endswith(".py"):
            try:
                found.append((rel, ast.parse((root / rel).read_text(encoding="utf-8"))))
            except (SyntaxError, ValueError, UnicodeDecodeError):
                continue
    return found
