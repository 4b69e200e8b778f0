"""A static model of one module's svcs code: registrations, requests, factories, middleware.

One libcst visitor pass, no matchers and no metadata (positions are resolved only when a
rule reports something). The facts mirror svcs 26.2's own logic: which factories receive
the container (`_takes_container`), which are generators (wrapped in context managers),
and how tdom-svcs runs middleware (sorted by `priority`, sync or async chains, phases).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from punie_core import (
    Param,
    ParsedModule,
    decorator_names,
    dotted,
    import_bindings,
    iter_children,
    parameters,
    parse_module,
    walk,
)

REGISTER_METHODS = frozenset(
    {
        "register_factory",
        "register_value",
        "register_local_factory",
        "register_local_value",
        "overwrite_factory",
        "overwrite_value",
    }
)
INTEGRATIONS = frozenset({"flask", "aiohttp", "starlette", "fastapi", "pyramid"})
"""svcs's framework modules (`svcs.pyramid` only before svcs 26.2)."""
SEPARATE_INTEGRATIONS = frozenset({"svcs_pyramid"})
"""Integrations shipped as their own package (svcs 26.2 moved Pyramid to `svcs_pyramid`)."""
REQUEST_METHODS = frozenset({"get", "aget", "get_abstract", "aget_abstract"})
CONTAINER_TYPES = frozenset(
    {"Container", "DepContainer", "HopscotchContainer", "InjectorContainer"}
)
AUTOWIRE = frozenset({"autowire", "aautowire"})
INJECTING_FACTORIES = frozenset({"auto", "auto_async", "partial"})
"""Factory wrappers that supply parameters themselves (svcs-di's `auto`, functools.partial)."""
CONTEXT_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})
BUILTIN_TYPES = frozenset(
    {
        "str",
        "int",
        "bytes",
        "bool",
        "float",
        "complex",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "object",
        "type",
    }
)
FIELD_FUNCTIONS = frozenset({"field", "ib", "attrib"})
"""dataclasses.field / attrs.field / attr.ib: `init=False` keeps a field out of __init__."""
NOT_FOUND_ERRORS = frozenset({"ServiceNotFoundError", "Exception", "BaseException"})
"""Handlers that catch svcs's ServiceNotFoundError (an Exception subclass)."""
REGISTRY_MAKERS = frozenset({"Registry", "HopscotchRegistry", "init_app", "lifespan"})
"""Calls that create the registry a program's containers use (svcs and its integrations)."""
OPAQUE_CALLS = frozenset({"scan"})
"""Calls that register services the rules cannot see (svcs-di / hopscotch scanning)."""


