"""The scripted OpenAI-compatible server: real HTTP, streamed and not, recorded requests."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from punie_core.testing.scripted_model import Reply, ScriptedModelServer, tool_call_text


def post(url: str, body: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def sse_chunks(raw: bytes) -> list[Any]:
    events = [line[len(b"data: ") :] for line in raw.split(b"\n") if line.startswith(b"data: ")]
    return [None if e == b"[DONE]" else json.loads(e) for e in events]


BODY = {"model": "m", "messages": [{"role": "user", "content": "hi there"}]}


def test_replies_in_order_and_records_every_request() -> None:
    with ScriptedModelServer(["first", {"text": "second"}]) as server:
        status1, raw1 = post(server.base_url, BODY)
        status2, raw2 = post(
            server.base_url, {**BODY, "messages": [{"role": "user", "content": "again"}]}
        )
        status3, raw3 = post(server.base_url, BODY)
    assert (status1, status2) == (200, 200)
    assert json.loads(raw1)["choices"][0]["message"]["content"] == "first"
    assert json.loads(raw2)["choices"][0]["message"]["content"] == "second"
    assert status3 == 500 and b"script exhausted after 2 replies" in raw3
    assert [r.body["messages"][0]["content"] for r in server.chat_requests] == [
        "hi there",
        "again",
        "hi there",
    ]
    usage = json.loads(raw1)["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


def test_structured_tool_calls_not_streamed() -> None:
    reply = Reply(
        tool_calls=[{"name": "read_file", "arguments": {"path": "a.txt"}, "id": "call_1"}]
    )
    with ScriptedModelServer([reply]) as server:
        _, raw = post(server.base_url, BODY)
    choice = json.loads(raw)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["id"] == "call_1" and call["function"]["name"] == "read_file"
    assert json.loads(call["function"]["arguments"]) == {"path": "a.txt"}


def test_streamed_reply_has_reasoning_text_tool_call_deltas_and_usage() -> None:
    reply = Reply(
        reasoning="thinking hard",
        text="Reading.",
        tool_calls=[{"name": "read_file", "arguments": {"path": "a.txt"}}],
        chunks=4,
    )
    with ScriptedModelServer([reply]) as server:
        status, raw = post(
            server.base_url, {**BODY, "stream": True, "stream_options": {"include_usage": True}}
        )
    assert status == 200
    chunks = sse_chunks(raw)
    assert chunks[-1] is None
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1] if c["choices"]]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "thinking hard"
    assert "".join(d.get("content") or "" for d in deltas) == "Reading."
    arguments = "".join(
        tc["function"].get("arguments", "") for d in deltas for tc in d.get("tool_calls", [])
    )
    assert json.loads(arguments) == {"path": "a.txt"}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks[:-1] if c["choices"]]
    assert finishes[-1] == "tool_calls"
    assert chunks[-2]["choices"] == [] and chunks[-2]["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize(
    "style", ["qwen3-xml", "hermes", "hermes-untagged", "json", "json-string-args"]
)
def test_text_tool_calls_are_written_into_the_content(style: str) -> None:
    with ScriptedModelServer(
        [
            {
                "text_tool_calls": [{"name": "read_file", "arguments": {"path": "a.txt"}}],
                "style": style,
            }
        ]
    ) as server:
        _, raw = post(server.base_url, BODY)
    choice = json.loads(raw)["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "tool_calls" not in choice["message"]
    assert choice["message"]["content"] == tool_call_text("read_file", {"path": "a.txt"}, style)
    assert "read_file" in choice["message"]["content"] and "a.txt" in choice["message"]["content"]


def test_callable_script_sees_the_request_and_its_index() -> None:
    def script(body: dict[str, Any], index: int) -> dict[str, Any]:
        return {"text": f"{index}:{body['messages'][-1]['content']}"}

    with ScriptedModelServer(script) as server:
        _, a = post(server.base_url, BODY)
        _, b = post(server.base_url, BODY)
    assert json.loads(a)["choices"][0]["message"]["content"] == "0:hi there"
    assert json.loads(b)["choices"][0]["message"]["content"] == "1:hi there"


def test_error_replies_and_a_broken_script_answer_instead_of_crashing() -> None:
    def broken(body: dict[str, Any], index: int) -> dict[str, Any]:
        if index == 0:
            return {"status": 503, "error": "model is loading"}
        raise ValueError("oops")

    with ScriptedModelServer(broken) as server:
        first = post(server.base_url, BODY)
        second = post(server.base_url, BODY)
        bad_json = urllib.request.Request(server.base_url + "/chat/completions", data=b"{nope")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(bad_json, timeout=5)
    assert first[0] == 503 and b"model is loading" in first[1]
    assert second[0] == 500 and b"ValueError: oops" in second[1]
    assert info.value.code == 400


def test_models_and_health_identify_the_server() -> None:
    with ScriptedModelServer(
        [], owned_by="llamacpp", server_header="llama.cpp", model_id="qwen"
    ) as server:
        with urllib.request.urlopen(server.base_url + "/models", timeout=5) as response:
            models = json.loads(response.read())
            header = response.headers["Server"]
        with urllib.request.urlopen(
            f"http://127.0.0.1:{server.port}/health", timeout=5
        ) as response:
            health = json.loads(response.read())
    assert models["data"] == [{"id": "qwen", "object": "model", "owned_by": "llamacpp"}]
    assert header == "llama.cpp" and health == {"status": "ok"}


def test_unknown_reply_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown reply keys"):
        ScriptedModelServer([{"txt": "typo"}])


def test_runs_as_a_process_printing_its_url_first(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"text": "from a process"}]}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "punie_core.testing.scripted_model",
            "--script",
            str(script),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        _, raw = post(url, BODY)
        assert json.loads(raw)["choices"][0]["message"]["content"] == "from a process"
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_process_rejects_a_bad_script_file(tmp_path: Path) -> None:
    script = tmp_path / "bad.json"
    script.write_text('{"not": "a list"}')
    done = subprocess.run(
        [sys.executable, "-m", "punie_core.testing.scripted_model", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "expected a JSON list" in done.stderr
