"""The tdom domain nouns: components, their props, and what the verbs return."""

from __future__ import annotations

from pydantic import BaseModel, Field

from punie_core import Diagnostic


class Prop(BaseModel):
    """A component prop.

    A keyword parameter (function component) or a field (dataclass component).

    In a template, `<{Card} title="Hi" data-id={7} />` passes `title` and `data_id`
    (kebab-case attributes become snake_case props). A literal attribute passes a `str`;
    `{expr}` passes the object itself.

    Attributes:
        name: The parameter name, snake_case (`data_id` for the attribute `data-id`).
        type: The annotation as written, for example `str`, `int | None`, `Template`.
        default: The default's Python source (`None`, `"primary"`, `t""`); None when the
            prop is required.
        injected: True for `Inject[Service]` props filled from the svcs container by
            tdom-svcs, which templates never pass.
    """

    name: str
    type: str = "str"
    default: str | None = None
    injected: bool = False

    @property
    def required(self) -> bool:
        """True when every call site must pass it (no default, not injected)."""
        return self.default is None and not self.injected and self.name != "children"


class ComponentSpec(BaseModel):
    """The design of a tdom component: what it is called, what it takes, what it renders.

    A component is a function, or a dataclass with `__call__`, that returns a
    `string.templatelib.Template` (a t-string). Templates use it as
    `<{Name} prop="..." />` or `<{Name} ...>children</{Name}>`.

    Attributes:
        name: The component's name (CapWords by convention), for example `Card`.
        kind: `function` (a function returning a Template) or `dataclass` (props are
            fields; `__call__(self) -> Template` renders). `class` is any other class.
        props: The props, in declaration order (not `children`).
        accepts_children: True when it declares `children: Template` (content between
            the opening and closing tags); without it children are silently dropped.
        accepts_extra_attrs: True when it takes `**attrs`, so unknown attributes pass
            through instead of raising `ValueError`.
        template: The t-string body the component renders, without the `t"..."` quotes,
            for example `<div class="card"><h2>{title}</h2>{children}</div>`.
        doc: The one-line docstring.
        path: Where it is defined, relative to the workspace (empty for a new design).
        line: The line of its definition (0 for a new design).
        used_in: Files whose templates use it as `<{Name}>`.
    """

    name: str
    kind: str = "function"
    props: list[Prop] = Field(default_factory=list)
    accepts_children: bool = False
    accepts_extra_attrs: bool = False
    template: str = ""
    doc: str = ""
    path: str = ""
    line: int = 0
    used_in: list[str] = Field(default_factory=list)


class ComponentCheck(BaseModel):
    """What `validate_component` found in one module.

    Attributes:
        ok: True when there are no diagnostics.
        diagnostics: Problems, each with its rule id (TDOMxxx) and line.
        components: The components the module defines.
        fixed_source: The module with every safe auto-fix applied, or None when nothing
            could be fixed (write it with `write_file` to accept the fixes).
    """

    ok: bool
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    components: list[ComponentSpec] = Field(default_factory=list)
    fixed_source: str | None = None


class ComponentScaffold(BaseModel):
    """The code for a new component and its test, generated from a `ComponentSpec`.

    Attributes:
        path: Suggested module path, relative to the workspace.
        code: The component module.
        test_path: Suggested test path.
        test: A pytest module rendering the component with `tdom.html`.
    """

    path: str
    code: str
    test_path: str
    test: str