def last(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def type_key(module: cst.Module, node: cst.BaseExpression) -> str:
    """The lookup key svcs uses, as text: `Database` for `db.Database`; subscripts verbatim."""
    name = dotted(node)
    if name is not None:
        return last(name)
    return "".join(module.code_for_node(node).split())


def takes_container(params: list[Param]) -> bool:
    """svcs's `_takes_container`: first parameter named `svcs_container` or annotated Container."""
    if not params or params[0].kind not in ("positional_only", "positional"):
        return False
    first = params[0]
    return first.name == "svcs_container" or last(first.annotation) in CONTAINER_TYPES


@dataclass
class Request:
    """`container.get(A, B)` / `await container.aget(A)` / `svcs.flask.get(A)`."""

    node: cst.Call
    method: str
    types: list[tuple[str, str, cst.BaseExpression]]  # (code, key, node)
    receiver: str
    function: str | None
    scope: tuple[str, ...] = ()
    order: int = 0
    handled: bool = False
    """Inside a `try` whose handler catches ServiceNotFoundError (the code expects the miss)."""
    in_test: bool = False


@dataclass
class Function:
    """A top-level (or nested) def: a possible factory."""

    name: str
    node: cst.FunctionDef
    is_async: bool
    is_generator: bool
    decorators: list[str]
    params: list[Param]
    unguarded_yield: cst.CSTNode | None
    requests: list[Request] = field(default_factory=list)
    returns: str | None = None
    key: str = ""
    """Unique within the module: the name and its place in the walk (`make_db#3`)."""
    scope: tuple[str, ...] = ()
    """Keys of the enclosing functions, outermost first (empty at module level)."""

    @property
    def container_param(self) -> str | None:
        return self.params[0].name if takes_container(self.params) else None

    @property
    def wrapped_in_context_manager(self) -> bool:
        return any(d in CONTEXT_DECORATORS for d in self.decorators)


@dataclass
class Class:
    """A top-level class: a possible factory, service or middleware."""

    name: str
    node: cst.ClassDef
    decorators: list[str]
    init_params: list[Param] | None
    complete: bool
    priority: str | None
    priority_node: cst.CSTNode | None
    call: cst.FunctionDef | None
    call_params: list[Param]
    scope: tuple[str, ...] = ()

    @property
    def call_is_async(self) -> bool:
        return self.call is not None and self.call.asynchronous is not None


@dataclass
class Registration:
    """A registration call (or `@injectable` class)."""

    node: cst.CSTNode
    method: str
    svc_type: str
    key: str
    type_node: cst.CSTNode
    factory: cst.BaseExpression | None
    factory_code: str
    kind: Literal["factory", "value", "injectable"]
    local: bool
    keywords: dict[str, str]
    function: str | None
    scope: tuple[str, ...] = ()
    order: int = 0
    in_test: bool = False
    opaque: bool = False
    """The registered type is not a literal type (a variable, a loop): it may be anything."""


@dataclass
class PhaseEntry:
    """One `"phase": [Middleware, ...]` entry of a hookable middleware map."""

    phase: str
    key_node: cst.CSTNode
    elements: list[cst.BaseExpression]
    target: str | None


@dataclass
class Execution:
    """A middleware chain run: `execute_middleware`, `..._async` or `execute_target_middleware`."""

    node: cst.Call
    kind: Literal["sync", "async", "target"]
    phase: str | None  # None: not a literal (unknowable)


@dataclass
class ModuleFacts(ParsedModule):
    """Everything the svcs rules need from one module."""

    imports: dict[str, tuple[str, str | None, int]] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, Class] = field(default_factory=dict)
    registrations: list[Registration] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    autowired: list[tuple[cst.Call, cst.BaseExpression, bool]] = field(default_factory=list)
    global_middleware: list[tuple[cst.CSTNode, cst.BaseExpression | str]] = field(
        default_factory=list
    )
    phases: list[PhaseEntry] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    local_defs: dict[str, dict[str, Function | Class]] = field(default_factory=dict)
    """Defs and classes inside functions, by the key of the function that holds them."""
    scopes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """The scope of autowire calls and middleware registrations, by node id."""
    opaque: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    """(scope, in a test) of registrations the rules cannot see: `scan()`, `@injectable`."""
    injected: set[str] = field(default_factory=set)
    """Type keys built with svcs-di's `container.inject(T, ...)` (not with the factory)."""
    call_sites: list[tuple[str, tuple[str, ...], bool]] = field(default_factory=list)
    """(called name, scope, in a test) of every call: wrappers of registrations are found
    by name once the whole project is known."""
    creates_registry: bool = False
    """The module makes a registry (`svcs.Registry()`, an integration's `init_app`)."""
    forwarders: set[str] = field(default_factory=set)
    """Functions that register a type their caller passes in (their calls are registrations
    the rules cannot see)."""


