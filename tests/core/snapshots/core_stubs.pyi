"""Punie tools for Code Mode: call them as plain functions (no await, no import)."""

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(kw_only=True, frozen=True)
class CommandResult:
    """What a shell command did.

    Attributes:
        command: The command line that ran.
        exit_code: Its exit status (negative: killed by that signal; None: timed out).
        output: Standard output and standard error, interleaved, possibly truncated.
        truncated: True when output was cut at the size limit.
    """

    command: str
    exit_code: int | None
    output: str
    truncated: bool = False


@dataclass(kw_only=True, frozen=True)
class WriteResult:
    """What `write_file` did.

    Attributes:
        path: The file written, relative to the workspace root.
        size: Characters written.
        created: True when the file did not exist before.
    """

    path: str
    size: int
    created: bool


def list_files(pattern: str = '**/*') -> list[str]:
    """List workspace files matching a glob pattern, sorted, skipping .git, .venv and the like.

    Args:
        pattern: Glob relative to the root, for example `**/*.py` or `src/*.html`.
    """
    ...


def load_skill(name: str) -> str:
    """Return the full text of a skill listed in the prompt, with its references.

    Args:
        name: The skill's name, as listed under Skills.
    """
    ...


def read_file(path: str) -> str:
    """Read a UTF-8 text file of the workspace.

    Args:
        path: File path, relative to the workspace root.
    """
    ...


def run_command(command: str) -> CommandResult:
    """Run a shell command in the workspace root, after permission; output is captured.

    Args:
        command: The command line, for example `python -m pytest -q`.
    """
    ...


def tool_help(name: str) -> str:
    """Return the full stub of a tool or type: signature, docstring and argument docs.

    Args:
        name: A tool name (for example `write_file`) or a type name (for example `WriteResult`).
    """
    ...


def write_file(path: str, content: str) -> WriteResult:
    """Create or replace a text file of the workspace (atomically), after permission.

    Args:
        path: File path, relative to the workspace root; parent folders are created.
        content: The complete new text of the file.
    """
    ...
