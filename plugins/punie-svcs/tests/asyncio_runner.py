"""A minimal pytest plugin running `async def` tests with `asyncio.run` (loaded with `-p`).

The svcs corpus's async tests are marked for pytest-asyncio, which Punie does not depend
on; its sync fixtures are all these tests need.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
