"""Class 6: one bad input never stops everything, and memory stays bounded.

A 2.3 KB nested JSON frame made `punie serve` exit; a FIFO at a write target froze the agent
(the diff preview read it on the event loop); ruff on a 3 MB hostile file took 2.2 GB; a
command printing 2 GB took 4.2 GB before its output was cut.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from punie_core.acp.reporting import read_small
from punie_core.plugins.context import AutoApprove, LocalCommands, LocalFiles
from punie_core.security.jsonlimits import TooDeep, loads_limited
from punie_core.security.workspace import NotARegularFile, Workspace
from tests.helpers.cli import punie_command

from .gate import Gate

INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}}


def frame(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def test_a_deeply_nested_frame_is_answered_and_serve_lives_on(tmp_path: Path) -> None:
    nested = b'{"jsonrpc":"2.0","id":7,"method":"x","params":' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    frames = [
        frame(
            {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}}
        ),
        nested,
        b"[" * 100_000 + b"\n",  # not even closed
        frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "session/new",
                "params": {"cwd": str(tmp_path), "mcpServers": []},
            }
        ),
    ]
    process = subprocess.Popen(
        punie_command() + ["serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PUNIE_LOAD_PLUGINS": ""},
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"".join(frames))
    process.stdin.flush()
    answers = []
    while not any(a.get("id") == 1 for a in answers):
        line = process.stdout.readline()
        assert line, "punie serve died: " + process.stderr.read().decode()[-2000:]
        answers.append(json.loads(line))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    errors = [a for a in answers if "error" in a]
    assert len(errors) == 2 and all("deeper" in json.dumps(a) for a in errors), errors
    assert "RecursionError" not in err.decode()


def test_nesting_is_limited_but_ordinary_json_passes() -> None:
    assert loads_limited('{"a": [[[1]]]}') == {"a": [[[1]]]}
    for depth in (65, 1000, 100_000):
        with pytest.raises(TooDeep):
            loads_limited("[" * depth + "]" * depth)


@pytest.fixture
def fifo_workspace(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "pipe.py")
    return tmp_path


def test_a_fifo_is_refused_for_reads_writes_and_diffs_without_blocking(fifo_workspace) -> None:
    started = time.monotonic()
    gate = Gate(fifo_workspace, permissions=AutoApprove())
    read = gate.call("read_file", path="pipe.py")
    written = gate.call("write_file", path="pipe.py", content="x = 1\n")
    assert isinstance(read, OSError | ValueError), read
    assert isinstance(written, PermissionError) and "not a regular file" in str(written)
    assert read_small(fifo_workspace / "pipe.py") is None
    with pytest.raises(NotARegularFile):
        asyncio.run(LocalFiles().read_text(fifo_workspace / "pipe.py"))
    assert time.monotonic() - started < 20  # nothing waited for a writer on the FIFO
    assert Workspace.at(fifo_workspace).writable("other.py")  # the rest still works


@pytest.fixture
def fifo_sources(tmp_path: Path, monkeypatch) -> Path:
    """A workspace where ruff's walk meets FIFOs named like sources (one behind a link)."""
    import punie_quality.ruff_tool

    monkeypatch.setattr(punie_quality.ruff_tool, "RUFF_TIMEOUT", 10.0)  # fail fast unfixed
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("import os\nx=1\n")
    os.mkfifo(tmp_path / "fifo.py")
    os.mkfifo(tmp_path / "pkg" / "w[e]ird*{x}.py")
    os.mkfifo(tmp_path / "pkg" / "target")
    (tmp_path / "pkg" / "link.pyi").symlink_to(tmp_path / "pkg" / "target")
    return tmp_path


