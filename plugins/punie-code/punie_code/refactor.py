"""Scope-aware refactoring as plans of diffs, applied all or nothing after one permission.

Engines, chosen per operation by what resolves names correctly:

- `rename_symbol`: ty's `textDocument/rename` on the workspace's server. It resolves the
  binding at the position with full type inference, across modules (imports, attribute and
  method uses through inferred types), and never touches strings or comments. Conflicts (the
  new name already bound where a renamed use lives) are found with libcst's scope analysis.
- `extract_function` and `move_symbol`: rope (`ExtractMethod`, `MoveGlobal`), the only one
  of the three that implements them. It runs on a private copy of the Python files, so
  computing a plan never writes to the workspace (and rope's `.ropeproject` never appears).

Applying a plan goes through the toolbox gate's permission policy once for the whole plan
(the request carries every file's new text, shown as diffs in the IDE and the web UI), checks
that no file changed since the plan was made, writes every file atomically through the
session's file backend and, if any write fails, restores the files already written. Then the
language server is told about the new text and the touched files are type-checked and linted.

A file whose real path is outside the workspace (a link out) is never read, shown or changed:
rope's copy leaves it out, and a plan touching it has a conflict. Neither is a file with more
than one hard link (the other name may be outside the workspace, and sees every change).
"""

from __future__ import annotations

import ast
import asyncio
import difflib
import json
import keyword
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punie_code.navigation import Navigator, diagnostic
from punie_code.nouns import RefactorPlan
from punie_code.server import TRACKED_SUFFIXES, ServerUnavailable, scan, server_for
from punie_code.workspace import inside, workspace_root
from punie_core import PermissionRequest, current_call_id, require_approval, tool_context


class RefactorError(ValueError):
    """The refactoring cannot be computed (nothing to rename here, a selection rope rejects)."""


@dataclass
class Plan:
    """A computed refactoring: old and new text of every file it changes."""

    operation: str
    engine: str
    before: dict[str, str | None] = field(default_factory=dict)  # None: the file is created
    after: dict[str, str] = field(default_factory=dict)
    occurrences: int = 0
    conflicts: list[str] = field(default_factory=list)

    def noun(self, applied: bool = False, diagnostics: list[str] | None = None) -> RefactorPlan:
        files = sorted(self.after)
        return RefactorPlan(
            operation=self.operation,
            engine=self.engine,
            diffs={
                path: unified_diff(path, self.before.get(path), self.after[path]) for path in files
            },
            files=files,
            occurrences=self.occurrences,
            conflicts=list(self.conflicts),
            applied=applied,
            diagnostics=diagnostics or [],
        )


def unified_diff(path: str, old: str | None, new: str) -> str:
    """The unified diff of one file (`/dev/null` as the old side of a new file)."""
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def check_identifier(name: str) -> None:
    """Raises ValueError unless `name` can name a Python symbol."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a valid Python identifier")


def _read(root: Path, relative: str) -> str:
    return (root / relative).read_text(encoding="utf-8")


def out_of_scope(root: Path, relative: str) -> str | None:
    """Why a refactoring may not read or change a workspace file, or None when it may."""
    path = root / relative
    if not inside(root, path):
        return f"{relative} is a link to a file outside the workspace: it is left alone"
    try:
        links = path.stat().st_nlink
    except OSError:
        return None  # created by the plan
    if links > 1:
        return (
            f"{relative} has {links} hard links (another name may be outside the workspace "
            "and would change too): it is never rewritten"
        )
    return None


# -- rename (ty) -----------------------------------------------------------------------------


def plan_rename(root: Path, path: str, line: int, column: int, new_name: str) -> Plan:
    """Compute a rename with ty's language server (no file is written)."""

    check_identifier(new_name)
    nav = Navigator(server_for(root))
    params = nav.document(path, line, column)
    prepared = nav.request("textDocument/prepareRename", params)
    if not prepared:
        raise RefactorError(f"nothing to rename at {path}:{line}:{column} (put it on a name)")
    edit = nav.request("textDocument/rename", params | {"newName": new_name}) or {}
    per_file: dict[str, list[dict[str, Any]]] = {}
    plan = Plan("rename_symbol", "ty")
    for uri, edits in _workspace_edits(edit):
        shown, target = nav.uri_target(uri)
        if target is None or shown == str(target):
            plan.conflicts.append(f"the symbol is also used outside the workspace ({shown})")
            continue
        if not inside(root, target):
            plan.conflicts.append(
                f"the symbol is also used in {shown}, a link out of the workspace"
            )
            continue
        per_file.setdefault(shown, []).extend(edits)
    old_name = ""
    for shown, edits in sorted(per_file.items()):
        text = _read(root, shown)
        old_name = old_name or _slice(text, edits[0]["range"])
        plan.before[shown] = text
        plan.after[shown] = apply_text_edits(text, edits, nav.server.encoding)
        plan.occurrences += len(edits)
        plan.conflicts += rename_conflicts(shown, text, edits, new_name, nav.server.encoding)
    if old_name == new_name:
        raise RefactorError(f"the symbol is already called {new_name!r}")
    return plan