def _own_nodes(node: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    """Every node of a def's body, not descending into nested defs, classes or lambdas."""
    stack: list[cst.CSTNode] = [node.body]
    while stack:
        current = stack.pop()
        yield current
        for child in iter_children(current):
            if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            stack.append(child)


def _contains_yield(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Yield):
        return True
    return any(
        _contains_yield(child)
        for child in iter_children(node)
        if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
    )


def unguarded_yield(function: cst.FunctionDef) -> cst.CSTNode | None:
    """The `yield` whose cleanup code (statements after it) is not in `finally` or a `with`."""

    def block(
        statements: list[cst.BaseStatement], guarded: bool, followed: bool
    ) -> cst.CSTNode | None:
        for index, statement in enumerate(statements):
            after = followed or index < len(statements) - 1
            if isinstance(statement, cst.SimpleStatementLine):
                if _contains_yield(statement) and after and not guarded:
                    return statement
                continue
            found = compound(statement, guarded, after)
            if found is not None:
                return found
        return None

    def body_of(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
        if isinstance(suite, cst.IndentedBlock):
            return list(suite.body)
        return [cst.SimpleStatementLine(body=list(suite.body))]  # `if x: yield y`

    def compound(statement: cst.CSTNode, guarded: bool, followed: bool) -> cst.CSTNode | None:
        if isinstance(statement, cst.Try):
            # A handler may catch what is thrown in at `yield` and clean up after the try:
            # which errors reach it cannot be known, so any handler counts as a guard.
            protected = guarded or statement.finalbody is not None or bool(statement.handlers)
            found = block(body_of(statement.body), protected, followed)
            for handler in statement.handlers:
                found = found or block(body_of(handler.body), protected, followed)
            if statement.orelse is not None:
                found = found or block(body_of(statement.orelse.body), protected, followed)
            return found
        if isinstance(statement, (cst.With,)):
            return block(body_of(statement.body), True, followed)
        if isinstance(statement, (cst.If,)):
            found = block(body_of(statement.body), guarded, followed)
            if statement.orelse is not None:
                orelse = statement.orelse
                if isinstance(orelse, cst.If):
                    found = found or compound(orelse, guarded, followed)
                else:
                    found = found or block(body_of(orelse.body), guarded, followed)
            return found
        if isinstance(statement, (cst.For, cst.While)):
            return block(body_of(statement.body), guarded, followed)
        return None

    return block(body_of(function.body), False, False)


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(iter_children(current))


def _is_generator(node: cst.FunctionDef) -> bool:
    return any(isinstance(n, cst.Yield) for n in _own_nodes(node))


def _class_facts(node: cst.ClassDef, module: cst.Module) -> Class:
    decorators = decorator_names(node)
    body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
    methods = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
    bases = [last(dotted(b.value)) for b in node.bases]
    complete = all(b in ("object", "Generic", "Protocol", "") for b in bases)
    priority = None
    priority_node = None
    kw_only = any(
        isinstance(d.decorator, cst.Call)
        and any(
            a.keyword is not None
            and a.keyword.value == "kw_only"
            and isinstance(a.value, cst.Name)
            and a.value.value == "True"
            for a in d.decorator.args
        )
        for d in node.decorators
    )
    fields: list[Param] = []
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target = None
            value = None
            annotation = None
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                target, value = small.target.value, small.value
                annotation = module.code_for_node(small.annotation.annotation)
            elif (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
            ):
                target, value = small.targets[0].target.value, small.value
            if target is None:
                continue
            if target == "priority":
                priority = module.code_for_node(value) if value is not None else None
                priority_node = small
            head = (annotation or "").split("[", 1)[0]
            if isinstance(small, cst.AnnAssign) and last(head) == "KW_ONLY":
                kw_only = True
                continue
            if isinstance(small, cst.AnnAssign) and last(head) != "ClassVar":
                default = None if value is None else module.code_for_node(value)
                if isinstance(value, cst.Call) and last(dotted(value.func)) in FIELD_FUNCTIONS:
                    keywords = {a.keyword.value: a.value for a in value.args if a.keyword}
                    init = keywords.get("init")
                    if isinstance(init, cst.Name) and init.value == "False":
                        continue  # field(init=False): not a parameter of __init__
                    has_default = any(
                        k in keywords for k in ("default", "default_factory", "factory")
                    )
                    default = "field(...)" if has_default else None
                kind = "keyword_only" if kw_only else "positional"
                fields.append(Param(target, kind, annotation, default, small))
    if "__init__" in methods:
        init: list[Param] | None = parameters(methods["__init__"].params, module, Param)[1:]
    elif any(d in ("dataclass", "define", "frozen", "mutable", "injectable") for d in decorators):
        init = (
            fields
            if "dataclass" in decorators or "define" in decorators or "frozen" in decorators
            else None
        )
    else:
        init = [] if complete else None
    call = methods.get("__call__")
    return Class(
        name=node.name.value,
        node=node,
        decorators=decorators,
        init_params=init,
        complete=complete,
        priority=priority,
        priority_node=priority_node,
        call=call,
        call_params=parameters(call.params, module, Param)[1:] if call is not None else [],
    )


class _Builder:
    """One pass over the module filling `ModuleFacts` (driven by `punie_core` `walk`)."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.functions: list[Function] = []
        self.kinds: list[str] = []  # "def" / "class", innermost last
        self.order = 0
        self.handled: set[int] = set()  # ids of calls inside a try that catches the miss
        self.type_annotations: list[dict[str, str]] = []

    def scope(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.functions)

    def in_test(self) -> bool:
        """Inside a test function: its registrations belong to that test alone."""
        return any(f.name.startswith("test") for f in self.functions)

    # definitions ------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        module = self.facts.module
        self.order += 1
        function = Function(
            name=node.name.value,
            node=node,
            is_async=node.asynchronous is not None,
            is_generator=_is_generator(node),
            decorators=decorator_names(node),
            params=parameters(node.params, module, Param),
            unguarded_yield=None,
            returns=module.code_for_node(node.returns.annotation) if node.returns else None,
            key=f"{node.name.value}#{self.order}",
            scope=self.scope(),
        )
        if function.is_generator:
            function.unguarded_yield = unguarded_yield(node)
        parent = self.kinds[-1] if self.kinds else None
        if parent is None:
            self.facts.functions[function.name] = function
        elif parent == "def":
            self.facts.local_defs.setdefault(self.functions[-1].key, {})[function.name] = function
        for decorator in node.decorators:
            target = decorator.decorator
            if last(dotted(target)) in AUTOWIRE:
                # `@svcs.autowire` on a def: svcs wraps it at definition time.
                self.facts.autowired.append(
                    (decorator, node.name, last(dotted(target)) == "aautowire")
                )
                self.facts.scopes[id(decorator)] = self.scope()
        self.functions.append(function)
        self.kinds.append("def")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.kinds.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self.kinds or self.kinds[-1] == "def":
            facts = _class_facts(node, self.facts.module)
            facts.scope = self.scope()
            if not self.functions:
                self.facts.classes[facts.name] = facts
            else:
                self.facts.local_defs.setdefault(self.functions[-1].key, {})[facts.name] = facts
            if "injectable" in facts.decorators:
                # svcs-di / hopscotch: registered by a later scan(); the rules cannot see where.
                self.facts.opaque.append((self.scope(), self.in_test()))
            if "middleware" in facts.decorators and not self.functions:
                self.facts.global_middleware.append((node.name, facts.name))
                self.facts.scopes[id(node.name)] = ()
            if not self.functions:
                for decorator in node.decorators:
                    if (
                        isinstance(decorator.decorator, cst.Call)
                        and last(dotted(decorator.decorator.func)) == "hookable"
                    ):
                        self._phase_map(decorator.decorator, facts.name)
        self.kinds.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.kinds.pop()

    # handlers ---------------------------------------------------------------------------

    def visit_Try(self, node: cst.Try) -> None:
        caught = False
        for handler in node.handlers:
            if handler.type is None:
                caught = True
                continue
            types = (
                [e.value for e in handler.type.elements]
                if isinstance(handler.type, cst.Tuple)
                else [handler.type]
            )
            caught = caught or any(last(dotted(t)) in NOT_FOUND_ERRORS for t in types)
        if caught:
            self.handled.update(id(n) for n in _calls_in(node.body))

    # imports ----------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self._bind(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._bind(node)

    def _bind(self, node: cst.Import | cst.ImportFrom) -> None:
        for local, imported, rebinds in import_bindings(node):
            value = (imported.module, imported.name, imported.level)
            if rebinds:
                self.facts.imports[local] = value
            else:
                self.facts.imports.setdefault(local, value)

    # calls ------------------------------------------------------------------------------

    def _current(self) -> Function | None:
        return self.functions[-1] if self.functions else None

    def _qualified(self, func: cst.BaseExpression) -> str:
        """The dotted name of a callee with its import resolved (`svcs.flask.get`)."""
        name = dotted(func)
        if name is None:
            return ""
        head, _, rest = name.partition(".")
        imported = self.facts.imports.get(head)
        if imported is None:
            return name
        module, attr, _ = imported
        base = f"{module}.{attr}" if attr else module
        return f"{base}.{rest}" if rest else base

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        method = (
            func.attr.value
            if isinstance(func, cst.Attribute)
            else (func.value if isinstance(func, cst.Name) else "")
        )
        qualified = self._qualified(func)
        self.order += 1
        if method:
            self.facts.call_sites.append((method, self.scope(), self.in_test()))
        if method in REGISTRY_MAKERS:
            self.facts.creates_registry = True
        if method in OPAQUE_CALLS:
            self.facts.opaque.append((self.scope(), self.in_test()))
        elif method == "inject" and node.args and node.args[0].keyword is None:
            self.facts.injected.add(type_key(self.facts.module, node.args[0].value))
        if method in REGISTER_METHODS:
            self._registration(node, method, qualified)
        elif method in REQUEST_METHODS:
            self._request(node, method, qualified)
        elif method in AUTOWIRE and node.args:
            self.facts.autowired.append((node, node.args[0].value, method == "aautowire"))
            self.facts.scopes[id(node)] = self.scope()
        elif method == "register_middleware" and len(node.args) >= 2:
            self.facts.global_middleware.append((node, node.args[1].value))
            self.facts.scopes[id(node)] = self.scope()
        elif method == "register_hookable":
            target = dotted(node.args[1].value) if len(node.args) > 1 else None
            self._phase_map(node, target)
        elif method in (
            "execute_middleware",
            "execute_middleware_async",
            "execute_target_middleware",
        ):
            self._execution(node, method)

    def _registration(self, node: cst.Call, method: str, qualified: str) -> None:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        parts = qualified.split(".")
        integration = (
            len(parts) >= 2 and parts[0] == "svcs" and parts[1] in INTEGRATIONS
        ) or parts[0] in SEPARATE_INTEGRATIONS
        if integration or len(positional) >= 3:
            positional = positional[1:]  # svcs.flask.register_factory(app, T, f)
        svc_type = keywords.get("svc_type") or (positional[0] if positional else None)
        factory = (
            keywords.get("factory")
            or keywords.get("value")
            or (positional[1] if len(positional) > 1 else None)
        )
        if svc_type is None:
            return
        module = self.facts.module
        current = self._current()
        opaque = not self._looks_like_type(svc_type)
        if opaque and current is not None and dotted(svc_type) in {p.name for p in current.params}:
            # A wrapper forwarding its parameter (`def register(app, svc_type, f)`): its
            # callers make the registrations (see `forwarders`).
            self.facts.forwarders.add(current.name)
            return
        self.facts.registrations.append(
            Registration(
                node=node,
                method=method,
                svc_type=module.code_for_node(svc_type),
                key=type_key(module, svc_type),
                type_node=svc_type,
                factory=factory,
                factory_code=module.code_for_node(factory) if factory is not None else "",
                kind="value" if method.endswith("_value") else "factory",
                local="local" in method,
                keywords={k: module.code_for_node(v) for k, v in keywords.items()},
                function=current.name if current else None,
                scope=self.scope(),
                order=self.order,
                in_test=self.in_test(),
                opaque=opaque,
            )
        )

    def _request(self, node: cst.Call, method: str, qualified: str) -> None:
        func = node.func
        parts = qualified.split(".")
        separate = parts[0] in SEPARATE_INTEGRATIONS and len(parts) == 2
        integration = (
            len(parts) >= 3 and parts[0] == "svcs" and parts[1] in INTEGRATIONS
        ) or separate
        args = [a for a in node.args]
        if any(a.keyword is not None or a.star for a in args) or not args:
            return
        values = [a.value for a in args]
        if integration:
            receiver = qualified
            if separate or parts[1] in ("starlette", "aiohttp", "pyramid"):
                values = values[1:]  # svcs.starlette.aget(request, T)
        elif isinstance(func, cst.Attribute):
            receiver = self.facts.module.code_for_node(func.value)
            if not self._looks_like_container(func.value, receiver):
                return
        else:
            return
        if not values or not all(self._looks_like_type(v) for v in values):
            return
        module = self.facts.module
        current = self._current()
        request = Request(
            node=node,
            method=method,
            types=[(module.code_for_node(v), type_key(module, v), v) for v in values],
            receiver=receiver,
            function=current.name if current else None,
            scope=self.scope(),
            order=self.order,
            handled=id(node) in self.handled,
            in_test=self.in_test(),
        )
        self.facts.requests.append(request)
        if current is not None:
            current.requests.append(request)

    def _looks_like_container(self, node: cst.BaseExpression, text: str) -> bool:
        lowered = text.lower()
        if any(word in lowered for word in ("container", "services", "svcs")):
            return True
        name = dotted(node)
        if name is None:
            return False
        for function in reversed(self.functions):
            for param in function.params:
                if param.name == name and last(param.annotation) in CONTAINER_TYPES:
                    return True
        return False

    @staticmethod
    def _looks_like_type(node: cst.BaseExpression) -> bool:
        name = dotted(node)
        if name is not None:
            tail = last(name)
            return tail[:1].isupper() or tail in BUILTIN_TYPES
        if isinstance(node, cst.Subscript):
            return last(dotted(node.value)) in ("Annotated", "NewType")
        return False

    def _phase_map(self, call: cst.Call, target: str | None) -> None:
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "middleware":
                continue
            if not isinstance(arg.value, cst.Dict):
                continue
            for element in arg.value.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                if not isinstance(element.key, cst.SimpleString):
                    continue
                phase = element.key.evaluated_value
                if not isinstance(phase, str):
                    continue
                values: list[cst.BaseExpression] = []
                if isinstance(element.value, (cst.List, cst.Tuple)):
                    values = [e.value for e in element.value.elements if isinstance(e, cst.Element)]
                self.facts.phases.append(PhaseEntry(phase, element.key, values, target))

    def _execution(self, node: cst.Call, method: str) -> None:
        if method == "execute_middleware":
            self.facts.executions.append(Execution(node, "sync", None))
            return
        if method == "execute_middleware_async":
            self.facts.executions.append(Execution(node, "async", None))
            return
        phase: str | None = "before"  # tdom-svcs's default
        positional = [a.value for a in node.args if a.keyword is None]
        chosen = next(
            (a.value for a in node.args if a.keyword and a.keyword.value == "phase"), None
        )
        if chosen is None and len(positional) >= 4:
            chosen = positional[3]
        if chosen is not None:
            value = chosen.evaluated_value if isinstance(chosen, cst.SimpleString) else None
            phase = value if isinstance(value, str) else None
        self.facts.executions.append(Execution(node, "target", phase))


def build_facts(path: str, source: str) -> ModuleFacts:
    """Parse `source` and collect its svcs facts.

    Raises:
        libcst.ParserSyntaxError: The source does not parse.
    """
    module = parse_module(source)
    facts = ModuleFacts(path=path, source=source, module=module)
    walk(module, _Builder(facts))
    return facts
