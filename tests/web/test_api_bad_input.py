"""The prompts API on text no model request can encode: the session keeps working."""

from __future__ import annotations

from tests.web.test_api import EventStream


def test_a_prompt_with_lone_surrogates_does_not_break_the_session(agent):
    session = agent.session([{"text": "one"}, {"text": "two"}])
    path = f"/api/sessions/{session.id}"
    outcomes = []
    stream = EventStream(agent, f"{path}/events")
    # json.dumps writes the lone surrogate as the escape `\udcff`, as a hostile client could.
    for text in ("caf\udcff", "again"):
        status, _ = agent.api(f"{path}/prompts", {"text": text})
        assert status == 202
        finished = stream.until("prompt_finished")[-1][2]
        outcomes.append(finished["data"]["outcome"])
    stream.close()
    assert [o["stop_reason"] for o in outcomes] == ["end_turn", "end_turn"]
    assert [o["output"] for o in outcomes] == ["one", "two"]
    first = agent.servers[-1].chat_requests[0]
    assert "caf?" in str(first.body["messages"][-1]["content"])