def _workspace_edits(edit: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    found = list((edit.get("changes") or {}).items())
    for change in edit.get("documentChanges") or []:
        if "textDocument" in change:
            found.append((change["textDocument"]["uri"], change["edits"]))
    return found


def _offsets(text: str, encoding: str) -> list[int]:
    """Character offset of the start of each line."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _offset(text: str, starts: list[int], position: dict[str, int], encoding: str) -> int:
    line = min(position["line"], len(starts) - 1)
    start = starts[line]
    units = position["character"]
    if encoding == "utf-32":
        return start + units
    line_text = text[start : starts[line + 1] if line + 1 < len(starts) else len(text)]
    codec = "utf-16-le" if encoding == "utf-16" else "utf-8"
    width = 2 if encoding == "utf-16" else 1
    prefix = line_text.encode(codec)[: units * width].decode(codec, errors="ignore")
    return start + len(prefix)


def _slice(text: str, range_: dict[str, Any], encoding: str = "utf-32") -> str:
    starts = _offsets(text, encoding)
    return text[
        _offset(text, starts, range_["start"], encoding) : _offset(
            text, starts, range_["end"], encoding
        )
    ]


def apply_text_edits(text: str, edits: list[dict[str, Any]], encoding: str) -> str:
    """Apply LSP text edits (non-overlapping ranges) to `text`."""
    starts = _offsets(text, encoding)
    spans = sorted(
        (
            _offset(text, starts, e["range"]["start"], encoding),
            _offset(text, starts, e["range"]["end"], encoding),
            e["newText"],
        )
        for e in edits
    )
    pieces, last = [], 0
    for start, end, new in spans:
        if start < last:
            raise RefactorError("the language server returned overlapping edits")
        pieces += [text[last:start], new]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def rename_conflicts(
    path: str, text: str, edits: list[dict[str, Any]], new_name: str, encoding: str
) -> list[str]:
    """Where `new_name` is already bound in a scope one of the renamed names lives in."""
    import libcst as cst  # loads on first use, like rope
    from libcst.metadata import ClassScope, MetadataWrapper, PositionProvider, ScopeProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
        scopes = wrapper.resolve(ScopeProvider)
        positions = wrapper.resolve(PositionProvider)
    except Exception:  # libcst cannot parse it: ty's edits stand, without a conflict check
        return []
    starts = _offsets(text, encoding)
    wanted = set()
    for edit in edits:
        offset = _offset(text, starts, edit["range"]["start"], encoding)
        line = text.count("\n", 0, offset) + 1
        wanted.add((line, offset - starts[line - 1]))
    conflicts: list[str] = []
    for node, where in positions.items():
        if not isinstance(node, cst.Name) or (where.start.line, where.start.column) not in wanted:
            continue
        scope = scopes.get(node)
        if scope is None:
            continue
        taken = [a for a in scope.assignments[new_name]] if new_name in scope.assignments else []
        if not taken and not isinstance(scope, ClassScope) and new_name in scope:
            taken = list(scope[new_name])
        for assignment in taken:
            node_of = getattr(assignment, "node", None)
            line = (
                positions[node_of].start.line if node_of is not None and node_of in positions else 0
            )
            place = f"{path}:{line}" if line else "a builtin"
            message = f"{new_name!r} is already defined in that scope ({place})"
            if message not in conflicts:
                conflicts.append(message)
    return conflicts


# -- rope: extract and move ------------------------------------------------------------------


def _mirror(root: Path, only: list[str] | None = None) -> Path:
    """A private copy of the workspace's Python files (or of `only`) for rope to work on."""
    mirror = Path(tempfile.mkdtemp(prefix="punie-rope-"))
    files = (
        only
        if only is not None
        else [rel for rel, _ in scan(root) if rel.endswith(TRACKED_SUFFIXES)]
    )
    for relative in files:
        source = root / relative
        if source.is_file() and inside(root, source):
            target = mirror / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return mirror


def _run_rope(root: Path, mirror: Path, plan: Plan, change: Any) -> Plan:
    """Apply a rope refactoring inside the mirror and read back what it changed."""

    from rope.base.project import Project  # rope loads on first use: the plugin stays light

    with warnings.catch_warnings():
        # rope 1.15 warns about its own deprecated internals when a project opens.
        warnings.simplefilter("ignore", DeprecationWarning)
        project = Project(str(mirror), ropefolder=None)
    try:
        changes = change(project)
        before = {
            rel: _read(mirror, rel) for rel, _ in scan(mirror) if rel.endswith(TRACKED_SUFFIXES)
        }
        project.do(changes)
    except Exception as exc:  # rope's RefactoringError, a syntax error in a file, ...
        raise RefactorError(f"rope could not do it: {exc}") from None
    finally:
        project.close()
    after = {rel: _read(mirror, rel) for rel, _ in scan(mirror) if rel.endswith(TRACKED_SUFFIXES)}
    for relative, text in sorted(after.items()):
        old = before.get(relative)
        if old == text:
            continue
        plan.before[relative] = old if (root / relative).exists() else None
        plan.after[relative] = text
        plan.occurrences += _hunks(old or "", text)
    return plan


def _hunks(old: str, new: str) -> int:
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines())
    return sum(1 for _ in matcher.get_grouped_opcodes(0))


