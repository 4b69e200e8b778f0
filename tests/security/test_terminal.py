"""Class 4: no byte from a model, a file or a tool drives the terminal.

In `punie run`, a command holding escape sequences rewrote the approval line (the person saw
`? allow run_command(ls -la)?` and approved `touch PWNED`), and model text wrote the clipboard
with OSC 52. Every such byte is now shown as a visible escape.
"""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from punie_core.commands.run import LiveView
from punie_core.plugins.context import PermissionRequest
from punie_core.security.terminal import for_terminal, is_terminal_safe, json_for_terminal

HOSTILE = [
    "\x1b]52;c;cHduZWQ=\x07",  # OSC 52: write the clipboard
    "\x1b[2K\x1b[1A\r",  # erase the line, move up, return
    "\x1b]0;title\x1b\\",  # set the window title
    "\x9b31m",  # 8-bit CSI
    "\x9d52;c;eA==\x9c",  # 8-bit OSC
    "\u202eexe.txt",  # right-to-left override
    "\u2066isolate\u2069",
    "bell\x07backspace\x08nul\x00del\x7f",
]
UNSAFE = set("\x1b\x07\x08\x00\x7f\r\x9b\x9d\x9c\u202e\u2066\u2069")


def clean(text: str) -> bool:
    return not (set(text) & UNSAFE)


@pytest.mark.parametrize("attack", HOSTILE)
def test_for_terminal_shows_every_control_and_keeps_text(attack: str) -> None:
    shown = for_terminal(f"before {attack} after\n\tnext")
    assert clean(shown) and is_terminal_safe(shown)
    assert shown.startswith("before ") and shown.endswith(" after\n\tnext")


def test_json_output_escapes_c1_and_bidi_but_means_the_same() -> None:
    value = {"output": "".join(HOSTILE)}
    text = json_for_terminal(value)
    assert clean(text) and json.loads(text) == value


def permission(title: str, **arguments) -> PermissionRequest:
    return PermissionRequest(
        call_id="c", tool="run_command", kind="execute", title=title, arguments=arguments
    )


def test_the_approval_line_cannot_be_rewritten(monkeypatch) -> None:
    stream = io.StringIO()
    view = LiveView(stream)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    command = "touch PWNED\r\x1b[2K? allow run_command(ls -la)"
    allowed = asyncio.run(view.ask(permission(f"run_command({command})", command=command)))
    assert allowed is False
    shown = stream.getvalue()
    assert clean(shown)
    assert "touch PWNED" in shown and "\\x1b[2K" in shown


def test_a_write_is_previewed_with_its_content_neutralised(monkeypatch) -> None:
    stream = io.StringIO()
    view = LiveView(stream)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    request = PermissionRequest(
        call_id="c",
        tool="write_file",
        kind="edit",
        title="write_file(a.py)",
        arguments={"path": "a.py", "content": "x = 1\n\x1b]52;c;eA==\x07\n"},
    )
    asyncio.run(view.ask(request))
    shown = stream.getvalue()
    assert clean(shown) and "x = 1" in shown and "\\x1b]52" in shown


def test_model_text_thinking_snippets_and_results_are_neutralised(capsys) -> None:
    stream = io.StringIO()
    view = LiveView(stream)
    attack = "".join(HOSTILE)
    for name, fields in [
        ("ThinkingDelta", {"text": attack}),
        ("TextDelta", {"text": "answer " + attack}),
        ("SnippetStarted", {"code": "print(1)  # " + attack}),
        ("ToolCallStarted", {"title": "read_file(" + attack + ")"}),
        ("ToolCallFinished", {"ok": False, "refused": False, "error": attack, "result": None}),
    ]:
        event = type(name, (), fields)()
        view.on_event(event)
    out = capsys.readouterr().out
    assert clean(out) and out.startswith("answer ")
    assert clean(stream.getvalue())
