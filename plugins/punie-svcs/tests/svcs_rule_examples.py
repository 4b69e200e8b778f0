"""One flagged and one deliberately-not-flagged example per svcs registry and lifecycle rule.

docs/rules.md shows them. Each example is a module with `main()`; `outcome` is what real svcs
26.2 does when `main()` runs: an exception name, or `value:X` for what `main()` returns.
test_svcs_real_code.py checks both halves statically and by running them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    rule: str
    flagged: str
    flagged_outcome: str
    clean: str
    clean_outcome: str


EXAMPLES = (
    Example(
        "SVCS003",
        """import svcs


class Mailer:
    def __init__(self, host: str) -> None:
        self.host = host


def make_mailer(host: str) -> Mailer:
    return Mailer(host)


def main():
    registry = svcs.Registry()
    registry.register_factory(Mailer, make_mailer)
    return svcs.Container(registry).get(Mailer).host
""",
        "TypeError",
        """from dataclasses import dataclass, field

import svcs


class Settings:
    host = "smtp.example.com"


@dataclass
class Outbox:
    container: svcs.Container  # svcs passes the container to this first parameter
    sent: list[str] = field(init=False)  # not a parameter of __init__

    def __post_init__(self) -> None:
        self.sent = []


@svcs.autowire  # the decorator form the svcs docs recommend
def make_host(settings: Settings) -> str:
    return settings.host


def main():
    registry = svcs.Registry()
    registry.register_value(Settings, Settings())
    registry.register_factory(str, make_host)
    registry.register_factory(Outbox, Outbox)
    container = svcs.Container(registry)
    return container.get(str), container.get(Outbox).sent
""",
        "value:('smtp.example.com', [])",
    ),
    Example(
        "SVCS004",
        """import svcs

released = []


class Connection:
    pass


def connect():
    connection = Connection()
    yield connection
    released.append(connection)


def main():
    registry = svcs.Registry()
    registry.register_factory(Connection, connect, suppress_context_exit=False)
    try:
        with svcs.Container(registry) as container:
            container.get(Connection)
            raise ValueError("the request failed")
    except ValueError:
        pass
    return len(released)
""",
        "value:0",
        """import svcs

released = []


class Connection:
    pass


def connect():
    connection = Connection()
    yield connection
    released.append(connection)  # runs: svcs exits without the error by default


def main():
    registry = svcs.Registry()
    registry.register_factory(Connection, connect)
    try:
        with svcs.Container(registry) as container:
            container.get(Connection)
            raise ValueError("the request failed")
    except ValueError:
        pass
    return len(released)
""",
        "value:1",
    ),
    Example(
        "SVCS005",
        """import svcs


class Session:
    pass


def open_session():
    yield Session()


def main():
    return svcs.autowire(open_session)
""",
        "TypeError",
        """from contextlib import contextmanager

import svcs


class Session:
    pass


@contextmanager
def open_session():
    yield Session()


def main():
    registry = svcs.Registry()
    registry.register_factory(Session, svcs.autowire(open_session))
    return type(svcs.Container(registry).get(Session)).__name__
""",
        "value:Session",
    ),
    Example(
        "SVCS010",
        """import svcs


class Payments:
    pass


class Ledger:
    pass


def main():
    registry = svcs.Registry()
    registry.register_value(Ledger, Ledger())
    return svcs.Container(registry).get(Payments)
""",
        "ServiceNotFoundError",
        """import svcs
from svcs.exceptions import ServiceNotFoundError


class Payments:
    pass


class Ledger:
    pass


def create_app() -> svcs.Registry:
    registry = svcs.Registry()
    registry.register_value(Ledger, Ledger())
    return registry


def main():
    container = svcs.Container(create_app())
    try:
        return container.get(Payments)
    except ServiceNotFoundError:  # handled: payments are optional here
        return type(container.get(Ledger)).__name__
""",
        "value:Ledger",
    ),
    Example(
        "SVCS011",
        """import svcs


class Cache:
    pass


async def make_cache() -> Cache:
    return Cache()


def main():
    registry = svcs.Registry()
    registry.register_factory(Cache, make_cache)
    return svcs.Container(registry).get(Cache)
""",
        "TypeError",
        """import asyncio

import svcs


class Cache:
    pass


async def make_async_cache() -> Cache:
    return Cache()


def make_cache() -> Cache:
    return Cache()


def test_async_cache():
    registry = svcs.Registry()  # this test's own registry
    registry.register_factory(Cache, make_async_cache)
    return asyncio.run(svcs.Container(registry).aget(Cache))


def main():
    registry = svcs.Registry()
    registry.register_factory(Cache, make_cache)
    test_async_cache()
    return type(svcs.Container(registry).get(Cache)).__name__
""",
        "value:Cache",
    ),
    Example(
        "SVCS015",
        """import svcs


class User:
    pass


class Report:
    def __init__(self, user: User) -> None:
        self.user = user


def make_report(svcs_container: svcs.Container) -> Report:
    return Report(svcs_container.get(User))


def main():
    registry = svcs.Registry()
    registry.register_factory(Report, make_report)
    first = svcs.Container(registry)
    first.register_local_value(User, User())
    first.get(Report)
    return svcs.Container(registry).get(Report)
""",
        "ServiceNotFoundError",
        """import svcs


class User:
    pass


class Report:
    def __init__(self, user: User) -> None:
        self.user = user


def make_report(svcs_container: svcs.Container) -> Report:
    return Report(svcs_container.get(User))


def main():
    registry = svcs.Registry()
    registry.register_factory(Report, make_report)
    registry.register_value(User, User())  # a global default; containers may override it
    first = svcs.Container(registry)
    first.register_local_value(User, User())
    first.get(Report)
    return type(svcs.Container(registry).get(Report)).__name__
""",
        "value:Report",
    ),
)
"""Examples of the rules svcs 26.2 can run here (the middleware rules need tdom-svcs)."""