def plan_extract(root: Path, path: str, start_line: int, end_line: int, name: str) -> Plan:
    """Compute extracting lines into a new function (a method inside a class) with rope."""
    check_identifier(name)
    if start_line < 1 or end_line < start_line:
        raise ValueError("lines are 1-based and end_line must not be before start_line")
    text = _source(root, path)
    lines = text.splitlines(keepends=True)
    if end_line > len(lines):
        raise ValueError(f"line {end_line} is outside {path} (lines 1-{len(lines)})")
    first = lines[start_line - 1]
    start = sum(len(line) for line in lines[: start_line - 1]) + (len(first) - len(first.lstrip()))
    end = sum(len(line) for line in lines[:end_line]) - (
        len(lines[end_line - 1]) - len(lines[end_line - 1].rstrip())
    )
    plan = Plan("extract_function", "rope")
    if _defined_at_top(text, name):
        plan.conflicts.append(f"{name!r} is already defined in {path}")
    mirror = _mirror(root, [path])
    try:

        def change(project: Any) -> Any:
            from rope.refactor.extract import ExtractMethod

            resource = project.get_resource(path)
            return ExtractMethod(project, resource, start, end).get_changes(name, similar=False)

        return _run_rope(root, mirror, plan, change)
    finally:
        shutil.rmtree(mirror, ignore_errors=True)


