"""tdom's own tests as a corpus, and every rule's claim checked against real tdom.

The corpus (tests/corpus/tdom, built by plugins/punie-svcs/tests/corpus/build.py at a pinned
commit) is tdom's parser and processor test modules: code outside `pytest.raises` renders,
each `pytest.raises` block is labelled with the rule that should report it. tdom needs Python
3.14, so the runtime tests run it under Pyodide (CPython 3.14 on WebAssembly, from npm, set
up by tests/runtime/install.py at install time); they skip, saying why, when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tdom_rule_examples import EXAMPLES

from punie_core import check_paths
from punie_core.testing import corpus_findings, deliberate_errors, read_labels, recall

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
ROOT = CORPUS / "tdom"
RUNTIME = HERE / "runtime"


def test_findings_on_tdom_tests_are_exactly_the_deliberate_errors(toolbox) -> None:
    expected = {(p, n, r) for (p, n), r in read_labels(CORPUS / "tdom_expected.txt").items()}
    assert corpus_findings(ROOT, toolbox) == expected


def test_every_deliberate_error_is_labelled() -> None:
    labels = read_labels(CORPUS / "tdom_deliberate.txt")
    assert {(e.path, e.line) for e in deliberate_errors(ROOT)} == set(labels)


def test_recall_on_deliberate_errors_is_at_least_90_percent(toolbox) -> None:
    labels = read_labels(CORPUS / "tdom_deliberate.txt")
    detected, total, missed = recall(
        deliberate_errors(ROOT), labels, corpus_findings(ROOT, toolbox)
    )
    assert total >= 15
    assert detected / total >= 0.9, missed
    # The misses: the component's bad return value is a test parameter.
    assert {(m.path, m.line) for m in missed} <= {
        ("tdom/processor_test.py", 1901),
        ("tdom/processor_test.py", 1916),
    }


def _project(tmp_path: Path, name: str, source: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (root / "app.py").write_text(source)
    return root


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.rule for e in EXAMPLES])
def test_each_rule_flags_its_example_and_not_the_lookalike(example, toolbox, tmp_path) -> None:
    flagged = corpus_findings(_project(tmp_path, "flagged", example.flagged), toolbox)
    clean = corpus_findings(_project(tmp_path, "clean", example.clean), toolbox)
    assert example.rule in {rule for _, _, rule in flagged}
    assert clean == set()


def test_rules_follow_the_projects_tdom_version(toolbox, tmp_path) -> None:
    """tdom 0.1.8 still has Node and components returning html(): nothing to report."""
    old = next(e for e in EXAMPLES if e.rule == "TDOM014").flagged
    root = _project(tmp_path, "old", old)
    assert {r for _, _, r in corpus_findings(root, toolbox)} == {"TDOM014"}
    (root / "uv.lock").write_text('version = 1\n\n[[package]]\nname = "tdom"\nversion = "0.1.8"\n')
    assert corpus_findings(root, toolbox) == set()
    report = check_paths([root / "app.py"], toolbox)
    assert report.findings == []


def _pyodide(site: str) -> tuple[str, Path]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: tdom needs Python 3.14, run here under Pyodide")
    directory = RUNTIME / f"site-{site}"
    if not (RUNTIME / "node_modules" / "pyodide").is_dir() or not directory.is_dir():
        pytest.skip(
            "the Pyodide runtime for tdom is not installed "
            "(uv run --with pip python plugins/punie-tdom/tests/runtime/install.py)"
        )
    return node, directory


def _run(node: str, site: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(RUNTIME / "run.mjs"), str(site), str(work), *args],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        timeout=240,
    )


DRIVER = """
import json, sys, traceback
results = {}
for name, source in json.load(open("examples.json")).items():
    namespace = {"__name__": name}
    try:
        exec(compile(source, name, "exec"), namespace)
        results[name] = ["ok", namespace["main"]()]
    except Exception as error:
        results[name] = [type(error).__name__, str(error)]
json.dump(results, open("results.json", "w"))
"""


@pytest.mark.slow
def test_rule_examples_behave_as_stated_on_real_tdom(tmp_path) -> None:
    node, site = _pyodide("0.1.20")
    sources = {}
    for example in EXAMPLES:
        sources[f"{example.rule}-flagged"] = example.flagged
        sources[f"{example.rule}-clean"] = example.clean
    (tmp_path / "examples.json").write_text(json.dumps(sources))
    (tmp_path / "driver.py").write_text(DRIVER)
    done = _run(node, site, tmp_path, "driver.py")
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    for example in EXAMPLES:
        for half, outcome in (
            ("flagged", example.flagged_outcome),
            ("clean", example.clean_outcome),
        ):
            kind, value = results[f"{example.rule}-{half}"]
            where = f"{example.rule} {half}: {kind} {value!r}"
            if outcome.startswith("escaped:"):
                assert kind == "ok" and outcome.split(":", 1)[1] in value, where
            elif outcome.startswith("dropped:"):
                assert kind == "ok" and outcome.split(":", 1)[1] not in value, where
            else:
                assert kind == outcome, where


@pytest.mark.slow
def test_the_corpus_runs_green_on_real_tdom(tmp_path) -> None:
    """Upstream's tests pass with tdom 0.1.19 (their release): every labelled error is real."""
    node, site = _pyodide("0.1.19")
    for test in (ROOT / "tdom").glob("*_test.py"):
        shutil.copy(test, tmp_path / test.name)
    (tmp_path / "upstream.py").write_text(
        "import shutil, sys\nimport pytest\n"
        'shutil.copytree("/site/tdom", "/tmp/pkg/tdom")\n'
        "for name in sys.argv[1:]:\n"
        '    shutil.copy(name, "/tmp/pkg/tdom/")\n'
        'sys.path.insert(0, "/tmp/pkg")\n'
        'tests = [f"/tmp/pkg/tdom/{name}" for name in sys.argv[1:]]\n'
        'raise SystemExit(pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir=/tmp/pkg", '
        "*tests]))\n"
    )
    done = _run(node, site, tmp_path, "upstream.py", "parser_test.py", "processor_test.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_docs_show_these_examples() -> None:
    """docs/rules.md's examples are these, so the docs show only verified claims."""
    docs = (HERE.parents[2] / "docs" / "rules.md").read_text()
    for example in EXAMPLES:
        for source in (example.flagged, example.clean):
            body = source.split("from tdom import html\n\n", 1)[-1].strip()
            assert body in docs, (example.rule, body)
