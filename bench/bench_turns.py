"""Model requests saved by Code Mode: scripted multi-step tasks, one snippet vs one tool per turn.

Each task (read several files, aggregate, conditionally write) is done twice by a scripted
model (pydantic-ai `FunctionModel`) against a real workspace and the real tools:

* Code Mode: the model's only tool is `execute_code`; it sends one snippet, then answers.
* One tool per turn: the model has `list_files`, `read_file` and `write_file` and calls exactly
  one per response, deciding the next call from the previous result, then answers.

Both runs go through the same `Toolbox.call` gate and must leave the workspace in the same
state with the same answer (checked), so the scripts really do the work. Reported per task:
model requests, and pydantic-ai's input-token estimate (each request resends the history).

    uv run python bench/bench_turns.py [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import platform
import statistics
import sys
import tempfile
import textwrap
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from punie_core.plugins.context import ToolContext, using_context  # noqa: E402
from punie_core.plugins.loader import load_toolbox  # noqa: E402
from punie_core.plugins.toolbox import Toolbox  # noqa: E402
from punie_core.sandbox.runner import Sandbox, shutdown_pool  # noqa: E402

Call = tuple[str, dict[str, Any]]
Plan = Generator[Call, Any, Any]

PROJECT = {
    "app/__init__.py": "",
    "app/views.py": (
        "from app.utils import old_helper\n\n\n"
        "def index():\n    print('index')  # TODO: cache\n    return old_helper('home')\n\n\n"
        "def about():\n    return 'about'\n\n\n"
        "def contact():\n    print('contact')\n    return 'contact'  # TODO: form\n"
    ),
    "app/models.py": (
        "import requests\n\n\nclass User:\n    name = ''\n\n\ndef about():\n    return 1\n"
    ),
    "app/utils.py": "def old_helper(name):\n    return name.upper()\n",
    "app/urls.py": "ROUTES = [\n    ('/', 'index'),\n    ('/about', 'about'),\n]\n",
    "app/admin/views.py": (
        "from app.utils import old_helper\n\n\ndef dashboard():\n    return old_helper('x')\n"
    ),
    "app/admin/urls.py": "ROUTES = [\n    ('/admin', 'dashboard'),\n]\n",
    "app/api/client.py": "import requests\n\n\ndef fetch():\n    print('fetch')  # TODO: retry\n",
    "templates/base.html": "<html><body>{% block body %}{% endblock %}</body></html>\n",
    "templates/index.html": "{% extends 'base.html' %}\n" + "<p>row</p>\n" * 30,
    "templates/about.html": "{% extends 'base.html' %}\n<p>about</p>\n",
    "tests/test_views.py": "def test_index():\n    pass\n\n\ndef test_about():\n    pass\n",
    "settings.py": "DEBUG = True\nSECRET = 'x'\n",
    "CHANGELOG.md": "# Changelog\n\n## 0.1\n- first\n",
}


@dataclass
class Task:
    """One scripted task: the snippet Code Mode sends, and the same logic one call at a time."""

    name: str
    snippet: str
    plan: Callable[[], Plan]


def snippet(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


def plan_todo_count() -> Plan:
    total = 0
    for path in (yield ("list_files", {"pattern": "**/*.py"})):
        total += (yield ("read_file", {"path": path})).count("TODO")
    return total


def plan_requests_importers() -> Plan:
    found = []
    for path in (yield ("list_files", {"pattern": "**/*.py"})):
        if "import requests" in (yield ("read_file", {"path": path})):
            found.append(path)
    return found


def plan_debug_flag() -> Plan:
    text = yield ("read_file", {"path": "settings.py"})
    return "DEBUG = True" in text


def plan_rename_helper() -> Plan:
    changed = []
    for path in (yield ("list_files", {"pattern": "**/*.py"})):
        text = yield ("read_file", {"path": path})
        if "old_helper" in text:
            yield (
                "write_file",
                {"path": path, "content": text.replace("old_helper", "new_helper")},
            )
            changed.append(path)
    return changed


def plan_add_init() -> Plan:
    files = yield ("list_files", {"pattern": "app/**/*.py"})
    packages = sorted({p.rsplit("/", 1)[0] for p in files})
    added = []
    for package in packages:
        if f"{package}/__init__.py" not in files:
            yield ("write_file", {"path": f"{package}/__init__.py", "content": ""})
            added.append(package)
    return added


def plan_line_counts() -> Plan:
    counts: dict[str, int] = {}
    for path in (yield ("list_files", {"pattern": "**/*"})):
        top = path.split("/", 1)[0] if "/" in path else "."
        counts[top] = counts.get(top, 0) + len((yield ("read_file", {"path": path})).splitlines())
    return counts


def plan_largest_template() -> Plan:
    best, size = "", -1
    for path in (yield ("list_files", {"pattern": "templates/*.html"})):
        length = len((yield ("read_file", {"path": path})))
        if length > size:
            best, size = path, length
    return best


def plan_changelog() -> Plan:
    text = yield ("read_file", {"path": "CHANGELOG.md"})
    head, rest = text.split("\n\n", 1)
    new = f"{head}\n\n## 0.2\n- rename old_helper\n\n{rest}"
    yield ("write_file", {"path": "CHANGELOG.md", "content": new})
    return new.count("## ")


def plan_untested_views() -> Plan:
    views = yield ("read_file", {"path": "app/views.py"})
    names = [line[4:].split("(")[0] for line in views.splitlines() if line.startswith("def ")]
    tested = ""
    for path in (yield ("list_files", {"pattern": "tests/*.py"})):
        tested += yield ("read_file", {"path": path})
    missing = [n for n in names if f"def test_{n}(" not in tested]
    if missing:
        report = "".join(f"- {n}\n" for n in missing)
        yield ("write_file", {"path": "UNTESTED.md", "content": report})
    return missing


def plan_print_to_logging() -> Plan:
    changed = []
    for path in (yield ("list_files", {"pattern": "app/**/*.py"})):
        text = yield ("read_file", {"path": path})
        if "print(" in text:
            new = "import logging\nlogger = logging.getLogger(__name__)\n" + text.replace(
                "print(", "logger.info("
            )
            yield ("write_file", {"path": path, "content": new})
            changed.append(path)
    return changed


def plan_routes_doc() -> Plan:
    lines = []
    for path in (yield ("list_files", {"pattern": "**/urls.py"})):
        for line in (yield ("read_file", {"path": path})).splitlines():
            if line.strip().startswith("('/"):
                route, view = line.strip().strip("(),").split(", ")
                lines.append(f"- {route.strip(chr(39))} -> {view.strip(chr(39))} ({path})")
    yield ("write_file", {"path": "ROUTES.md", "content": "# Routes\n" + "\n".join(lines) + "\n"})
    return len(lines)


def plan_duplicate_functions() -> Plan:
    seen: dict[str, list[str]] = {}
    for path in (yield ("list_files", {"pattern": "**/*.py"})):
        for line in (yield ("read_file", {"path": path})).splitlines():
            if line.startswith("def "):
                seen.setdefault(line[4:].split("(")[0], []).append(path)
    return {name: paths for name, paths in sorted(seen.items()) if len(paths) > 1}


TASKS = [
    Task(
        "count TODOs in every module",
        snippet("""
            total = 0
            for path in list_files("**/*.py"):
                total += read_file(path).count("TODO")
            total
        """),
        plan_todo_count,
    ),
    Task(
        "find modules importing requests",
        snippet("""
            [p for p in list_files("**/*.py") if "import requests" in read_file(p)]
        """),
        plan_requests_importers,
    ),
    Task(
        "is DEBUG on in settings.py",
        snippet("""
            "DEBUG = True" in read_file("settings.py")
        """),
        plan_debug_flag,
    ),
    Task(
        "rename old_helper everywhere",
        snippet("""
            changed = []
            for path in list_files("**/*.py"):
                text = read_file(path)
                if "old_helper" in text:
                    write_file(path, text.replace("old_helper", "new_helper"))
                    changed.append(path)
            changed
        """),
        plan_rename_helper,
    ),
    Task(
        "add missing __init__.py files",
        snippet("""
            files = list_files("app/**/*.py")
            added = []
            for package in sorted({p.rsplit("/", 1)[0] for p in files}):
                if package + "/__init__.py" not in files:
                    write_file(package + "/__init__.py", "")
                    added.append(package)
            added
        """),
        plan_add_init,
    ),
    Task(
        "count lines per top-level directory",
        snippet("""
            counts = {}
            for path in list_files("**/*"):
                top = path.split("/", 1)[0] if "/" in path else "."
                counts[top] = counts.get(top, 0) + len(read_file(path).splitlines())
            counts
        """),
        plan_line_counts,
    ),
    Task(
        "find the largest template",
        snippet("""
            sizes = {p: len(read_file(p)) for p in list_files("templates/*.html")}
            max(sizes, key=lambda p: sizes[p])
        """),
        plan_largest_template,
    ),
    Task(
        "add a changelog entry",
        snippet("""
            head, rest = read_file("CHANGELOG.md").split("\\n\\n", 1)
            new = head + "\\n\\n## 0.2\\n- rename old_helper\\n\\n" + rest
            write_file("CHANGELOG.md", new)
            new.count("## ")
        """),
        plan_changelog,
    ),
    Task(
        "list views without a test",
        snippet("""
            views = read_file("app/views.py")
            defs = [line for line in views.splitlines() if line.startswith("def ")]
            names = [line[4:].split("(")[0] for line in defs]
            tested = "".join(read_file(p) for p in list_files("tests/*.py"))
            missing = [n for n in names if "def test_" + n + "(" not in tested]
            if missing:
                write_file("UNTESTED.md", "".join("- " + n + "\\n" for n in missing))
            missing
        """),
        plan_untested_views,
    ),
    Task(
        "replace print with logging",
        snippet("""
            changed = []
            for path in list_files("app/**/*.py"):
                text = read_file(path)
                if "print(" in text:
                    header = "import logging\\nlogger = logging.getLogger(__name__)\\n"
                    write_file(path, header + text.replace("print(", "logger.info("))
                    changed.append(path)
            changed
        """),
        plan_print_to_logging,
    ),
    Task(
        "document every route",
        snippet("""
            lines = []
            for path in list_files("**/urls.py"):
                for line in read_file(path).splitlines():
                    if line.strip().startswith("('/"):
                        route, view = line.strip().strip("(),").split(", ")
                        route, view = route.strip("'"), view.strip("'")
                        lines.append(f"- {route} -> {view} ({path})")
            write_file("ROUTES.md", "# Routes\\n" + "\\n".join(lines) + "\\n")
            len(lines)
        """),
        plan_routes_doc,
    ),
    Task(
        "find functions defined twice",
        snippet("""
            seen = {}
            for path in list_files("**/*.py"):
                for line in read_file(path).splitlines():
                    if line.startswith("def "):
                        seen.setdefault(line[4:].split("(")[0], []).append(path)
            {name: paths for name, paths in sorted(seen.items()) if len(paths) > 1}
        """),
        plan_duplicate_functions,
    ),
]


def make_project(root: Path) -> None:
    for rel, text in PROJECT.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def normal(value: Any) -> Any:
    return json.loads(json.dumps(value))


@dataclass
class Outcome:
    requests: int
    input_tokens: int
    answer: Any
    files: dict[str, str]


async def run_code_mode(task: Task, toolbox: Toolbox, root: Path) -> Outcome:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel

    context = ToolContext.local(root, yes=True)
    sandbox = Sandbox(toolbox)
    values: list[Any] = []

    async def execute_code(code: str) -> str:
        """Run Python code in the sandbox; the tools are plain functions there."""
        result = await sandbox.run(code, context)
        assert result.ok, result.error
        values.append(result.value)
        return result.for_model()

    def model(messages: list[Any], info: Any) -> ModelResponse:
        returns = [
            p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)
        ]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("execute_code", {"code": task.snippet})])
        return ModelResponse(parts=[TextPart(f"Done: {returns[-1].content}")])

    agent = Agent(FunctionModel(model), tools=[execute_code])
    result = await agent.run(f"Please {task.name}.")
    await sandbox.aclose()
    usage = result.usage
    return Outcome(usage.requests, usage.input_tokens, normal(values[-1]), snapshot(root))


async def run_one_tool_per_turn(task: Task, toolbox: Toolbox, root: Path) -> Outcome:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel

    context = ToolContext.local(root, yes=True)

    async def list_files(pattern: str = "**/*") -> list[str]:
        """List workspace files matching a glob pattern."""
        return await toolbox.call("list_files", (pattern,), {})

    async def read_file(path: str) -> str:
        """Read a text file of the workspace."""
        return await toolbox.call("read_file", (path,), {})

    async def write_file(path: str, content: str) -> str:
        """Create or replace a text file of the workspace."""
        return str(await toolbox.call("write_file", (path, content), {}))

    plan = task.plan()
    state: dict[str, Any] = {"started": False, "answer": None}

    def model(messages: list[Any], info: Any) -> ModelResponse:
        try:
            if not state["started"]:
                state["started"] = True
                tool, args = next(plan)
            else:
                last = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)][-1]
                tool, args = plan.send(last.content)
        except StopIteration as stop:
            state["answer"] = stop.value
            return ModelResponse(parts=[TextPart(f"Done: {stop.value}")])
        return ModelResponse(parts=[ToolCallPart(tool, args)])

    agent = Agent(FunctionModel(model), tools=[list_files, read_file, write_file])
    with using_context(context):
        result = await agent.run(f"Please {task.name}.", usage_limits=None)
    usage = result.usage
    return Outcome(usage.requests, usage.input_tokens, normal(state["answer"]), snapshot(root))


async def measure(toolbox: Toolbox) -> list[tuple[str, Outcome, Outcome]]:
    from pydantic_ai.usage import UsageLimits  # noqa: F401  (imported to fail early if missing)

    rows = []
    try:
        for task in TASKS:
            with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                code_root, direct_root = Path(a), Path(b)
                make_project(code_root)
                make_project(direct_root)
                code = await run_code_mode(task, toolbox, code_root)
                direct = await run_one_tool_per_turn(task, toolbox, direct_root)
                assert code.answer == direct.answer, (task.name, code.answer, direct.answer)
                assert code.files == direct.files, f"{task.name}: the two runs left different files"
                rows.append((task.name, code, direct))
    finally:
        await shutdown_pool()
    return rows


def report(rows: list[tuple[str, Outcome, Outcome]]) -> str:
    lines = [
        "| task | requests, Code Mode | requests, one tool per turn | ratio "
        "| input tokens, Code Mode | input tokens, one tool per turn |",
        "|---|---|---|---|---|---|",
    ]
    for name, code, direct in rows:
        lines.append(
            f"| {name} | {code.requests} | {direct.requests} "
            f"| {direct.requests / code.requests:.1f}x "
            f"| {code.input_tokens} | {direct.input_tokens} |"
        )
    code_total = sum(c.requests for _, c, _ in rows)
    direct_total = sum(d.requests for _, _, d in rows)
    ratios = [d.requests / c.requests for _, c, d in rows]
    tokens_code = sum(c.input_tokens for _, c, _ in rows)
    tokens_direct = sum(d.input_tokens for _, _, d in rows)
    lines += [
        f"| **all {len(rows)} tasks** | **{code_total}** | **{direct_total}** "
        f"| **{direct_total / code_total:.1f}x** | **{tokens_code}** | **{tokens_direct}** |",
        "",
        f"Code Mode needs {direct_total / code_total:.1f}x fewer model requests in total "
        f"(median per task {statistics.median(ratios):.1f}x, range {min(ratios):.1f}x to "
        f"{max(ratios):.1f}x) and {tokens_direct / max(tokens_code, 1):.1f}x fewer input tokens "
        "(pydantic-ai's estimate; without the system prompt, which each request would add). "
        "Both runs of every task left identical files and the same answer.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = parser.parse_args()
    toolbox = load_toolbox(entry_points=False)
    rows = asyncio.run(measure(toolbox))
    text = report(rows)
    print(text)
    if args.append:
        stamp = datetime.date.today().isoformat()
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        section = (
            "\n\n## Model requests per task: Code Mode vs one tool per turn "
            "(bench/bench_turns.py)\n\n"
            f"{stamp}, 2 vCPU, 24 GiB, Linux {machine}. Scripted model: pydantic-ai "
            "FunctionModel; real tools on a real workspace.\n\n"
            f"{text}\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write(section)


if __name__ == "__main__":
    main()
