"""Precision and recall of the tdom and svcs rules on real code nobody on this project wrote.

    uv run python plugins/punie-svcs/tests/corpus/build.py --held-out /tmp/realcode \
        --source svcs=/path/to/svcs --source tdom=/path/to/tdom
    uv run python bench/bench_domain_rules.py /tmp/realcode [EXTRA_REPO_DIR ...]

Each directory is checked as it is (its own project root, so its own uv.lock decides the
library versions), with only the domain plugins loaded. Markdown docs also count: their
```python blocks (not the `>>>` ones) are written, one module per document, next to it as
`<doc>.md.py` before the run (what Sybil runs upstream). Every finding must carry a verdict
in bench/domain_labels.txt (`repo/path:line RULE TP|FP why`); an unlabelled finding is counted
as a false positive and listed. Recall is read from the corpora's labelled deliberate errors
(tests/corpus/*_deliberate.txt) and the held-out trees' `pytest.raises` blocks.
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


def _docs_modules(root: Path) -> int:
    written = 0
    for document in root.rglob("*.md"):
        if "node_modules" in document.parts:
            continue
        blocks = [b for b in BLOCK.findall(document.read_text(encoding="utf-8")) if ">>>" not in b]
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
    print(f"findings: {total}; true {true_positive}, false {false_positive}; crashes {len(crashes)}")
    if total:
        print(f"precision: {true_positive / total:.1%}")
    print(f"time: {elapsed:.1f} s")
    for line in unlabelled:
        print("UNLABELLED", line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
