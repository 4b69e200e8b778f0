"""Real MCP servers for Punie's tests, written on the `mcp` SDK's low-level `Server`.

    python mcp_servers.py KIND [--transport stdio|http|sse] [--delay SECONDS]

Kinds:
    basic      echo (read-only, typed result), write_note (writes a file: needs permission),
               whoami (no annotations; answers with its SECRET_TOKEN env), fail (an error result)
    jetbrains  get_file_problems, rename_refactoring, get_symbol_info, search_text with the
               input and output schemas of JetBrains' built-in MCP server (see JETBRAINS_TOOLS),
               working on the real files of the project it runs in
    crash      writes to stderr and exits before it can answer anything
    hang       never answers `initialize`
    malformed  lists a tool whose input schema has an unknown type
    dies       answers until the tool `die` is called, then exits
    grows      echo and grow (adds a tool `extraN`, then sends tools/list_changed)
    nap        echo and nap(seconds): a tool that takes its time
    clash      echo and `file` (served as `read`, it would be `read_file`: a core tool's name)

`--delay` sleeps before serving (a server slow to start). For http and sse the server binds a
free loopback port and prints its URL on the first line of stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server

EMPTY = {"type": "object", "properties": {}}

# -- basic -------------------------------------------------------------------------------------

BASIC_TOOLS = [
    types.Tool(
        name="echo",
        description="Echo a text back with its length.",
        input_schema={
            "type": "object",
            "properties": {"text": {"type": "string", "description": "What to echo."}},
            "required": ["text"],
        },
        output_schema={
            "type": "object",
            "properties": {"text": {"type": "string"}, "length": {"type": "integer"}},
            "required": ["text", "length"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True),
    ),
    types.Tool(
        name="write-note",
        description="Write a note file in the project.",
        input_schema={
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Where, relative to the project."},
                "text": {"type": "string"},
            },
            "required": ["path", "text"],
        },
        annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=False),
    ),
    types.Tool(
        name="whoami",
        description="Say which token this server runs with.",
        input_schema={"type": "object", "properties": {}},
    ),
    types.Tool(
        name="fail",
        description="Always fails.",
        input_schema={"type": "object", "properties": {}},
        annotations=types.ToolAnnotations(read_only_hint=True),
    ),
]


def basic_call(name: str, args: dict[str, Any]) -> types.CallToolResult:
    if name == "echo":
        text = str(args["text"])
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content={"text": text, "length": len(text)},
        )
    if name == "write-note":
        target = Path(os.getcwd(), args["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(args["text"]), encoding="utf-8")
        return _text(f"wrote {args['path']}")
    if name == "whoami":
        return _text(f"token={os.environ.get('SECRET_TOKEN', 'none')}")
    if name == "fail":
        return types.CallToolResult(
            content=[types.TextContent(type="text", text="it broke")], is_error=True
        )
    if name == "die":
        print("dying on request", file=sys.stderr, flush=True)
        os._exit(3)
    raise ValueError(f"unknown tool {name}")


# -- jetbrains ---------------------------------------------------------------------------------
# Schemas as the IDE publishes them: JetBrains/intellij-community plugins/mcp-server,
# toolsets/general/AnalysisToolset.kt (get_file_problems -> FileProblemsResult{filePath,
# errors[FileProblem{severity, description, lineContent, line, column}], timedOut}),
# RefactoringToolset.kt (rename_refactoring -> RenameResult{ok, applied, resolvedSymbol,
# affects{files, usages}, candidates, conflicts, error{kind, hint}, note}), CodeInsightToolset.kt
# (get_symbol_info -> SymbolInfoResult{symbolInfo?, documentation}), SearchToolset.kt
# (search_text -> SearchResult{items[{filePath, startLine, startColumn, endLine, endColumn}],
# more}). Every tool takes the implicit `projectPath` (toolsetReflection.util.kt).

PROJECT_PATH = {"type": "string", "description": "The project's path (implicit)."}
POSITION = {
    "type": "object",
    "properties": {
        "filePath": {"type": "string"},
        "startLine": {"type": "integer"},
        "startColumn": {"type": "integer"},
        "endLine": {"type": "integer"},
        "endColumn": {"type": "integer"},
    },
    "required": ["filePath", "startLine", "startColumn", "endLine", "endColumn"],
}
JETBRAINS_TOOLS = [
    types.Tool(
        name="get_file_problems",
        description=(
            "Analyzes the specified file for errors and warnings using IntelliJ's inspections.\n"
            "Note: Lines and Columns are 1-based."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "filePath": {"type": "string", "description": "Path relative to the project root"},
                "errorsOnly": {"type": "boolean", "default": True},
                "timeout": {"type": "integer", "description": "Timeout in milliseconds"},
                "projectPath": PROJECT_PATH,
            },
            "required": ["filePath"],
        },
        output_schema={
            "type": "object",
            "properties": {
                "filePath": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "severity": {"type": "string"},
                            "description": {"type": "string"},
                            "lineContent": {"type": "string"},
                            "line": {"type": "integer"},
                            "column": {"type": "integer"},
                        },
                        "required": ["severity", "description", "lineContent", "line", "column"],
                    },
                },
                "timedOut": {"type": ["boolean", "null"]},
            },
            "required": ["filePath", "errors"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True),
    ),
    types.Tool(
        name="rename_refactoring",
        description="Renames a symbol and every reference to it. Read `applied`.",
        input_schema={
            "type": "object",
            "properties": {
                "pathInProject": {"type": "string"},
                "symbolName": {"type": "string"},
                "newName": {"type": "string"},
                "contextSnippet": {"type": ["string", "null"]},
                "line": {"type": ["integer", "null"]},
                "column": {"type": ["integer", "null"]},
                "targetIndex": {"type": ["integer", "null"]},
                "preview": {"type": "boolean", "default": False},
                "projectPath": PROJECT_PATH,
            },
            "required": ["pathInProject", "symbolName", "newName"],
        },
        output_schema={
            "type": "object",
            "properties": {
                "ok": {"type": "boolean"},
                "applied": {"type": "boolean"},
                "resolvedSymbol": {"type": ["string", "null"]},
                "affects": {
                    "type": "object",
                    "properties": {"files": {"type": "integer"}, "usages": {"type": "integer"}},
                    "required": ["files", "usages"],
                },
                "conflicts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "description": {"type": "string"},
                            "filePath": {"type": ["string", "null"]},
                        },
                        "required": ["description"],
                    },
                },
                "error": {
                    "type": "object",
                    "properties": {"kind": {"type": "string"}, "hint": {"type": "string"}},
                    "required": ["kind", "hint"],
                },
                "note": {"type": ["string", "null"]},
            },
            "required": ["ok", "applied"],
        },
        annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=True),
    ),
    types.Tool(
        name="get_symbol_info",
        description="Retrieves information about the symbol at the position (1-based).",
        input_schema={
            "type": "object",
            "properties": {
                "filePath": {"type": "string"},
                "line": {"type": "integer"},
                "column": {"type": "integer"},
                "projectPath": PROJECT_PATH,
            },
            "required": ["filePath", "line", "column"],
        },
        output_schema={
            "type": "object",
            "properties": {
                "symbolInfo": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "declarationText": {"type": "string"},
                        "filePath": {"type": "string"},
                        "line": {"type": "integer"},
                    },
                    "required": ["name"],
                },
                "documentation": {"type": "string"},
            },
            "required": ["documentation"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True),
    ),
    types.Tool(
        name="search_text",
        description="Searches the project's files for a text.",
        input_schema={
            "type": "object",
            "properties": {
                "q": {"type": "string"},
                "paths": {"type": "array", "items": {"type": "string"}},
                "limit": {"type": "integer", "default": 1000},
                "projectPath": PROJECT_PATH,
            },
            "required": ["q"],
        },
        output_schema={
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": POSITION},
                "more": {"type": "boolean"},
            },
            "required": ["items"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True),
    ),
]


def _project(args: dict[str, Any]) -> Path:
    return Path(args.get("projectPath") or os.getcwd())


def jetbrains_call(name: str, args: dict[str, Any]) -> types.CallToolResult:
    root = _project(args)
    if name == "get_file_problems":
        path = root / args["filePath"]
        source = path.read_text(encoding="utf-8")
        errors = []
        try:
            compile(source, str(path), "exec")
        except SyntaxError as exc:
            line = exc.lineno or 1
            errors.append(
                {
                    "severity": "ERROR",
                    "description": exc.msg,
                    "lineContent": source.splitlines()[line - 1] if source else "",
                    "line": line,
                    "column": exc.offset or 1,
                }
            )
        return _structured({"filePath": args["filePath"], "errors": errors})
    if name == "search_text":
        items = []
        for path in sorted(root.rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                column = line.find(args["q"])
                if column >= 0:
                    items.append(
                        {
                            "filePath": path.relative_to(root).as_posix(),
                            "startLine": number,
                            "startColumn": column + 1,
                            "endLine": number,
                            "endColumn": column + 1 + len(args["q"]),
                        }
                    )
        limit = int(args.get("limit") or 1000)
        return _structured({"items": items[:limit], "more": len(items) > limit})
    if name == "get_symbol_info":
        path = root / args["filePath"]
        line = path.read_text(encoding="utf-8").splitlines()[args["line"] - 1]
        match = re.search(r"\w+", line[args["column"] - 1 :])
        word = match.group(0) if match else ""
        return _structured(
            {
                "symbolInfo": {"name": word, "declarationText": line.strip(),
                               "filePath": args["filePath"], "line": args["line"]},
                "documentation": f"`{word}`",
            }
        )  # fmt: skip
    if name == "rename_refactoring":
        pattern = re.compile(rf"\b{re.escape(args['symbolName'])}\b")
        files = usages = 0
        changed = {}
        for path in sorted(root.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            count = len(pattern.findall(text))
            if count:
                files += 1
                usages += count
                changed[path] = pattern.sub(args["newName"], text)
        if not usages:
            return _structured(
                {"ok": False, "applied": False,
                 "error": {"kind": "SYMBOL_NOT_FOUND", "hint": "check symbolName"}}
            )  # fmt: skip
        preview = bool(args.get("preview"))
        if not preview:
            for path, text in changed.items():
                path.write_text(text, encoding="utf-8")
        return _structured(
            {"ok": True, "applied": not preview, "resolvedSymbol": args["symbolName"],
             "affects": {"files": files, "usages": usages}}
        )  # fmt: skip
    raise ValueError(f"unknown tool {name}")


# -- plumbing ----------------------------------------------------------------------------------


def _text(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


def _structured(data: dict[str, Any]) -> types.CallToolResult:
    import json

    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(data))], structured_content=data
    )


def build(kind: str) -> Server:
    if kind == "jetbrains":
        tools, call = JETBRAINS_TOOLS, jetbrains_call
    elif kind == "malformed":
        tools = [
            *BASIC_TOOLS[:1],
            types.Tool(
                name="broken",
                description="Its schema is wrong.",
                input_schema={"type": "object", "properties": {"x": {"type": "strng"}}},
            ),
        ]
        call = basic_call
    elif kind == "clash":
        clash = types.Tool(name="file", description="Named like a core tool.", input_schema=EMPTY)
        tools = [*BASIC_TOOLS[:1], clash]
        call = basic_call
    elif kind == "nap":
        nap = types.Tool(
            name="nap",
            description="Sleep, then answer.",
            input_schema={"type": "object", "properties": {"seconds": {"type": "number"}}},
            annotations=types.ToolAnnotations(read_only_hint=True),
        )
        tools = [*BASIC_TOOLS[:1], nap]
        call = basic_call
    elif kind == "grows":
        grow = types.Tool(name="grow", description="Add a tool.", input_schema=EMPTY)
        tools = [*BASIC_TOOLS[:1], grow]
        call = basic_call
    elif kind == "dies":
        tools = [
            *BASIC_TOOLS,
            types.Tool(name="die", description="Exit at once.", input_schema=EMPTY),
        ]
        call = basic_call
    else:
        tools, call = BASIC_TOOLS, basic_call

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name == "grow":  # a new tool, announced with tools/list_changed
            tools.append(types.Tool(name=f"extra{len(tools)}", description="Grown.",
                                    input_schema=EMPTY))  # fmt: skip
            await ctx.session.send_tool_list_changed()
            return _text("grown")
        if params.name == "nap":  # asleep without blocking the other calls
            await anyio.sleep(float((params.arguments or {}).get("seconds", 1)))
            return _text("rested")
        return call(params.name, dict(params.arguments or {}))

    return Server(f"test-{kind}", on_list_tools=list_tools, on_call_tool=call_tool)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_http(server: Server, transport: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    port = free_port()
    if transport == "http":
        app = server.streamable_http_app(host="127.0.0.1")
        url = f"http://127.0.0.1:{port}/mcp"
    else:
        from mcp.server.sse import SseServerTransport

        sse = SseServerTransport("/messages/")

        async def handle_sse(request: Any) -> Response:
            async with sse.connect_sse(request.scope, request.receive, request._send) as streams:
                await server.run(streams[0], streams[1], server.create_initialization_options())
            return Response()

        app = Starlette(
            routes=[
                Route("/sse", endpoint=handle_sse, methods=["GET"]),
                Mount("/messages/", app=sse.handle_post_message),
            ]
        )
        url = f"http://127.0.0.1:{port}/sse"
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv_server = uvicorn.Server(config)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(uv_server.serve)
            while not uv_server.started:
                await anyio.sleep(0.01)
            print(url, flush=True)

    anyio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--transport", default="stdio", choices=("stdio", "http", "sse"))
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    if args.delay:
        time.sleep(args.delay)
    if args.kind == "crash":
        print("boom: this server cannot start (missing licence file)", file=sys.stderr, flush=True)
        sys.exit(2)
    if args.kind == "hang":
        Path(os.getcwd(), "hang.pid").write_text(str(os.getpid()), encoding="utf-8")
        print("starting up...", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)
    server = build(args.kind)
    if args.transport != "stdio":
        serve_http(server, args.transport)
        return
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


if __name__ == "__main__":
    main()
