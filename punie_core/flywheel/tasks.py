"""Eval tasks in files: `TASKS/<id>/task.yaml` plus the project fixture `TASKS/<id>/project/`.

A task file:

```yaml
prompt: The tests in tests/test_calc.py fail. Fix app/calc.py; do not change the tests.
expects: tools            # tools | direct: should the model act, or just answer?
tags: [tests, fix]
checks:                   # all must pass; each runs (see punie_core.flywheel.checks)
  - tests_pass: {}
  - unchanged: {paths: [tests/test_calc.py]}
  - field_read: {}
reference:                # optional: a known-good solution the scripted server replays
  - code: |
      r = pytest_run()
      print(r.failed)
  - answer: Fixed; all tests pass.
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from punie_core.flywheel.checks import CHECKS


class TaskError(ValueError):
    """A task file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Task:
    """One eval task.

    Attributes:
        id: The folder name.
        prompt: What the model is asked.
        expects: `tools` when the right answer needs the tools, `direct` when it does not.
        checks: `(kind, spec)` pairs, all of which must pass.
        project: The fixture folder copied for each run.
        reference: Steps of a known-good answer: `{"code": ...}` or `{"answer": ...}`.
        tags: Free labels (categories in reports).
        timeout: Seconds the prompt may run.
    """

    id: str
    prompt: str
    expects: Literal["tools", "direct"]
    checks: tuple[tuple[str, dict[str, Any]], ...]
    project: Path
    reference: tuple[dict[str, str], ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)
    timeout: float = 180.0


def load_task(folder: Path) -> Task:
    """Read and validate `folder/task.yaml`.

    Raises:
        TaskError: The file is missing or malformed.
    """
    path = folder / "task.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaskError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise TaskError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TaskError(f"{path}: expected a mapping")
    unknown = set(data) - {"prompt", "expects", "checks", "reference", "tags", "timeout"}
    if unknown:
        raise TaskError(f"{path}: unknown keys {sorted(unknown)}")
    prompt = data.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise TaskError(f"{path}: `prompt` must be a non-empty string")
    expects = data.get("expects", "tools")
    if expects not in ("tools", "direct"):
        raise TaskError(f"{path}: `expects` must be tools or direct, not {expects!r}")
    checks = []
    for index, item in enumerate(data.get("checks") or []):
        if not (isinstance(item, dict) and len(item) == 1):
            raise TaskError(
                f"{path}: check {index + 1} must be a one-key mapping like `tests_pass: {{}}`"
            )
        ((kind, spec),) = item.items()
        if kind not in CHECKS:
            raise TaskError(
                f"{path}: check {index + 1}: unknown kind {kind!r}; "
                f"known: {', '.join(sorted(CHECKS))}"
            )
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise TaskError(f"{path}: check {index + 1} ({kind}): its options must be a mapping")
        checks.append((kind, spec))
    if not checks:
        raise TaskError(f"{path}: a task needs at least one check")
    reference = data.get("reference") or []
    if not isinstance(reference, list) or not all(
        isinstance(step, dict)
        and len(step) == 1
        and set(step) <= {"code", "answer"}
        and isinstance(next(iter(step.values())), str)
        for step in reference
    ):
        raise TaskError(f"{path}: `reference` must be a list of `code:` / `answer:` steps")
    project = folder / "project"
    if not project.is_dir():
        raise TaskError(f"{folder}: missing the project fixture folder `project/`")
    return Task(
        id=folder.name,
        prompt=prompt.strip(),
        expects=expects,
        checks=tuple(checks),
        project=project,
        reference=tuple(reference),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        timeout=float(data.get("timeout", 180.0)),
    )


def load_tasks(root: Path, only: list[str] | None = None) -> list[Task]:
    """Every task under `root` (folders holding a task.yaml), sorted by id.

    Args:
        root: The tasks folder.
        only: Task ids or tags to keep (None keeps all).

    Raises:
        TaskError: A task is malformed, the folder holds none, or `only` names none.
    """
    if not root.is_dir():
        raise TaskError(f"no tasks folder at {root}")
    tasks = [
        load_task(folder) for folder in sorted(root.iterdir()) if (folder / "task.yaml").is_file()
    ]
    if not tasks:
        raise TaskError(f"{root} holds no tasks (folders with a task.yaml)")
    if only:
        wanted = set(only)
        tasks = [t for t in tasks if t.id in wanted or wanted & set(t.tags)]
        if not tasks:
            raise TaskError(f"no task id or tag matches {', '.join(only)}")
    return tasks


def default_tasks_dir() -> Path:
    """`./evals/tasks` when present, else the tasks shipped beside Punie's source checkout."""
    here = Path.cwd() / "evals" / "tasks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "evals" / "tasks"
