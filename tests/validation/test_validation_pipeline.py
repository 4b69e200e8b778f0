"""The layered pipeline: syntax gate, gated conventions, fixes re-checked, types in batch."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.loader import candidate_from_object, load_toolbox, module_from_functions
from punie_core.plugins.records import Finding, Validator
from punie_core.validation.files import UsageError, iter_source_files
from punie_core.validation.pipeline import check_paths, validate_source
from punie_core.validation.syntax import syntax_findings

# ---------------------------------------------------------------------------------------------
# The syntax gate.

VALID_314 = [
    'x = t"<p>{name!r:>{10}}</p>"\n',
    'y = t"a" t"b"\n',
    "type Alias = list[int]\n",
    "def f[T](x: T) -> T:\n    return x\n",
    'x = f"{d["key"]}"\n',
    "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
    'path = "C:\\dir"  # an invalid escape warns, it is not an error\n',
]


@pytest.mark.parametrize("source", VALID_314)
def test_gate_accepts_the_314_grammar(source: str) -> None:
    assert syntax_findings("m.py", source) == []


@pytest.mark.parametrize(
    ("source", "line", "rule"),
    [
        ("def f(:\n    pass\n", 1, "SYN001"),
        ('x = t"<p>{y}</p>"\ndef g(:\n    pass\n', 2, "SYN001"),
        ('x = t"a" "b"\n', 1, "SYN002"),
        ('ok = t"a"\nz = (t"a" f"b")\n', 2, "SYN002"),
        ("x = 'unterminated\n", 1, "SYN001"),
        ("x = 1\0\n", 1, "SYN001"),
    ],
)
def test_gate_reports_invalid_code(source: str, line: int, rule: str) -> None:
    findings = syntax_findings("m.py", source)
    assert [(f.line, f.rule, f.layer, f.plugin) for f in findings] == [
        (line, rule, "syntax", "core")
    ]


def test_gate_prints_nothing_for_warnings(capfd) -> None:
    assert syntax_findings("m.py", 'p = "\\d"\n') == []
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------------------------------------
# Plugins' validators, with a small fake plugin.


def fake_toolbox(calls: list[str], *, broken_fix: bool = False, crash: bool = False):
    """A plugin flagging `TODO` (fixable: it becomes `DONE`), gated on the word TODO."""

    def check(path: str, source: str):
        calls.append(f"check {Path(path).name}")
        if crash:
            raise RuntimeError("validator bug")
        for number, line in enumerate(source.splitlines(), 1):
            if "TODO" in line:
                yield Finding(
                    path, number, line.index("TODO") + 1, "FAKE001", "a TODO", fixable=True
                )

    def fix(path: str, source: str) -> str:
        return source.replace("TODO", "DONE(" if broken_fix else "DONE")

    def batch(paths: list[str]):
        calls.append(f"batch {len(paths)}")
        for path in paths:
            yield Finding(str(Path(path).resolve()), 1, 1, "FAKE101", "types say hi")

    @hookimpl
    def punie_validators():
        yield Validator(
            name="fake_todo",
            layer="conventions",
            rules={"FAKE001": "a TODO"},
            check=check,
            fix=fix,
            applies_to=lambda path, source: "TODO" in source,
        )
        yield Validator(name="fake_types", layer="types", rules={"FAKE101": "hi"}, batch=batch)

    plugin = module_from_functions("fake", punie_validators)
    return load_toolbox(
        entry_points=False, extra=[candidate_from_object(plugin, "fake")], strict=True
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_applies_to_skips_files_before_check(tmp_path: Path) -> None:
    calls: list[str] = []
    write(tmp_path, {"a.py": "x = 1  # TODO\n", "b.py": "y = 2\n", "c.py": "def (:\n"})
    report = check_paths([tmp_path], fake_toolbox(calls))
    assert calls == ["check a.py", "batch 2"]  # b.py skipped by the gate, c.py by the syntax gate
    assert [
        (Path(f.path).name, f.line, f.column, f.rule, f.plugin, f.layer) for f in report.findings
    ] == [
        ("a.py", 1, 1, "FAKE101", "fake", "types"),
        ("a.py", 1, 10, "FAKE001", "fake", "conventions"),
        ("b.py", 1, 1, "FAKE101", "fake", "types"),
        ("c.py", 1, 5, "SYN001", "core", "syntax"),
    ]
    # Batch tools report absolute paths; the pipeline maps them back to the paths it was given.
    assert {f.path for f in report.findings} <= {
        str(tmp_path / n) for n in ("a.py", "b.py", "c.py")
    }
    assert report.files == 3 and report.fixed == 0
    assert set(report.timings) >= {"syntax", "conventions", "types"}


def test_fix_writes_the_file_and_counts_what_it_fixed(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "x = 1  # TODO\ny = 2  # TODO\n"})
    report = check_paths([tmp_path], fake_toolbox([]), fix=True, layers=("syntax", "conventions"))
    assert report.fixed == 2 and report.findings == []
    assert (tmp_path / "a.py").read_text() == "x = 1  # DONE\ny = 2  # DONE\n"


def test_a_fix_that_breaks_syntax_is_discarded(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "x = TODO\n"})
    report = check_paths(
        [tmp_path], fake_toolbox([], broken_fix=True), fix=True, layers=("syntax", "conventions")
    )
    assert (tmp_path / "a.py").read_text() == "x = TODO\n"
    assert sorted(f.rule for f in report.findings) == ["FAKE001", "PUNIE002"]
    assert report.fixed == 0


def test_a_crashing_validator_becomes_a_finding(tmp_path: Path) -> None:
    findings = validate_source(
        str(tmp_path / "a.py"), "x = 1  # TODO\n", fake_toolbox([], crash=True)
    )
    assert [(f.rule, f.plugin) for f in findings] == [("PUNIE001", "fake")]
    assert "validator bug" in findings[0].message


def test_validate_source_runs_only_the_fast_layers(tmp_path: Path) -> None:
    calls: list[str] = []
    path = tmp_path / "a.py"
    path.write_text("x = 1  # TODO\n")
    findings = validate_source(str(path), path.read_text(), fake_toolbox(calls))
    assert calls == ["check a.py"] and [f.rule for f in findings] == ["FAKE001"]


def batch_toolbox(calls: list[str]):
    """A plugin with a `check` and a `batch` in the syntax layer (`BANG` is an error) and the
    conventions layer (`TODO`, fixable to `DONE`); both batches read the files from disk."""

    def scan(word: str, rule: str, fixable: bool, path: str, source: str) -> list[Finding]:
        return [
            Finding(path, n, line.index(word) + 1, rule, word, fixable=fixable)
            for n, line in enumerate(source.splitlines(), 1)
            if word in line
        ]

    def validator(name: str, layer: str, word: str, rule: str, fixable: bool) -> Validator:
        def check(path: str, source: str) -> list[Finding]:
            calls.append(f"{layer} check {Path(path).name}")
            return scan(word, rule, fixable, path, source)

        def batch(paths: list[str]) -> list[Finding]:
            calls.append(f"{layer} batch {' '.join(Path(p).name for p in paths)}")
            return [f for p in paths for f in scan(word, rule, fixable, p, Path(p).read_text())]

        fix = (lambda path, source: source.replace(word, "DONE")) if fixable else None
        return Validator(
            name=name, layer=layer, rules={rule: word}, check=check, batch=batch, fix=fix
        )

    @hookimpl
    def punie_validators():
        yield validator("fake_bang", "syntax", "BANG", "FAKE201", False)
        yield validator("fake_todo", "conventions", "TODO", "FAKE001", True)

    plugin = module_from_functions("fake", punie_validators)
    return load_toolbox(
        entry_points=False, extra=[candidate_from_object(plugin, "fake")], strict=True
    )


def test_files_on_disk_use_batches_and_unsaved_text_uses_check(tmp_path: Path) -> None:
    calls: list[str] = []
    toolbox = batch_toolbox(calls)
    write(tmp_path, {"a.py": "x = 1  # TODO\n", "b.py": "y = 2  # BANG TODO\n", "c.py": "z = 3\n"})

    report = check_paths([tmp_path], toolbox, layers=("syntax", "conventions"))

    # One batch per layer; b.py failed the syntax layer, so conventions never see it.
    assert calls == ["syntax batch a.py b.py c.py", "conventions batch a.py c.py"]
    assert [(Path(f.path).name, f.rule, f.layer) for f in report.findings] == [
        ("a.py", "FAKE001", "conventions"),
        ("b.py", "FAKE201", "syntax"),
    ]
    calls.clear()
    found = validate_source(str(tmp_path / "d.py"), "w = 4  # TODO\n", toolbox)
    assert calls == ["syntax check d.py", "conventions check d.py"]
    assert [f.rule for f in found] == ["FAKE001"]


def test_a_fix_after_a_batch_is_rechecked_with_check(tmp_path: Path) -> None:
    calls: list[str] = []
    write(tmp_path, {"a.py": "x = 1  # TODO\ny = 2  # TODO\n", "c.py": "z = 3\n"})

    report = check_paths(
        [tmp_path], batch_toolbox(calls), fix=True, layers=("syntax", "conventions")
    )

    assert calls == [
        "syntax batch a.py c.py",
        "conventions batch a.py c.py",
        "conventions check a.py",
    ]
    assert report.fixed == 2 and report.findings == []
    assert (tmp_path / "a.py").read_text() == "x = 1  # DONE\ny = 2  # DONE\n"


def test_walk_skips_environments_and_hidden_directories(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/app.py": "",
            "src/app.pyi": "",
            ".venv/lib/x.py": "",
            "node_modules/y.py": "",
            ".hidden/z.py": "",
            "src/__pycache__/c.py": "",
            "README.md": "",
        },
    )
    found = iter_source_files([tmp_path])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == [
        "src/app.py",
        "src/app.pyi",
    ]
    explicit = iter_source_files([tmp_path / ".venv/lib/x.py"])
    assert explicit == [str(tmp_path / ".venv/lib/x.py")]
    with pytest.raises(UsageError, match="no such file"):
        iter_source_files([tmp_path / "missing"])


# ---------------------------------------------------------------------------------------------
# The agent side: every file write returns its findings.


def test_write_file_returns_the_fast_layer_findings(tmp_path: Path, toolbox) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code = (
        "from tdom import html\n\n\n"
        "def hello(name: str) -> str:\n    return html(f'<p>{name}</p>')\n"
    )

    async def write(path: str, content: str):
        with using_context(ToolContext.local(tmp_path, yes=True)):
            return await toolbox.call("write_file", (path,), {"content": content})

    result = asyncio.run(write("app/hello.py", code))
    assert (tmp_path / "app/hello.py").read_text() == code
    assert len(result.findings) == 1
    assert result.findings[0].startswith("5:17 TDOM011 html() takes a Template")
    assert result.findings[0].endswith("[fixable]")
    assert "TDOM011" in str(result)
    assert asyncio.run(write("notes.txt", "html(f'x')")).findings == []
    broken = asyncio.run(write("app/broken.py", "def f(:\n"))
    assert [f.split()[1] for f in broken.findings] == ["SYN001"]


def test_irrelevant_files_never_import_libcst(tmp_path: Path) -> None:
    """A project without tdom or svcs code is checked without loading libcst at all."""
    for index in range(30):
        (tmp_path / f"module_{index}.py").write_text(f"def f{index}(x):\n    return x * {index}\n")
    script = textwrap.dedent(
        f"""
        import sys
        import punie_svcs.plugin, punie_tdom.plugin
        from punie_core.plugins.loader import candidate_from_object, load_toolbox
        from punie_core.validation.pipeline import check_paths
        box = load_toolbox(entry_points=False, extra=[
            candidate_from_object(punie_tdom.plugin, "tdom"),
            candidate_from_object(punie_svcs.plugin, "svcs"),
        ], strict=True)
        report = check_paths([{str(tmp_path)!r}], box)
        print(report.files, len(report.findings), "libcst" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["30", "0", "False"], out.stderr
