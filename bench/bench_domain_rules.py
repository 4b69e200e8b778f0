"""Precision and recall of the tdom and svcs rules on real code nobody on this project wrote.

    uv run python plugins/punie-svcs/tests/corpus/build.py --held-out /tmp/realcode \
        --source svcs=/path/to/svcs --source tdom=/path/to/tdom
    uv run python bench/bench_domain_rules.py /tmp/realcode [EXTRA_REPO_DIR ...]

Each directory is checked as it is (its own project root, so its own uv.lock decides the
library versions), with only the domain plugins loaded. The Markdown docs of svcs and tdom
count too (their suites run them with Sybil): the ```python blocks Sybil runs (honouring its
`skip:` markers) are written, one module per document, beside it as `<doc>.md.py`.
Every finding must carry a verdict in bench/domain_labels.txt (`repo/path:line RULE TP|FP
why`); an unlabelled finding is counted as a false positive and listed. Recall is measured
on the corpora's labelled deliberate errors (plugins/punie-*/tests/corpus/*_deliberate.txt);
held-out test files hold no labelled block in any rule's domain (see bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "domain_labels.txt"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
DOC_REPOSITORIES = ("svcs", "tdom")
"""Repositories whose own tests run the Python blocks of their Markdown docs."""


def _executed_blocks(text: str) -> list[str]:
    """The ```python blocks Sybil runs: not after a `skip: next` marker, not between
    `skip: start` and `skip: end`, and not `>>>` sessions (doctests)."""
    blocks: list[str] = []
    skipping = skip_next = False
    position = 0
    for match in BLOCK.finditer(text):
        between = text[position : match.start()]
        position = match.end()
        for marker in re.findall(r"skip: (start|end|next)", between):
            skipping = {"start": True, "end": False}.get(marker, skipping)
            skip_next = skip_next or marker == "next"
        if skipping or skip_next or ">>>" in match.group(1):
            skip_next = False
            continue
        blocks.append(match.group(1))
    return blocks


def _docs_modules(root: Path) -> int:
    """Write each Markdown document's executed Python blocks as one module beside it, for
    the repositories whose test suites run their docs (svcs and tdom use Sybil)."""
    if root.name not in DOC_REPOSITORIES:
        return 0
    written = 0
    for document in root.rglob("*.md"):
        if "node_modules" in document.parts:
            continue
        blocks = _executed_blocks(document.read_text(encoding="utf-8"))
        if blocks:
            target = document.with_name(document.name + ".py")
            target.write_text("\n\n".join(blocks), encoding="utf-8")
            written += 1
    return written


def _toolbox():
    import punie_svcs.plugin
    import punie_tdom.plugin

    from punie_core.plugins.loader import candidate_from_object, load_toolbox

    return load_toolbox(
        entry_points=False,
        extra=[
            candidate_from_object(punie_tdom.plugin, "tdom", "punie-tdom"),
            candidate_from_object(punie_svcs.plugin, "svcs", "punie-svcs"),
        ],
        strict=True,
    )


def _labels() -> dict[tuple[str, int, str], tuple[str, str]]:
    labels = {}
    for raw in LABELS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where, rule, verdict, *why = line.split()
        path, _, number = where.rpartition(":")
        labels[(path, int(number), rule)] = (verdict, " ".join(why))
    return labels


def main(argv: list[str] | None = None) -> int:
    from punie_core import check_paths

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+", type=Path)
    args = parser.parse_args(argv)
    repos = []
    for directory in args.directories:
        children = sorted(p for p in directory.iterdir() if p.is_dir())
        repos += children if not (directory / "pyproject.toml").exists() else [directory]
    toolbox = _toolbox()
    labels = _labels()
    findings = []
    files = docs = 0
    started = time.perf_counter()
    for repo in repos:
        docs += _docs_modules(repo)
        report = check_paths([repo], toolbox, layers=("syntax", "conventions"))
        files += report.files
        for f in report.findings:
            if f.plugin not in ("tdom", "svcs"):
                continue
            path = f"{repo.name}/{Path(os.path.relpath(f.path, repo)).as_posix()}"
            findings.append((path, f.line, f.rule, f.message))
    elapsed = time.perf_counter() - started
    crashes = [f for f in findings if f[2].startswith("PUNIE")]
    true_positive = false_positive = 0
    unlabelled = []
    for path, line, rule, message in findings:
        verdict = labels.get((path, line, rule), ("?", ""))[0]
        if verdict == "TP":
            true_positive += 1
        else:
            false_positive += 1
            if verdict != "FP":
                unlabelled.append(f"{path}:{line} {rule} {message[:100]}")
    total = true_positive + false_positive
    print(f"repositories: {', '.join(r.name for r in repos)}")
    print(f"files checked: {files} (of them {docs} modules extracted from Markdown docs)")
    print(
        f"findings: {total}; true {true_positive}, false {false_positive}; crashes {len(crashes)}"
    )
    if total:
        print(f"precision: {true_positive / total:.1%}")
    print(f"time: {elapsed:.1f} s")
    for line in unlabelled:
        print("UNLABELLED", line, file=sys.stderr)
    _recall(toolbox)
    return 0


def _recall(toolbox) -> None:  # noqa: ANN001
    from punie_core import check_paths
    from punie_core.testing import deliberate_errors, read_labels, recall

    plugins = HERE.parent / "plugins"
    total_found = total = 0
    for name, plugin in (("svcs", "punie-svcs"), ("tdom", "punie-tdom")):
        corpus = plugins / plugin / "tests" / "corpus"
        root = corpus / name
        report = check_paths([root], toolbox, layers=("syntax", "conventions"))
        found = {
            (Path(os.path.relpath(f.path, root)).as_posix(), f.line, f.rule)
            for f in report.findings
        }
        labels = read_labels(corpus / f"{name}_deliberate.txt")
        detected, in_domain, missed = recall(deliberate_errors(root), labels, found)
        total_found += detected
        total += in_domain
        misses = ", ".join(f"{m.path}:{m.line}" for m in missed) or "none"
        print(
            f"recall {name}: {detected}/{in_domain} = {detected / in_domain:.1%} (missed: {misses})"
        )
    print(f"recall both: {total_found}/{total} = {total_found / total:.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
