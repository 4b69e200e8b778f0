"""Eager event delivery: a send that can finish at once finishes before the publisher goes on."""

from __future__ import annotations

import asyncio

from punie_core.web.push import PushStream, run_eagerly


def test_a_coroutine_that_does_not_wait_finishes_synchronously(agent_loop):
    async def scenario():
        written: list[str] = []
        outcomes: list[object] = []

        async def send(text):
            written.append(text)

        run_eagerly(send("now"), outcomes.append)
        assert written == ["now"] and outcomes == [None]  # before any trip round the loop

    agent_loop.run(scenario())


def test_a_coroutine_that_waits_is_finished_by_the_loop_with_its_result_or_error(agent_loop):
    async def scenario():
        gate = asyncio.get_running_loop().create_future()
        steps: list[str] = []
        outcomes: list[object] = []

        async def send():
            steps.append("start")
            await asyncio.sleep(0)
            steps.append("after yield")
            await gate
            steps.append("after gate")
            raise ValueError("broken pipe")

        run_eagerly(send(), outcomes.append)
        assert steps == ["start"] and outcomes == []
        await asyncio.sleep(0)
        assert steps == ["start", "after yield"]
        gate.set_result(None)
        await asyncio.sleep(0)
        assert steps == ["start", "after yield", "after gate"]
        assert [type(o) for o in outcomes] == [ValueError]

    agent_loop.run(scenario())


def test_a_stream_keeps_order_while_the_transport_pushes_back_and_drops_a_client_far_behind(
    monkeypatch, agent_loop
):
    async def scenario():
        import punie_core.web.push as push

        monkeypatch.setattr(push, "BACKLOG_LIMIT", 3)
        sent: list[bytes] = []
        gates: list[asyncio.Future] = []
        disconnect = asyncio.get_running_loop().create_future()

        async def send(message):
            if message["type"] == "http.response.body" and message["body"] == b"slow":
                gate = asyncio.get_running_loop().create_future()
                gates.append(gate)
                await gate
            sent.append(message.get("body", b"start"))

        async def receive():
            return await disconnect

        streams: list[PushStream] = []
        stream = PushStream(on_open=streams.append)
        serving = asyncio.ensure_future(stream(None, receive, send))
        while not streams:
            await asyncio.sleep(0)
        stream.deliver(b"one")
        stream.deliver(b"slow")
        stream.deliver(b"two")
        stream.deliver(b"three")
        assert sent == [b"start", b"one"]  # "slow" waits on the transport; the rest queue
        gates[0].set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent == [b"start", b"one", b"slow", b"two", b"three"]
        stream.deliver(b"slow")
        for n in range(4):
            stream.deliver(b"x%d" % n)
        assert stream.closed  # the backlog overflowed: the client must reconnect and catch up
        gates[1].set_result(None)
        disconnect.set_result({"type": "http.disconnect"})
        await asyncio.wait_for(serving, 5)

    agent_loop.run(scenario())


def test_keepalive_comments_flow_when_nothing_happens(monkeypatch, agent_loop):
    async def scenario():
        import punie_core.web.push as push

        monkeypatch.setattr(push, "KEEPALIVE_SECONDS", 0.01)
        sent: list[bytes] = []
        disconnect = asyncio.get_running_loop().create_future()

        async def send(message):
            sent.append(message.get("body", b""))

        async def receive():
            return await disconnect

        stream = PushStream()
        serving = asyncio.ensure_future(stream(None, receive, send))
        while sent.count(push.KEEPALIVE) < 2:
            await asyncio.sleep(0.01)
        disconnect.set_result({"type": "http.disconnect"})
        await asyncio.wait_for(serving, 5)
        assert sent[-1] == b""  # the response ended properly

    agent_loop.run(scenario())