@pytest.mark.parametrize("tool", ["ruff_check", "ruff_format"])
@pytest.mark.timeout(60)
def test_ruff_never_waits_on_a_fifo_named_like_a_source(fifo_sources, tool: str) -> None:
    gate = Gate(fifo_sources, permissions=AutoApprove())
    for paths in (None, "pkg", "."):
        result = gate.call(tool, paths=paths)
        assert not isinstance(result, Exception), result
        assert result.tool_error is None, result.tool_error
    result = gate.call(tool)
    if tool == "ruff_check":
        assert {v.file for v in result.violations} == {"app.py"}
    else:
        assert result.files == ["app.py"]
    named = gate.call(tool, paths=["fifo.py"])
    assert isinstance(named, PermissionError) and "not a regular file" in str(named)
    fixed = gate.call(tool, **({"fix": True} if tool == "ruff_check" else {"check": False}))
    assert not isinstance(fixed, Exception) and fixed.tool_error is None, fixed


@pytest.mark.timeout(60)
def test_a_fifo_named_like_a_ruff_config_is_refused_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "app.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "sub" / "pyproject.toml")
    result = Gate(tmp_path, permissions=AutoApprove()).call("ruff_check")
    assert isinstance(result, PermissionError), result
    assert "sub/pyproject.toml is not a regular file" in str(result)


def test_list_files_never_lists_a_fifo(fifo_sources) -> None:
    listed = Gate(fifo_sources, permissions=AutoApprove()).call("list_files")
    assert listed == ["app.py"], listed


MEASURE = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    from pathlib import Path
    {setup}
    result = asyncio.run(main())
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large pytest
    # process would report the parent's size; VmHWM belongs to this program's own memory.
    try:
        status = Path("/proc/self/status").read_text()
        peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({{"peak_mb": peak_mb, "summary": summary(result)}}))
    """
)


def measure(setup: str, cwd: Path) -> dict:
    code = MEASURE.format(setup=textwrap.dedent(setup))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_command_printing_a_gigabyte_keeps_host_memory_bounded(tmp_path: Path) -> None:
    found = measure(
        """
        from punie_core.plugins.context import LocalCommands
        async def main():
            return await LocalCommands().run(
                "head -c 1000000000 /dev/zero | tr '\\\\0' x; echo; echo THE END", Path.cwd(), 120
            )
        def summary(r):
            return {"truncated": r.truncated, "size": len(r.output), "end": r.output[-20:]}
        """,
        tmp_path,
    )
    assert found["summary"]["truncated"] and found["summary"]["size"] < 100_000
    assert "THE END" in found["summary"]["end"]  # the tail is kept: errors are at the end
    assert found["peak_mb"] < 300, found


def test_command_output_is_kept_head_and_tail() -> None:
    result = asyncio.run(LocalCommands(output_limit=4096).run("seq 1 100000", Path.cwd(), 60))
    assert result.truncated and len(result.output) < 6000
    assert result.output.startswith("1\n2\n") and result.output.rstrip().endswith("100000")


@pytest.mark.slow
def test_ruff_on_a_hostile_file_keeps_host_memory_bounded(tmp_path: Path) -> None:
    # 3 MB of lines that each give several findings: a huge JSON report.
    (tmp_path / "pyproject.toml").write_text("[tool.ruff.lint]\nselect = ['ALL']\n")
    (tmp_path / "hostile.py").write_text("import os, sys;l=1;O=0;I=1\n" * 120_000)
    found = measure(
        """
        from punie_core.plugins.context import ToolContext, using_context
        from punie_core.plugins.loader import load_toolbox
        toolbox = load_toolbox()
        async def main():
            with using_context(ToolContext.local(Path.cwd())):
                return await toolbox.call("ruff_check", kwargs={"paths": ["hostile.py"]})
        def summary(r):
            return {"error": r.tool_error, "count": r.violation_count}
        """,
        tmp_path,
    )
    print(found)
    assert found["peak_mb"] < 800, found
    assert found["summary"]["error"] is None or "printed more than" in found["summary"]["error"]


def test_a_glob_pattern_is_never_written_as_a_file_name(tmp_path: Path) -> None:
    gate = Gate(tmp_path, permissions=AutoApprove())
    written = gate.call("write_file", path="app/**/*.py", content="pass\n")
    assert isinstance(written, ValueError) and "glob pattern" in str(written)
    assert not (tmp_path / "app").exists()
