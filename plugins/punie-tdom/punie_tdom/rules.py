"""tdom convention rules: every runtime error of tdom 0.1.20 a static check can anticipate.

Each rule names the exception tdom raises (or the silent misbehaviour) so the finding
explains itself. Rules that need another module (a component defined elsewhere) resolve it
through the project's imports; unknown callables are never guessed at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import libcst as cst

from punie_core import Finding, LibraryVersion, library_version, parse_version, rule_applies
from punie_tdom.analysis import (
    CALLABLE_TYPES,
    PLACEHOLDER,
    TEMPLATE_TYPES,
    Definition,
    ModuleModel,
    TagUse,
    is_fstring_value,
    is_join_of_fstrings,
    is_plain_string,
    kebab_to_snake,
    last_segment,
    value_positions,
)
from punie_tdom.fixes import (
    Action,
    apply_actions,
    fixable_string,
    is_string_like,
    unwrap_html_fixable,
)
from punie_tdom.project import (
    Project,
    Resolved,
    definition_key,
    model_for,
    renders_with_container,
)
from punie_tdom.rule_ids import ASSUMED_VERSION, LIBRARY, RULES, VERSIONS

REPLACEMENTS = {
    **dict.fromkeys(
        ("Node", "Element", "Fragment", "Text", "Comment", "DocumentType", "nodes"),
        ": components return a `string.templatelib.Template` (a t-string) and html() returns a str",
    ),
    "classnames": ": pass a list or dict to the `class` attribute (`class={[a, b]}`)",
    "parse_html": ": build markup with t-strings and html()",
}
"""How to replace each removed name (TDOM014)."""

__all__ = ["RULES", "analyze", "check", "fix", "is_component"]

FIXABLE = frozenset({"TDOM009", "TDOM010", "TDOM011", "TDOM012"})

Result = tuple[Finding, "Action | None"]


def _finding(
    model: ModuleModel, position: tuple[int, int], rule: str, message: str, fixable: bool = False
) -> Finding:
    return Finding(
        path=model.path,
        line=position[0],
        column=position[1],
        rule=rule,
        message=message,
        fixable=fixable,
    )


def project_library(path: str) -> LibraryVersion:
    """The tdom version of the project holding `path` (installed, locked, or assumed)."""
    return library_version(path, LIBRARY, ASSUMED_VERSION)


def check(path: str, source: str) -> list[Finding]:
    """All tdom findings for one module (the `conventions` layer's `check`).

    Only rules that hold for the project's tdom version are reported; each message ends
    with the version assumed (`[tdom 0.1.20 (uv.lock)]`).
    """
    try:
        model = model_for(path, source)
    except (cst.ParserSyntaxError, cst.CSTValidationError):
        return []  # the syntax gate reports it
    library = project_library(path)
    # The model is shared by path and text (absolute path); findings use the path as given.
    return [replace(f, path=path) for f, _ in analyze(model, Project(path, current=model), library)]


def fix(path: str, source: str) -> str:
    """The module with every safe tdom auto-fix applied (the `conventions` layer's `fix`)."""
    try:
        model = model_for(path, source)
    except (cst.ParserSyntaxError, cst.CSTValidationError):
        return source
    library = project_library(path)
    actions = [
        action for _, action in analyze(model, Project(path, current=model), library) if action
    ]
    return apply_actions(model.module, actions) if actions else source


def analyze(
    model: ModuleModel, project: Project, library: LibraryVersion | None = None
) -> Iterator[Result]:
    """Every finding for one module that holds for the project's tdom version, each with the
    fix that repairs it (or None); messages end with the version assumed.

    Args:
        library: The project's tdom (None: the newest the rules know).
    """
    library = library or project_library(model.path)
    for finding, action in _analyze(model, project, library):
        if rule_applies(VERSIONS, finding.rule, library):
            yield replace(finding, message=f"{finding.message} [{library.describe()}]"), action


def _analyze(model: ModuleModel, project: Project, library: LibraryVersion) -> Iterator[Result]:
    version = parse_version(library.version)
    # TDOM014: the pre-0.1.15 API.
    for node, name, removed in model.removed_imports:
        if version < parse_version(removed):
            continue  # the project's tdom still has it
        replacement = REPLACEMENTS.get(name.rsplit(".", 1)[-1], "")
        yield (
            _finding(
                model,
                model.position(node),
                "TDOM014",
                f"tdom has no `{name}` since {removed} (ImportError){replacement}",
            ),
            None,
        )

    uses = project.uses()
    used = {
        key.split("::", 1)[1]
        for key in uses
        if key.split("::", 1)[0] == os.path.abspath(model.path)
    }
    # Components by shape count too: a PascalCase def or class returning a Template is
    # rendered whole (helpers returning pieces of markup are snake_case by convention).
    used |= {
        d.qualname
        for d in model.definitions.values()
        if d.name[:1].isupper() and is_component(d, False)
    }

    # Template structure: TDOM006, TDOM007, TDOM008, TDOM013. Only for templates tdom parses
    # whole: a literal that is a piece of a template joined at run time (`+`, `sum()`,
    # `Template(*parts)`) is not a document by itself.
    for problem in model.problems:
        if not model.is_document(problem.template, used):
            continue
        if "same callable" in problem.message and not model.is_rendered(problem.template, used):
            continue  # tdom's parser alone accepts it; the processor raises
        yield (
            _finding(
                model,
                model.offset_position(problem.template, problem.offset),
                problem.rule,
                problem.message,
            ),
            None,
        )

    # TDOM010 / TDOM011: html() inside templates and html() of a str.
    for call in model.html_calls:
        args = [a for a in call.node.args if a.keyword is None and not a.star]
        first = args[0].value if args else None
        unwrapped = False
        if call.in_template and call.value_position:
            fixable = unwrap_html_fixable(call.node)
            unwrapped = fixable
            yield (
                _finding(
                    model,
                    model.position(call.node),
                    "TDOM010",
                    "html() inside a t-string interpolation returns a str, which the outer "
                    'template escapes; interpolate the Template itself: `{t"..."}` instead '
                    'of `{html(t"...")}`',
                    fixable=fixable,
                ),
                ("unwrap", call.node) if fixable else None,
            )
        if first is not None and is_string_like(first):
            kind = "an f-string" if is_fstring_value(first) else "a str"
            fixable = fixable_string(first)
            hint = (
                'use a t-string: html(t"...")'
                if fixable
                else ("make it one t-string (this string cannot be converted automatically)")
            )
            yield (
                _finding(
                    model,
                    model.position(first),
                    "TDOM011",
                    f"html() takes a Template, but this is {kind} (tdom fails on it: "
                    f"AttributeError: 'str' object has no attribute 'strings'); {hint}",
                    fixable=fixable,
                ),
                ("convert", first) if fixable and not unwrapped else None,
            )

    # TDOM012: f-strings inside t-string interpolations.
    for node in model.template_fstrings:
        fixable = fixable_string(node)
        yield (
            _finding(
                model,
                model.position(node),
                "TDOM012",
                "an f-string inside a t-string is a str, so its markup is escaped; use a nested "
                "t-string: {t'<b>{x}</b>'} (a list of t-strings for a loop)",
                fixable=fixable,
            ),
            ("convert", node) if fixable else None,
        )

    yield from _definition_rules(model, uses)
    yield from _call_site_rules(model, project)


def is_component(definition: Definition, used: bool) -> bool:
    """A component: used as `<{Name}>` somewhere, or shaped like one (returns a Template)."""
    return (
        used
        or definition.returns_template_by_shape
        or (
            definition.kind != "function"
            and definition.has_call
            and last_segment(definition.returns) in TEMPLATE_TYPES
        )
    )


def _definition_rules(model: ModuleModel, uses: dict) -> Iterator[Result]:
    local = [d for defs in model.local_definitions.values() for d in defs.values()]
    for definition in [*model.definitions.values(), *local]:
        used = definition_key(model.path, definition.qualname) in uses
        if definition.qualname != definition.name and not used:
            continue  # a def inside a function is a component only where it is used
        if not is_component(definition, used):
            continue
        # TDOM001: tdom calls components with keyword arguments only.
        for param in definition.positional_problems:
            what = "*args" if param.kind == "var_positional" else f"positional-only `{param.name}`"
            yield (
                _finding(
                    model,
                    model.position(param.node),
                    "TDOM001",
                    f"component {definition.name} takes {what}: tdom passes props as keyword "
                    "arguments only (TypeError: component callables cannot have required "
                    "positional arguments); make it a keyword parameter",
                ),
                None,
            )
        yield from _return_rules(model, definition, used)


def _return_rules(model: ModuleModel, definition: Definition, used: bool) -> Iterator[Result]:
    name = definition.name
    if definition.kind != "function" and not definition.has_call:
        if used:
            yield (
                _finding(
                    model,
                    model.position(definition.node.name),
                    "TDOM009",
                    f"class {name} is used as a component but has no __call__: tdom calls "
                    f"{name}(...) and then the result, which must return a Template (TypeError); "
                    "add `def __call__(self) -> Template`",
                ),
                None,
            )
        return
    returns = last_segment(definition.returns)
    target = definition.call_node
    where = f"{name}.__call__" if definition.kind != "function" else name
    if (
        used
        and definition.returns
        and returns not in TEMPLATE_TYPES
        and returns not in CALLABLE_TYPES
        and target is not None
        and target.returns is not None
    ):
        yield (
            _finding(
                model,
                model.position(target.returns),
                "TDOM009",
                f"{where} is used as a component but is annotated `-> {definition.returns}`; "
                "tdom needs a Template (TypeError: component callable must return Template or "
                "Callable); return a t-string and annotate `-> Template`",
            ),
            None,
        )
    if not (used or returns in TEMPLATE_TYPES):
        return
    for value in definition.return_values:
        for item in value_positions(value):
            if isinstance(item, cst.Call) and model.is_html_function(item.func, frozenset()):
                fixable = unwrap_html_fixable(item) and returns in TEMPLATE_TYPES | {""}
                yield (
                    _finding(
                        model,
                        model.position(item),
                        "TDOM009",
                        f"{where} returns html(...), a str; a component returns the Template "
                        'itself: `return t"..."` (tdom renders it)',
                        fixable=fixable,
                    ),
                    ("unwrap", item) if fixable else None,
                )
            elif is_fstring_value(item) or is_join_of_fstrings(item):
                fixable = fixable_string(item)
                yield (
                    _finding(
                        model,
                        model.position(item),
                        "TDOM012",
                        f"{where} returns an f-string (a str: tdom raises TypeError); return a "
                        "t-string instead",
                        fixable=fixable,
                    ),
                    ("convert", item) if fixable else None,
                )
            elif is_plain_string(item):
                yield (
                    _finding(
                        model,
                        model.position(item),
                        "TDOM009",
                        f'{where} returns a str; a component must return a Template (t"...")',
                    ),
                    None,
                )


def _call_site_rules(model: ModuleModel, project: Project) -> Iterator[Result]:
    injection = model.renders_with_container or renders_with_container(project.root)
    for use in model.tag_uses:
        resolved = project.resolve(model, use)
        if resolved is None:
            continue
        for finding in _call_site(model, use, resolved, injection):
            yield finding, None


def _call_site(
    model: ModuleModel, use: TagUse, resolved: Resolved, injection: bool = True
) -> Iterator[Finding]:
    definition = resolved.definition
    position = model.offset_position(use.template, use.offset)
    name = use.callee_code
    attrs = [(a, v) for a, v in use.attrs if not PLACEHOLDER.search(a)]
    # TDOM002: children as an attribute (always an error for a component).
    for attr, _ in attrs:
        if kebab_to_snake(attr) == "children":
            yield _finding(
                model,
                position,
                "TDOM002",
                f"<{{{name}}} children=...>: `children` is reserved for the content between "
                f"<{{{name}}}> and </{{{name}}}> (ValueError); pass it as content",
            )
    # TDOM001 at the call site, when the definition lives elsewhere and is not shaped like
    # a component (otherwise its own module reports it).
    if (
        resolved.path != model.path
        and definition.positional_problems
        and not is_component(definition, False)
    ):
        yield _finding(
            model,
            position,
            "TDOM001",
            f"{name} takes required positional arguments; tdom cannot call it as a component "
            "(TypeError)",
        )
    if not definition.complete:
        return
    named = definition.named_params
    supplied = set()
    for attr, _ in attrs:
        snake = kebab_to_snake(attr)
        if snake == "children":
            continue
        supplied.add(snake)
        # TDOM003: unknown attribute.
        if snake not in named and not definition.accepts_kwargs:
            known = ", ".join(sorted(named - {"children"})) or "none"
            yield _finding(
                model,
                position,
                "TDOM003",
                f"<{{{name}}}> has no prop `{snake}` (attribute `{attr}`; tdom raises "
                f"ValueError: unexpected attribute); its props: {known}",
            )
    # TDOM004: missing required props (unknowable with a spread attribute).
    if not use.spread:
        # tdom-svcs fills Inject[]/Resource[] props from the container it renders with;
        # plain tdom.html() requires them like any other prop.
        injected = (
            {
                p.name
                for p in definition.params
                if p.injected or last_segment(p.annotation) == "Annotated"
            }
            if injection
            else set()
        )
        missing = sorted(definition.required_named - supplied - {"children"} - injected)
        if missing:
            yield _finding(
                model,
                position,
                "TDOM004",
                f"<{{{name}}}> is missing required prop(s) {', '.join(missing)} (TypeError: "
                "missing required parameters for component)",
            )
    # TDOM005: content given, no children parameter to receive it.
    if use.has_children and not definition.accepts_children:
        yield _finding(
            model,
            position,
            "TDOM005",
            f"<{{{name}}}> is given children but {definition.name} has no `children: Template` "
            "parameter, so tdom silently drops them",
        )
