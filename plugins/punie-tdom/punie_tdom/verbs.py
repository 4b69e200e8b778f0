"""The tdom verbs: tools the model calls from Code Mode (`for c in list_components("src"): ...`)."""

from __future__ import annotations

import os
from pathlib import Path

from punie_core import Diagnostic
from punie_tdom.nouns import ComponentCheck, ComponentScaffold, ComponentSpec, Prop


def _workspace_root() -> Path:
    from punie_core import tool_context

    return tool_context().workspace.root


def _resolve(path: str) -> Path:
    from punie_core import workspace_path

    return workspace_path(path)


def list_components(path: str = ".") -> list[ComponentSpec]:
    """The project's tdom components, with props, children and uses.

    A component is a function, or a dataclass with `__call__`, that returns a Template, or
    any callable a template uses as `<{Name} />`.

    Args:
        path: A workspace directory or file to search, for example `src` or `app/components.py`.
    """
    from punie_core import iter_source_files, read_source
    from punie_tdom.gate import applies_to
    from punie_tdom.project import Project, definition_key, model_for_file

    target = _resolve(path)
    root = _workspace_root()
    specs: list[ComponentSpec] = []
    project: Project | None = None
    for file in iter_source_files([target]):
        try:
            if not applies_to(file, read_source(file)):
                continue
        except (OSError, UnicodeDecodeError):
            continue
        model = model_for_file(file)
        if model is None:
            continue
        if project is None:
            project = Project(file)
        uses = project.uses()
        for definition in model.definitions.values():
            used_by = uses.get(definition_key(model.path, definition.name), [])
            from punie_tdom.rules import is_component

            if not is_component(definition, bool(used_by)):
                continue
            used_in = sorted({_relative(root, user) for user, _ in used_by})
            specs.append(spec_from_definition(definition, model, root, used_in))
    return sorted(specs, key=lambda s: (s.path, s.line))


def validate_component(path: str = "", source: str = "") -> ComponentCheck:
    """Check one component module against the tdom rules.

    Checks props, children, tags and Templates. Give `path` to check a workspace file,
    `source` to check code before writing it (with `path` too, imports resolve as if the
    code were at that path). `fixed_source` holds the safe auto-fixes applied.

    Args:
        path: The module's workspace path, for example `app/components/card.py`.
        source: The module's code; read from `path` when empty.
    """
    from punie_core import read_source, syntax_findings
    from punie_tdom.analysis import build_model
    from punie_tdom.fixes import apply_actions
    from punie_tdom.project import Project
    from punie_tdom.rules import analyze, is_component

    if not path and not source:
        raise ValueError("give the module's path, its source, or both")
    root = _workspace_root()
    target = _resolve(path) if path else root / "component.py"
    if not source:
        source = read_source(str(target))
    shown = _relative(root, str(target))
    errors = syntax_findings(str(target), source)
    if errors:
        diagnostics = [
            Diagnostic.from_finding(f).model_copy(update={"path": shown}) for f in errors
        ]
        return ComponentCheck(ok=False, diagnostics=diagnostics)
    model = build_model(str(target), source)
    project = Project(str(target), current=model)
    results = sorted(analyze(model, project), key=lambda r: (r[0].line, r[0].column, r[0].rule))
    diagnostics = [
        Diagnostic.from_finding(finding).model_copy(update={"path": shown})
        for finding, _ in results
    ]
    actions = [action for _, action in results if action]
    fixed = apply_actions(model.module, actions) if actions else None
    uses = project.uses()
    from punie_tdom.project import definition_key

    components = [
        spec_from_definition(
            d,
            model,
            root,
            sorted(
                {_relative(root, u) for u, _ in uses.get(definition_key(model.path, d.name), [])}
            ),
        )
        for d in model.definitions.values()
        if is_component(d, definition_key(model.path, d.name) in uses)
    ]
    return ComponentCheck(
        ok=not diagnostics,
        diagnostics=diagnostics,
        components=components,
        fixed_source=fixed if fixed != source else None,
    )


def scaffold_component(spec: ComponentSpec) -> ComponentScaffold:
    """Code and a test for a new component design.

    Write the results with `write_file(scaffold.path, scaffold.code)` and
    `write_file(scaffold.test_path, scaffold.test)`.

    Args:
        spec: The design: name, kind, props (with types and defaults), whether it accepts
            children, and optionally the `template` markup it renders.
    """
    from punie_tdom.scaffold import scaffold

    return scaffold(spec)


def _relative(root: Path, path: str) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return path


def spec_from_definition(definition, model, root: Path, used_in: list[str]) -> ComponentSpec:  # noqa: ANN001
    """A `ComponentSpec` describing a definition found in the code."""
    import libcst as cst

    props = [
        Prop(
            name=param.name,
            type=param.annotation or "Any",
            default=param.default,
            injected=param.injected,
        )
        for param in definition.params
        if param.named and param.name != "children"
    ]
    template = ""
    for value in definition.return_values:
        if isinstance(value, cst.TemplatedString):
            code = model.code(value)
            template = code[len(value.start) : len(code) - len(value.end)]
            break
    line = model.position(definition.node.name)[0]
    return ComponentSpec(
        name=definition.name,
        kind=definition.kind,
        props=props,
        accepts_children=definition.accepts_children,
        accepts_extra_attrs=definition.accepts_kwargs,
        template=template,
        doc=definition.doc,
        path=_relative(root, model.path),
        line=line,
        used_in=used_in,
    )
