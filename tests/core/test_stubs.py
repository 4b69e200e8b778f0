"""The stub module: valid for `ast` and the real `ty`, stable bytes, and overridable per record."""

from __future__ import annotations

import ast
import datetime
import enum
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Optional

import pytest
from pydantic import BaseModel, Field

from punie_core import Noun, Tool, hookimpl
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.stubs import format_annotation, render_tool, signature_line

from .conftest import ROOT, subprocess_env

SNAPSHOTS = Path(__file__).parent / "snapshots"
TY = Path(sys.executable).with_name("ty")


def check_with_ty(
    directory: Path, stubs: str, snippet: str = ""
) -> subprocess.CompletedProcess[str]:
    """Type-check the stubs as a `.pyi` module and a snippet importing from it, with the real ty."""
    assert TY.exists(), "ty is installed with punie-quality (uv sync --all-packages)"
    (directory / "punie_tools.pyi").write_text(stubs)
    files = ["punie_tools.pyi"]
    if snippet:
        (directory / "snippet.py").write_text(snippet)
        files.append("snippet.py")
    return subprocess.run(
        [str(TY), "check", "--output-format", "concise", *files],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/core/snapshots/NAME; `PUNIE_UPDATE_SNAPSHOTS=1` rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("PUNIE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.exists(), f"no snapshot {path}: run with PUNIE_UPDATE_SNAPSHOTS=1 to create it"
    assert text == path.read_text(), (
        f"{name} changed; review the diff and rerun with PUNIE_UPDATE_SNAPSHOTS=1 to accept it"
    )


def test_core_stubs_snapshot(clean_env) -> None:
    toolbox = load_toolbox(entry_points=False)
    assert_snapshot("core_stubs.txt", toolbox.stubs)  # .txt: formatters must not touch it


def test_core_stubs_pass_ty_and_a_wrong_call_does_not(tmp_path: Path) -> None:
    stubs = load_toolbox(entry_points=False).stubs
    ok = check_with_ty(
        tmp_path,
        stubs,
        "from punie_tools import list_files, read_file, run_command, write_file\n"
        "for name in list_files('**/*.py'):\n"
        "    text: str = read_file(name)\n"
        "result = write_file('notes.txt', 'hello')\n"
        "size: int = result.size\n"
        "code: int | None = run_command('pytest -q').exit_code\n",
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = check_with_ty(
        tmp_path, stubs, "from punie_tools import write_file\nwrite_file('a.txt', 1)\n"
    )
    assert bad.returncode == 1
    assert "snippet.py:2" in bad.stdout and "invalid-argument-type" in bad.stdout


def test_stubs_with_every_installed_plugin_pass_ast_and_ty(tmp_path: Path, clean_env) -> None:
    toolbox = load_toolbox()
    broken = [f"{i.name}: {i.error}" for i in toolbox.plugins if i.status in ("failed", "conflict")]
    assert not broken
    assert {"quality", "tdom", "svcs"} <= {i.name for i in toolbox.plugins if i.status == "active"}
    ast.parse(toolbox.stubs)
    result = check_with_ty(tmp_path, toolbox.stubs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_stubs_with_the_fake_plugins_pass_ty(tmp_path: Path, fake_site: Path) -> None:
    toolbox = load_toolbox()
    result = check_with_ty(
        tmp_path, toolbox.stubs, "from punie_tools import shout\nlength: int = shout('hi').length\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr


# A plugin with every awkward annotation a real plugin might use.
class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Opaque:
    """A class from a third-party library the stub cannot import."""


class Span(BaseModel):
    """Where something is.

    Attributes:
        start: First line.
        end: Last line.
    """

    start: int
    end: int = 0


class Report(BaseModel):
    """A report with nested and awkward fields."""

    when: datetime.datetime
    where: Path
    severity: Severity
    spans: list[Span] = Field(default_factory=list)
    owner: Opaque | None = None
    mode: Literal["fast", "slow"] = "fast"
    limit: float = float("inf")
    model_config = {"arbitrary_types_allowed": True}


def analyse(
    source: str,
    /,
    names: Sequence[str],
    *extra: int,
    callback: Callable[[str], None] | None = None,
    depth: Optional[int] = None,  # noqa: UP045 - the old spelling must render too
    ratio: float = float("nan"),
    options: dict[str, list[int]] | None = None,
    **flags: bool,
) -> Report:
    """Analyse some "source" and say it with quotes: "done\"

    Args:
        source: The code.
        names: Names to look for.
        extra: More numbers.
        callback: Called per finding.
        depth: How deep.
        ratio: A ratio.
        options: Options.
        flags: Flags.
    """
    raise NotImplementedError


def test_awkward_annotations_render_as_valid_typed_stubs(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    @hookimpl
    def punie_tools():
        yield Tool(analyse)

    punie_register(punie_tools, name="awkward")
    toolbox = punie_toolbox_factory()
    stub = toolbox.stub_texts["analyse"]
    assert stub.startswith(
        "def analyse(source: str, /, names: list[str], *extra: int, callback: Any | None = None, "
        "depth: int | None = None, ratio: float = ..., "
        "options: dict[str, list[int]] | None = None, "
        "**flags: bool) -> Report:\n"
    )
    report = toolbox.stub_texts["Report"]
    assert "    when: datetime.datetime\n" in report
    assert "    where: pathlib.Path\n" in report
    assert "    severity: Literal['error', 'warning']\n" in report
    assert "    spans: list[Span] = ...\n" in report
    assert "    owner: Any | None = None\n" in report
    assert "    limit: float = ...\n" in report
    module = toolbox.stubs
    assert "\nimport datetime\nimport pathlib\nfrom dataclasses import dataclass\n" in module
    assert module.index("class Span:") < module.index("class Report:")
    result = check_with_ty(
        tmp_path,
        module,
        "from punie_tools import analyse\n"
        "report = analyse('x = 1', ['x'], 1, 2, depth=3)\n"
        "year: int = report.when.year\n"
        "first: int = report.spans[0].start\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_format_annotation_simplifies_what_the_model_cannot_name() -> None:
    assert format_annotation(Sequence[Span]) == "list[Span]"
    assert format_annotation(Severity) == "Literal['error', 'warning']"
    assert format_annotation(Literal[Severity.ERROR]) == "Literal['error']"
    assert format_annotation(Opaque) == "Any"
    assert format_annotation(Path | str) == "pathlib.Path | str"
    assert format_annotation(Opaque | Callable[[], None]) == "Any"
    assert format_annotation(tuple[int, ...]) == "tuple[int, ...]"
    assert format_annotation(datetime.date) == "datetime.date"


def test_signature_line_reads_the_stub_text() -> None:
    def tool(path: str, limit: int = 10) -> list[str]:
        """List.

        Args:
            path: Where.
            limit: How many.
        """
        return []

    assert (
        signature_line(render_tool(Tool(tool)), "tool")
        == "tool(path: str, limit: int = 10) -> list[str]"
    )


CUSTOM = '''def shout(text: str, *, times: int = 1) -> str:
    """Shout (custom stub)."""
    ...
'''


def test_hook_punie_render_stub(punie_register, punie_toolbox_factory) -> None:
    def shout(text: str) -> str:
        """Upper-case.

        Args:
            text: Text.
        """
        return text.upper()

    class Plugin:
        @hookimpl
        def punie_tools(self):
            yield Tool(shout)

        @hookimpl
        def punie_render_stub(self, record):
            if isinstance(record, Tool) and record.name == "shout":
                return CUSTOM
            return None

    punie_register(Plugin(), name="custom")
    toolbox = punie_toolbox_factory()
    assert toolbox.stub_texts["shout"] == CUSTOM
    assert "custom tools: shout(text, times=1)" in toolbox.prompt
    assert CUSTOM in toolbox.stubs
    assert toolbox.stub_texts["read_file"].startswith("def read_file(path: str) -> str:")


def test_a_renderer_can_restyle_core_records_too(punie_register, punie_toolbox_factory) -> None:
    @hookimpl
    def punie_render_stub(record):
        if isinstance(record, Noun) and record.name == "WriteResult":
            return "class WriteResult:\n    path: str\n"
        return None

    punie_register(punie_render_stub, name="restyle")
    toolbox = punie_toolbox_factory()
    assert toolbox.stub_texts["WriteResult"] == "class WriteResult:\n    path: str\n"


def test_a_renderer_that_defines_the_wrong_name_is_excluded(
    punie_register, punie_toolbox_factory
) -> None:
    @hookimpl
    def punie_render_stub(record):
        return "def something_else() -> None: ...\n"

    punie_register(punie_render_stub, name="wrongname")
    toolbox = punie_toolbox_factory(strict=False)
    info = next(i for i in toolbox.plugins if i.name == "wrongname")
    assert info.status == "failed" and "does not define" in info.error
    assert toolbox.stub_texts["read_file"].startswith("def read_file(")


def test_a_tool_with_unresolvable_annotations_excludes_its_plugin(
    punie_register, punie_toolbox_factory
) -> None:
    def broken(x: NotDefinedAnywhere) -> str:  # noqa: F821
        """Broken.

        Args:
            x: X.
        """
        return ""

    @hookimpl
    def punie_tools():
        yield Tool(broken)

    punie_register(punie_tools, name="unresolved")
    toolbox = punie_toolbox_factory(strict=False)
    info = next(i for i in toolbox.plugins if i.name == "unresolved")
    assert info.status == "failed" and "NotDefinedAnywhere" in info.error


BUILD = (
    "import hashlib, sys\n"
    "from punie_core.plugins.loader import load_toolbox\n"
    "t = load_toolbox()\n"
    "sys.stdout.write(hashlib.sha256(t.prompt.encode()).hexdigest() + ' ' "
    "+ hashlib.sha256(t.stubs.encode()).hexdigest())\n"
)


def test_two_builds_in_separate_processes_are_byte_identical(clean_env) -> None:
    digests = []
    for seed in ("1", "2"):
        env = subprocess_env(PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", BUILD],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        digests.append(result.stdout)
    toolbox = load_toolbox()
    here = (
        hashlib.sha256(toolbox.prompt.encode()).hexdigest()
        + " "
        + hashlib.sha256(toolbox.stubs.encode()).hexdigest()
    )
    assert digests[0] == digests[1] == here


@pytest.mark.parametrize("doc", ['Say "hi"', "Path C:\\temp", 'Has """ inside'])
def test_docstrings_with_quotes_and_backslashes_stay_valid(doc: str) -> None:
    def tool() -> None:
        pass

    tool.__doc__ = doc
    stub = render_tool(Tool(tool))
    tree = ast.parse(stub)
    assert ast.get_docstring(tree.body[0], clean=True) == doc


def test_a_renderer_that_turns_a_tool_into_a_class_is_excluded(
    punie_register, punie_toolbox_factory
) -> None:
    @hookimpl
    def punie_render_stub(record):
        if isinstance(record, Tool) and record.name == "read_file":
            return "class read_file:\n    ...\n"
        return None

    punie_register(punie_render_stub, name="classy")
    toolbox = punie_toolbox_factory(strict=False)
    info = next(i for i in toolbox.plugins if i.name == "classy")
    assert info.status == "failed" and "does not define a function named 'read_file'" in info.error
    assert "read_file(path)" in toolbox.prompt