def plan_move(root: Path, path: str, name: str, destination: str) -> Plan:
    """Compute moving a top-level function or class to another module with rope."""

    text = _source(root, path)
    if not destination.endswith(".py"):
        raise ValueError(f"destination {destination!r} must be a module file such as pkg/util.py")
    target = (root / destination).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        raise PermissionError(f"{destination} is outside the workspace") from None
    if target == (root / path).resolve():
        raise ValueError("the destination is the module the symbol is already in")
    tree = ast.parse(text)
    node = next(
        (
            n
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.name == name
        ),
        None,
    )
    if node is None:
        raise RefactorError(f"{path} has no top-level function or class named {name!r}")
    lines = text.splitlines(keepends=True)
    line_start = sum(len(line) for line in lines[: node.lineno - 1])
    offset = line_start + lines[node.lineno - 1].index(name, node.col_offset)
    plan = Plan("move_symbol", "rope")
    relative_destination = target.relative_to(root).as_posix()
    if target.exists() and _defined_at_top(_source(root, relative_destination), name):
        plan.conflicts.append(f"{name!r} is already defined in {relative_destination}")
    mirror = _mirror(root)
    try:
        created = mirror / relative_destination
        if not created.exists():
            created.parent.mkdir(parents=True, exist_ok=True)
            created.write_text("", encoding="utf-8")

        def change(project: Any) -> Any:
            from rope.refactor.move import create_move

            mover = create_move(project, project.get_resource(path), offset)
            return mover.get_changes(project.get_resource(relative_destination))

        plan = _run_rope(root, mirror, plan, change)
        if not target.exists() and relative_destination not in plan.after:
            plan.after[relative_destination] = ""
        if not target.exists():
            plan.before[relative_destination] = None
        source_text = plan.after.get(path, text)
        destination_text = plan.after.get(relative_destination, "")
        if _imports(source_text, relative_destination) and _imports(destination_text, path):
            plan.conflicts.append(
                f"{path} and {relative_destination} would import each other (a circular "
                f"import): {name} uses names that stay in {path}; move those too"
            )
        return plan
    finally:
        shutil.rmtree(mirror, ignore_errors=True)


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(text: str, relative: str) -> bool:
    """True when `text` imports the module at `relative` (or a name from it) at top level."""

    module = _module_name(relative)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == module:
            return True
        if isinstance(node, ast.Import) and any(alias.name == module for alias in node.names):
            return True
    return False


def _source(root: Path, path: str) -> str:
    target = (root / path).resolve()
    if not inside(root, target):
        raise PermissionError(f"{path} is outside the workspace (a link out)")
    if not target.is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file")
    if target.suffix != ".py":
        raise ValueError(f"{path} is not a Python module")
    return target.read_text(encoding="utf-8")


def _defined_at_top(text: str, name: str) -> bool:

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == name
        ):
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (alias.asname or alias.name.split(".")[0]) == name for alias in node.names
        ):
            return True
    return False


# -- applying --------------------------------------------------------------------------------


async def finish(plan: Plan, apply: bool) -> RefactorPlan:
    """The plan as a noun; with `apply`, written after one permission for all of it."""
    root = workspace_root()
    for relative in sorted(plan.after):
        problem = out_of_scope(root, relative)
        if problem and problem not in plan.conflicts:
            plan.conflicts.append(problem)
    if not apply or plan.conflicts or not plan.after:
        return plan.noun()
    await apply_plan(plan)
    diagnostics = await asyncio.to_thread(check_touched, workspace_root(), sorted(plan.after))
    return plan.noun(applied=True, diagnostics=diagnostics)


async def apply_plan(plan: Plan) -> None:
    """Ask once, then write every file of the plan or none.

    Raises:
        ToolRefused: Permission refused (nothing written).
        OSError: A write failed (the files already written were restored), or a file changed
            since the plan was made (nothing written).
    """

    context = tool_context()
    workspace = context.workspace
    targets = {relative: workspace.writable(relative) for relative in plan.after}
    noun = plan.noun()
    request = PermissionRequest(
        call_id=current_call_id() or "",
        tool=plan.operation,
        kind="edit",
        title=f"{plan.operation}: {plan.occurrences} changes in {len(plan.after)} files",
        arguments={"diffs": noun.diffs},
        paths=tuple(sorted(plan.after)),
        sensitive=any(workspace.is_sensitive_target(p) for p in plan.after),
        edits=dict(sorted(plan.after.items())),
    )
    await require_approval(request)
    root = workspace_root()
    for relative, target in targets.items():
        problem = out_of_scope(root, relative)  # a link made while the person decided
        if problem:
            raise OSError(f"{plan.operation} was not applied: {problem}")
        now = await asyncio.to_thread(_current_text, target)
        if now != plan.before.get(relative):
            raise OSError(f"{relative} changed since the plan was made; plan again")
    written: list[str] = []
    try:
        for relative, target in targets.items():
            await context.files.write_text(target, plan.after[relative])
            written.append(relative)
    except BaseException as exc:
        for relative in reversed(written):
            old = plan.before.get(relative)
            try:
                if old is None:
                    targets[relative].unlink(missing_ok=True)
                else:
                    await context.files.write_text(targets[relative], old)
            except Exception:  # keep restoring the others; the error below names the plan
                pass
        if isinstance(exc, Exception):
            raise OSError(
                f"{plan.operation} was not applied: writing {len(written) + 1}/{len(targets)} "
                f"failed ({exc}); the files already written were restored"
            ) from exc
        raise


