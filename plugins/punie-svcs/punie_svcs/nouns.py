"""The svcs domain nouns: service registrations, requests and middleware."""

from __future__ import annotations

from pydantic import BaseModel


class ServiceRegistration(BaseModel):
    """How a service type is made: one `register_factory`/`register_value` call (or `@injectable`).

    Attributes:
        service_type: The type the service is looked up by, as written (`Database`,
            `Annotated[Conn, "primary"]`).
        factory: The factory (or value) expression, for example `connect_db` or
            `svcs.autowire(Mailer)`.
        kind: `factory` (called to create the service), `value` (an existing object) or
            `injectable` (a class registered by decorator and scanning).
        lifecycle: `value`: one object for the registry's life; `per_container`: created
            on first `get` in each container and cached until it closes; `local`: registered
            on one container only (`register_local_*`), gone when it closes.
        is_async: True when the factory is async (fetch it with `await container.aget(T)`).
        takes_container: True when the factory receives the container (first parameter
            named `svcs_container` or annotated `svcs.Container`).
        ping: The health-check callable (`ping=`), if any.
        cleanup: How the service is cleaned up when its container closes: `generator`
            (code after `yield`), `context_manager`, `on_registry_close` (when the registry
            closes), or `none`.
        path: The file holding the registration, relative to the workspace.
        line: Its line.
    """

    service_type: str
    factory: str
    kind: str = "factory"
    lifecycle: str = "per_container"
    is_async: bool = False
    takes_container: bool = False
    ping: str | None = None
    cleanup: str = "none"
    path: str = ""
    line: int = 0


class MiddlewareSpec(BaseModel):
    """One middleware of tdom-svcs: a class with `priority` and `__call__(target, props, context)`.

    Global middleware (`@middleware` or `register_middleware(registry, Cls)`) runs in
    `execute_middleware` (sync) or `execute_middleware_async` for every target, sorted by
    priority ascending; returning None halts the chain. Phase middleware is attached to
    one target with `@hookable(middleware={"rendering": [Cls]})` and runs in
    `execute_target_middleware(target, props, container, phase)` (sync only).

    Attributes:
        name: The middleware class.
        priority: Its `priority` (lower runs first); None when missing (AttributeError).
        phase: The phase it is attached to; None for the global chain.
        target: The hookable target for phase middleware.
        is_async: True when `__call__` is `async def` (only `execute_middleware_async` runs it).
        path: The file defining the class, relative to the workspace.
        line: Its line.
    """

    name: str
    priority: int | None = None
    phase: str | None = None
    target: str | None = None
    is_async: bool = False
    path: str = ""
    line: int = 0
