"""`punie_workspace_changed`: every change through the gate reaches plugins with its exact text."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from punie_core import AutoApprove, Tool, ToolContext, WorkspaceChange, hookimpl, using_context
from punie_core.acp.backends import IdeFiles


class Recorder:
    """A plugin that remembers every `punie_workspace_changed` call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, tuple[WorkspaceChange, ...]]] = []

    @hookimpl
    def punie_workspace_changed(self, root, changes):
        self.calls.append((root, changes))


def call(toolbox: Any, root: Path, name: str, context: ToolContext | None = None, **kwargs: Any):
    context = context or ToolContext.local(root, permissions=AutoApprove())

    async def run() -> Any:
        with using_context(context):
            return await toolbox.call(name, kwargs=kwargs)

    return asyncio.run(run())


def remove_file(path: str) -> str:
    """Delete a file.

    Args:
        path: The file.
    """
    from punie_core import workspace_path

    os.remove(workspace_path(path))
    return path


def test_hook_punie_workspace_changed(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    recorder = Recorder()
    punie_register(recorder, name="recorder")
    toolbox = punie_toolbox_factory()

    call(toolbox, tmp_path, "write_file", path="pkg/app.py", content="x = 1\n")
    call(toolbox, tmp_path, "write_file", path="pkg/app.py", content="x = 2\n")
    call(toolbox, tmp_path, "read_file", path="pkg/app.py")  # reads report nothing

    assert recorder.calls == [
        (tmp_path.resolve(), (WorkspaceChange("pkg/app.py", "created", "x = 1\n"),)),
        (tmp_path.resolve(), (WorkspaceChange("pkg/app.py", "changed", "x = 2\n"),)),
    ]


def test_a_plugin_that_raises_does_not_undo_the_change_or_silence_the_others(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    class Broken:
        @hookimpl
        def punie_workspace_changed(self, changes):
            raise RuntimeError("index is on fire")

    recorder = Recorder()
    punie_register(recorder, name="recorder")
    punie_register(Broken(), name="broken")
    toolbox = punie_toolbox_factory()

    result = call(toolbox, tmp_path, "write_file", path="a.py", content="a = 1\n")

    assert result.created and (tmp_path / "a.py").read_text() == "a = 1\n"
    assert [c for _, changes in recorder.calls for c in changes] == [
        WorkspaceChange("a.py", "created", "a = 1\n")
    ]


def test_a_delete_tool_reports_the_paths_the_gate_confined(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    class Deleter:
        @hookimpl
        def punie_tools(self):
            yield Tool(remove_file, kind="delete")

    recorder = Recorder()
    punie_register(recorder, name="recorder")
    punie_register(Deleter(), name="deleter")
    toolbox = punie_toolbox_factory()
    (tmp_path / "old.py").write_text("gone = True\n")

    call(toolbox, tmp_path, "remove_file", path="old.py")

    assert recorder.calls == [(tmp_path.resolve(), (WorkspaceChange("old.py", "deleted", None),))]


def test_a_failed_call_still_reports_what_it_wrote(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    async def write_then_fail(path: str) -> str:
        """Write a file, then fail.

        Args:
            path: The file.
        """
        from punie_core import tool_context, workspace_path

        await tool_context().files.write_text(workspace_path(path), "half = 1\n")
        raise OSError("disk full on the second file")

    class Half:
        @hookimpl
        def punie_tools(self):
            yield Tool(write_then_fail, kind="edit")

    recorder = Recorder()
    punie_register(recorder, name="recorder")
    punie_register(Half(), name="half")
    toolbox = punie_toolbox_factory()

    with pytest.raises(OSError, match="disk full"):
        call(toolbox, tmp_path, "write_then_fail", path="half.py")

    assert recorder.calls == [
        (tmp_path.resolve(), (WorkspaceChange("half.py", "created", "half = 1\n"),))
    ]


def test_writes_through_the_ide_report_the_text_the_editor_holds(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    """ACP `fs/write_text_file`: the editor gets the text first; plugins get exactly that text."""
    from acp.schema import WriteTextFileResponse

    class Editor:
        """The IDE's side of `fs/write_text_file`: an unsaved buffer per file."""

        def __init__(self) -> None:
            self.buffers: dict[str, str] = {}

        async def write_text_file(self, session_id: str, path: str, content: str, **_: Any):
            self.buffers[path] = content
            return WriteTextFileResponse()

    recorder = Recorder()
    punie_register(recorder, name="recorder")
    toolbox = punie_toolbox_factory()
    editor = Editor()
    context = ToolContext.local(tmp_path, permissions=AutoApprove())
    context.files = IdeFiles(editor, "session-1")

    call(toolbox, tmp_path, "write_file", context, path="views.py", content="def view(): ...\n")

    target = str(tmp_path.resolve() / "views.py")
    assert editor.buffers == {target: "def view(): ...\n"}
    assert recorder.calls == [
        (tmp_path.resolve(), (WorkspaceChange("views.py", "created", "def view(): ...\n"),))
    ]


def test_a_move_tool_reports_the_old_path_deleted_and_the_new_one_created(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    def rename_file(paths: list[str]) -> str:
        """Move a file.

        Args:
            paths: The old path and the new one.
        """
        from punie_core import tool_context

        root = tool_context().workspace.root
        os.replace(root / paths[0], root / paths[1])
        return paths[1]

    class Mover:
        @hookimpl
        def punie_tools(self):
            yield Tool(rename_file, kind="move")

    recorder = Recorder()
    punie_register(recorder, name="recorder")
    punie_register(Mover(), name="mover")
    toolbox = punie_toolbox_factory()
    (tmp_path / "old.py").write_text("moved = True\n")

    call(toolbox, tmp_path, "rename_file", paths=["old.py", "new.py"])

    assert recorder.calls == [
        (
            tmp_path.resolve(),
            (
                WorkspaceChange("new.py", "created", "moved = True\n"),
                WorkspaceChange("old.py", "deleted", None),
            ),
        )
    ]
