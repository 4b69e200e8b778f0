"""`punie run "PROMPT"`: answer one prompt headlessly in a project, with a live view on stderr.

The answer streams to stdout (or, with `--json`, one JSON object is printed at the end); the
model's thinking, every tool call and its result, and a spinner while waiting go to stderr.
Without `--yes`, writes and commands are asked on the terminal when stdin is one and refused
otherwise. Ctrl-C cancels the prompt (exit 130).

Exit status: 0 answered, 1 the prompt failed (model error, request limit), 2 bad usage,
130 cancelled.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

from punie_core.commands import http_address
from punie_core.security.terminal import for_terminal, json_for_terminal


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("prompt", help="what to ask (use - to read it from stdin)")
    parser.add_argument(
        "--model",
        "-m",
        help="model string: local, local:NAME, local:URL, mlx:MODEL, gguf:FILE, openai:...",
    )
    parser.add_argument(
        "--cwd", default=".", help="the project directory (default: the current one)"
    )
    parser.add_argument(
        "--yes", "-y", action="store_true", help="allow writes and commands without asking"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with the outcome on stdout"
    )
    parser.add_argument(
        "--mode", choices=("code", "direct"), default="code", help=argparse.SUPPRESS
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no live view on stderr")
    parser.add_argument(
        "--web",
        action="store_true",
        help="follow and approve in the web UI (loopback; URL on stderr)",
    )
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        type=http_address,
        help="the web UI's address (implies --web; default: 127.0.0.1, a free port)",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    # Bytes that are not UTF-8 (a Latin-1 terminal, a stray byte) arrive as lone surrogates,
    # which nothing downstream can encode: make them visible replacement characters instead.
    prompt = prompt.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if not prompt.strip():
        print("punie run: the prompt is empty", file=sys.stderr)
        return 2
    cwd = os.path.abspath(args.cwd)
    if not os.path.isdir(cwd):
        print(f"punie run: --cwd {args.cwd!r} is not a directory", file=sys.stderr)
        return 2
    from pathlib import Path

    from punie_core.security.workspace import UnsafeWorkspace, check_root

    try:
        check_root(Path(cwd).resolve())  # not `/`, not a home directory (docs/security.md)
    except UnsafeWorkspace as exc:
        print(f"punie run: {exc}", file=sys.stderr)
        return 2
    code = asyncio.run(_main(args, prompt, cwd))
    return _fast_exit(code)


async def _main(args: argparse.Namespace, prompt: str, cwd: str) -> int:
    import asyncio
    import signal

    from punie_core.plugins.context import AskCallback, AutoApprove, RefuseAll, ToolContext
    from punie_core.security.workspace import Workspace

    interactive = sys.stdin.isatty() and args.prompt != "-"
    view = LiveView(sys.stderr, json_mode=args.json, quiet=args.quiet)
    if args.yes:
        permissions: Any = AutoApprove()
    elif interactive:
        permissions = AskCallback(view.ask)
    else:
        permissions = RefuseAll(
            hint="no terminal to ask on: run with --yes to allow writes and commands"
        )
    web = None
    if args.web or args.http is not None:
        from punie_core.web import shared_permissions, start_web

        web = await start_web(args.http, project=cwd, model=args.model, command="run")
        permissions = shared_permissions(permissions, name="terminal")
    context = ToolContext(workspace=Workspace.at(cwd), permissions=permissions)

    from punie_core.agent.session import Session
    from punie_core.mcp.manager import session_servers

    # MCP servers of $PUNIE_HOME/mcp.json and a trusted .mcp.json (asked on the terminal).
    servers = session_servers(Workspace.at(cwd).root, [], permissions=permissions).start()
    servers.subscribe(lambda event: _note_mcp(view, event))
    session = Session(cwd=cwd, model=args.model, context=context, mode=args.mode, mcp=servers)
    session.subscribe(view.on_event)
    if web is not None:
        web.attach(session)
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            os._exit(130)  # a second Ctrl-C: the person wants out now
        view.note("cancelling… (Ctrl-C again to quit at once)")
        session.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_interrupt)
        except (NotImplementedError, RuntimeError):
            pass
    view.start()
    try:
        outcome = await session.prompt(prompt)
    finally:
        view.stop()
        if web is not None:
            await web.stop()
        await _cleanup(session)
    if args.json:
        payload = {
            "output": outcome.output,
            "requests": outcome.requests,
            "tool_calls": outcome.tool_calls,
            "usage": {
                "input_tokens": outcome.usage["input_tokens"],
                "output_tokens": outcome.usage["output_tokens"],
            },
            "trace": outcome.trace_id or "",
        }
        sys.stdout.write(json_for_terminal(payload) + "\n")
    else:
        view.finish_answer(sys.stdout)
    if outcome.stop_reason == "cancelled":
        return 130
    if outcome.stop_reason != "end_turn":
        reason = outcome.error or outcome.stop_reason
        print(f"punie: {reason}", file=sys.stderr)
        return 1
    return 0


def _note_mcp(view: Any, event: Any) -> None:
    """Say on stderr which MCP servers failed or are untrusted, once each, and why."""
    shown = view.__dict__.setdefault("_mcp_shown", set())
    for status in event.servers:
        if status.state in ("failed", "untrusted") and status.name not in shown:
            shown.add(status.name)
            view.note(f"MCP server {status.line()}")


async def _cleanup(session: Any) -> None:
    import contextlib

    with contextlib.suppress(Exception):
        await session.aclose()
    if getattr(session, "mcp", None) is not None:
        with contextlib.suppress(Exception):
            await session.mcp.aclose()
    if "punie_core.sandbox.runner" in sys.modules:
        from punie_core.sandbox.runner import shutdown_pool

        with contextlib.suppress(Exception):
            await shutdown_pool()
    if "punie_core.models.servers" in sys.modules:
        from punie_core.models.servers import release_all

        release_all()  # a managed server stays warm for its keep-alive, then stops itself


def _fast_exit(code: int) -> int:
    """Skip the interpreter's final garbage collection of a large heap (300+ ms) after the answer.

    Everything that matters is already flushed and closed; in-process callers (tests) get
    the code back instead when `PUNIE_NO_FAST_EXIT` is set or pytest is running us.
    """
    import gc

    gc.freeze()
    if os.environ.get("PUNIE_NO_FAST_EXIT") or "pytest" in sys.modules:
        return code
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


class LiveView:
    """What a person watching `punie run` sees on stderr: thinking, tool calls, a spinner.

    The answer text goes to stdout as it streams (unless `--json`); everything else goes to
    stderr so `punie run ... > answer.txt` captures only the answer.
    """

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, stream: TextIO, *, json_mode: bool = False, quiet: bool = False) -> None:
        self.stream = stream
        self.json_mode = json_mode
        self.quiet = quiet
        self.tty = stream.isatty()
        self.color = self.tty and not os.environ.get("NO_COLOR")
        self.spinning = False
        self._spinner: Any = None
        self._frame = 0
        self._line_open = False  # the spinner or streamed text left a partial line
        self._thinking = False
        self._answer: list[str] = []
        self._streamed = False
        self._asking = False

    # --- styling ---

    def _style(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def _write(self, text: str) -> None:
        if self.quiet:
            return
        self._clear_spinner()
        self.stream.write(text)
        self.stream.flush()

    def note(self, text: str) -> None:
        """One line on stderr."""
        self._end_line()
        self._write(self._style(f"punie: {text}", "2") + "\n")

    def _end_line(self) -> None:
        if self._line_open:
            self._write("\n")
            self._line_open = False

    # --- spinner ---

    def start(self) -> None:
        import asyncio

        if self.tty and not self.quiet:
            self._spinner = asyncio.get_running_loop().create_task(self._spin())

    def stop(self) -> None:
        if self._spinner is not None:
            self._spinner.cancel()
        self._clear_spinner()
        self._end_line()

    async def _spin(self) -> None:
        import asyncio

        while True:
            await asyncio.sleep(0.1)
            if self.spinning and not self._asking and not self._line_open:
                frame = self.FRAMES[self._frame % len(self.FRAMES)]
                self._frame += 1
                self.stream.write(
                    "\r" + self._style(f"{frame} waiting for the model…", "2") + "\033[K"
                )
                self.stream.flush()
                self._shown = True

    def _clear_spinner(self) -> None:
        if self.tty and getattr(self, "_shown", False):
            self.stream.write("\r\033[K")
            self._shown = False

    # --- events ---

    def on_event(self, event: object) -> None:
        name = type(event).__name__
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(event)

    def _on_StateChanged(self, event: Any) -> None:  # noqa: N802 - named after the event class
        self.spinning = event.state == "thinking"

    def _on_ThinkingDelta(self, event: Any) -> None:  # noqa: N802
        if not self._thinking:
            self._end_line()
            self._write(self._style("thinking: ", "2;3"))
            self._thinking = True
        self._write(self._style(for_terminal(event.text), "2;3"))
        self._line_open = True

    def _on_TextDelta(self, event: Any) -> None:  # noqa: N802
        self.spinning = False
        if self._thinking:
            self._end_line()
            self._thinking = False
        self._answer.append(event.text)
        if not self.json_mode:
            # The answer itself goes to stdout as it streams.
            self._clear_spinner()
            sys.stdout.write(for_terminal(event.text))
            sys.stdout.flush()
            self._streamed = True

    def _on_SnippetStarted(self, event: Any) -> None:  # noqa: N802
        self._thinking = False
        self._end_line()
        code = for_terminal(event.code.rstrip("\n"))
        shown = "\n".join("  │ " + line for line in code.splitlines()[:20])
        more = "\n  │ …" if code.count("\n") >= 20 else ""
        self._write(
            self._style("▶ execute_code", "1;36") + "\n" + self._style(shown + more, "36") + "\n"
        )

    def _on_SnippetFinished(self, event: Any) -> None:  # noqa: N802
        result = event.result
        text = result.for_model() if hasattr(result, "for_model") else str(result)
        status = self._style("✓", "32") if getattr(result, "ok", False) else self._style("✗", "31")
        self._write(f"  {status} {self._clip(text)}\n")

    def _on_ToolCallStarted(self, event: Any) -> None:  # noqa: N802
        self._thinking = False
        self._end_line()
        self._write(self._style(f"● {for_terminal(event.title, newlines=False)}", "1;34") + "\n")

    def _on_ToolCallFinished(self, event: Any) -> None:  # noqa: N802
        if event.ok:
            from punie_core.agent.pydantic_agent import render_result

            self._write(f"  {self._style('✓', '32')} {self._clip(render_result(event.result))}\n")
        else:
            self._end_line()
            label = "refused" if event.refused else "failed"
            self._write(f"  {self._style('✗ ' + label, '31')}: {self._clip(event.error or '')}\n")

    def _on_PromptFinished(self, event: Any) -> None:  # noqa: N802
        self.spinning = False
        self._thinking = False

    def _clip(self, text: str, lines: int = 6, width: int = 160) -> str:
        text = for_terminal(text)  # results and errors carry bytes from files and tools
        rows = [
            row[:width] + ("…" if len(row) > width else "") for row in text.strip().splitlines()
        ]
        shown = "\n    ".join(rows[:lines])
        if len(rows) > lines:
            shown += f"\n    … ({len(rows) - lines} more lines)"
        return shown or "(empty)"

    def finish_answer(self, out: TextIO) -> None:
        """End the streamed answer with a newline (stdout)."""
        if self._streamed and not "".join(self._answer).endswith("\n"):
            out.write("\n")
        out.flush()

    # --- permissions ---

    PREVIEW_LINES = 20

    def _preview(self, request: Any) -> str:
        """The new text a call would write (`content`), shown before the question."""
        from punie_core.plugins.toolbox import BODY_PARAMETERS

        shown = []
        for key in BODY_PARAMETERS:
            value = request.arguments.get(key)
            if not isinstance(value, str):
                continue
            lines = for_terminal(value).splitlines() or [""]
            rows = "".join(f"  │ {line}\n" for line in lines[: self.PREVIEW_LINES])
            more = len(lines) - self.PREVIEW_LINES
            tail = f"  │ … ({more} more lines)\n" if more > 0 else ""
            shown.append(
                self._style(f"  {key} ({len(value)} characters):", "2") + "\n" + rows + tail
            )
        return "".join(shown)

    async def ask(self, request: Any) -> bool:
        """Ask on the terminal whether a write or command may run."""
        import asyncio

        self._asking = True
        try:
            self._end_line()
            warning = " (a file other tools execute)" if request.sensitive else ""
            self._write(self._preview(request))
            title = for_terminal(request.title, newlines=False)
            self._write(self._style(f"? allow {title}{warning}? [y/N] ", "1;33"))
            answer = await asyncio.to_thread(sys.stdin.readline)
        finally:
            self._asking = False
        return answer.strip().lower() in ("y", "yes")