def _current_text(target: Path) -> str | None:
    try:
        return target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def check_touched(root: Path, files: list[str]) -> list[str]:
    """Type and lint problems in the touched files, after the server has their new text."""

    found: list[str] = []
    python = [f for f in files if f.endswith(".py")]
    server = server_for(root)
    try:
        server.changed((f, "changed", _current_text(root / f)) for f in python)
        nav = Navigator(server)
        for relative in python:
            target = root / relative
            result = nav.request(
                "textDocument/diagnostic", {"textDocument": {"uri": target.as_uri()}}
            )
            found += [
                f"ty: {diagnostic(nav, target, item)}" for item in (result or {}).get("items", [])
            ]
    except (ServerUnavailable, TimeoutError) as exc:
        found.append(f"ty: not checked ({exc})")
    found += lint(root, python)
    return found


def lint(root: Path, files: list[str]) -> list[str]:
    """ruff's findings in `files`, with Punie's own ruff (never the project's binary)."""

    if not files:
        return []
    try:
        from ruff.__main__ import find_ruff_bin

        ruff = str(find_ruff_bin())
    except ImportError:
        found = shutil.which("ruff")
        if found is None:
            return ["ruff: not checked (ruff is not installed)"]
        ruff = found
    try:
        completed = subprocess.run(
            [
                ruff,
                "check",
                "--no-cache",
                "--no-fix",
                "--output-format",
                "json",
                "--isolated",
                "--",
                *files,
            ],
            cwd=root,
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        items = json.loads(completed.stdout or b"[]")
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        return [f"ruff: not checked ({exc})"]
    lines = []
    for item in items:
        location = item.get("location") or {}
        path = Path(item.get("filename", "")).resolve()
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = str(path)
        lines.append(
            f"ruff: {shown}:{location.get('row', 0)}:{location.get('column', 0)} "
            f"{item.get('code') or ''} {item.get('message', '')}"
        )
    return sorted(lines)


# -- the tools -------------------------------------------------------------------------------


async def rename_symbol(
    path: str, line: int, column: int, new_name: str, apply: bool = False
) -> RefactorPlan:
    """Rename a symbol everywhere it is used, respecting scope.

    Returns the plan (diffs per file, conflicts) without writing; `apply=True` writes it
    after one permission for all files, then type-checks and lints them. A local variable,
    a method and a module function with the same name are different symbols; strings and
    comments are never changed.

    Args:
        path: Python file, relative to the workspace root.
        line: Line of a use or the definition of the name (1-based).
        column: Column of the name (1-based, characters).
        new_name: The new name.
        apply: Write the change (after permission) instead of only showing it.
    """
    root = workspace_root()
    plan = await asyncio.to_thread(plan_rename, root, path, line, column, new_name)
    return await finish(plan, apply)


async def extract_function(
    path: str, start_line: int, end_line: int, name: str, apply: bool = False
) -> RefactorPlan:
    """Move a block of lines into a new function and call it.

    Parameters and return values are worked out from the variables the block uses and sets.
    Inside a method the new function becomes a method of the same class.

    Args:
        path: Python file, relative to the workspace root.
        start_line: First line of the block (1-based).
        end_line: Last line of the block (1-based, included).
        name: The new function's name.
        apply: Write the change (after permission) instead of only showing it.
    """
    root = workspace_root()
    plan = await asyncio.to_thread(plan_extract, root, path, start_line, end_line, name)
    return await finish(plan, apply)


async def move_symbol(path: str, name: str, destination: str, apply: bool = False) -> RefactorPlan:
    """Move a top-level function or class to another module.

    Every import and use across the workspace is updated; the destination module is created
    when it does not exist.

    Args:
        path: The module that defines it, relative to the workspace root.
        name: The function's or class's name.
        destination: The module to move it to, such as `pkg/helpers.py`.
        apply: Write the change (after permission) instead of only showing it.
    """
    root = workspace_root()
    plan = await asyncio.to_thread(plan_move, root, path, name, destination)
    return await finish(plan, apply)
