"""The permission broker: one request asked of several askers at once; the first answer wins."""

from __future__ import annotations

import asyncio

import pytest

from punie_core.agent.approvals import (
    ApprovalRequested,
    ApprovalResolved,
    Decision,
    PermissionBroker,
)
from punie_core.plugins.context import AutoApprove, PermissionRequest, RefuseAll

REQUEST = PermissionRequest(
    call_id="call_1", tool="write_file", kind="edit", title="write_file(a.py)", arguments={}
)


class Person:
    """An asker that waits until the test answers for it (like a dialog in an IDE or a browser)."""

    def __init__(self) -> None:
        self.asked: list[PermissionRequest] = []
        self.told: list[Decision] = []
        self.answer: asyncio.Future[bool] | None = None
        self.cancelled = False

    async def ask(self, request: PermissionRequest) -> bool:
        self.asked.append(request)
        self.answer = asyncio.get_running_loop().create_future()
        try:
            return await self.answer
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def tell(self, request: PermissionRequest, decision: Decision) -> None:
        self.told.append(decision)


async def until(condition) -> None:
    while not condition():
        await asyncio.sleep(0)


def test_the_first_answer_wins_and_the_other_asker_is_cancelled_and_told(agent_loop):
    async def scenario():
        broker = PermissionBroker()
        ide, browser = Person(), Person()
        broker.add("ide", ide.ask, told=ide.tell)
        broker.add("browser", browser.ask, told=browser.tell)
        events: list[object] = []
        broker.subscribe(events.append)
        decision = asyncio.ensure_future(broker.decide(REQUEST))
        await until(lambda: ide.answer is not None and browser.answer is not None)
        assert broker.pending() == [REQUEST]
        browser.answer.set_result(True)
        result = await decision
        assert result == Decision(True, "browser")
        assert ide.cancelled and ide.told == [Decision(True, "browser")]
        assert browser.told == []
        assert broker.pending() == []
        assert [type(e) for e in events] == [ApprovalRequested, ApprovalResolved]
        assert events[0].askers == ("ide", "browser")

    agent_loop.run(scenario())


def test_a_refusal_also_wins_and_names_who_refused_in_the_hint(agent_loop):
    async def scenario():
        broker = PermissionBroker()
        ide, browser = Person(), Person()
        broker.add("ide", ide.ask, hint=lambda: "rejected in the IDE")
        broker.add("browser", browser.ask)
        approval = asyncio.ensure_future(broker.approve(REQUEST))
        await until(lambda: ide.answer is not None)
        ide.answer.set_result(False)
        assert await approval is False
        assert broker.hint == "rejected in the IDE"
        approval = asyncio.ensure_future(broker.approve(REQUEST))
        await until(lambda: browser.answer is not None and not browser.answer.done())
        browser.answer.set_result(False)
        assert await approval is False
        assert broker.hint == "rejected in the browser"

    agent_loop.run(scenario())


def test_without_askers_the_fallback_decides(agent_loop):
    async def scenario():
        assert await PermissionBroker().approve(REQUEST) is False
        assert await PermissionBroker(fallback=AutoApprove()).approve(REQUEST) is True
        refuse = RefuseAll(hint="run with --yes")
        broker = PermissionBroker(fallback=refuse)
        assert await broker.decide(REQUEST) == Decision(False, "fallback")
        assert broker.hint == "run with --yes"

    agent_loop.run(scenario())


def test_a_failing_asker_counts_as_no_answer_and_all_failing_refuses(capsys, agent_loop):
    async def broken(request):
        raise ConnectionError("the IDE went away")

    async def scenario():
        broker = PermissionBroker()
        browser = Person()
        broker.add("ide", broken)
        broker.add("browser", browser.ask)
        approval = asyncio.ensure_future(broker.approve(REQUEST))
        await until(lambda: browser.answer is not None)
        await asyncio.sleep(0)
        browser.answer.set_result(True)
        assert await approval is True
        only_broken = PermissionBroker(fallback=AutoApprove())
        only_broken.add("ide", broken)
        assert await only_broken.decide(REQUEST) == Decision(False, "error")

    agent_loop.run(scenario())
    assert "the IDE went away" in capsys.readouterr().err


def test_cancelling_the_wait_cancels_and_tells_every_asker(agent_loop):
    async def scenario():
        broker = PermissionBroker()
        ide, browser = Person(), Person()
        broker.add("ide", ide.ask, told=ide.tell)
        broker.add("browser", browser.ask, told=browser.tell)
        resolved: list[object] = []
        broker.subscribe(lambda e: resolved.append(e) if isinstance(e, ApprovalResolved) else None)
        waiting = asyncio.ensure_future(broker.approve(REQUEST))
        await until(lambda: ide.answer is not None and browser.answer is not None)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert ide.cancelled and browser.cancelled
        assert ide.told == browser.told == [Decision(False, "cancelled")]
        assert resolved[0].decision == Decision(False, "cancelled")
        assert broker.pending() == []

    agent_loop.run(scenario())


def test_asker_names_are_unique_and_removable():
    broker = PermissionBroker()
    remove = broker.add("ide", Person().ask)
    with pytest.raises(ValueError, match="already registered"):
        broker.add("ide", Person().ask)
    remove()
    assert broker.askers == ()


def test_a_broken_listener_does_not_break_the_decision(capsys, agent_loop):
    def broken(event):
        raise RuntimeError("display exploded")

    async def scenario():
        broker = PermissionBroker(fallback=AutoApprove())
        broker.subscribe(broken)
        assert await broker.approve(REQUEST) is True

    agent_loop.run(scenario())
    assert "display exploded" in capsys.readouterr().err
