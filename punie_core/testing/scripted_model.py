"""A real OpenAI-compatible model server on loopback that replays scripted replies (tests, benches).

It speaks the same HTTP as mlx_lm.server or llama.cpp's server: `POST /v1/chat/completions`
(streamed as SSE with a final usage chunk, or not streamed), `GET /v1/models`, `GET /health`.
Each request takes the next reply of the script; the script is a list of replies or a callable
`(request_body, index) -> reply`. Every request is recorded, so tests can assert what Punie
sent. A reply is a `Reply` or a dict with the same keys:

    {"text": "Done."}
    {"tool_calls": [{"name": "execute_code", "arguments": {"code": "print(1)"}}]}
    {"text_tool_calls": [{"name": "read_file", "arguments": {}}], "style": "qwen3-xml"}
    {"reasoning": "Let me look.", "text": "..."}            # streamed as reasoning_content
    {"status": 500, "error": "model exploded"}              # an HTTP error reply
    {"hang": true}                                          # never answer (cancellation tests)

In process:

    with ScriptedModelServer([{"text": "hi"}]) as server:
        server.base_url        # http://127.0.0.1:PORT/v1
        server.model_string    # local:http://127.0.0.1:PORT/v1
        server.requests        # [RecordedRequest(path, headers, body), ...]

As a process (prints the base URL as stdout line 1, serves until SIGTERM/SIGINT):

    python -m punie_core.testing.scripted_model --script replies.json --port 0
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOOL_CALL_STYLES = ("qwen3-xml", "hermes", "hermes-untagged", "json", "json-string-args")
"""Ways a model writes a tool call as text (what `agent.recovery` turns back into calls)."""


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def tool_call_text(name: str, arguments: dict[str, Any], style: str = "hermes") -> str:
    """Write one tool call as a model would in plain text, in one of `TOOL_CALL_STYLES`.

    Args:
        name: The tool's name.
        arguments: The call's arguments.
        style: `qwen3-xml` (`<tool_call><function=NAME><parameter=ARG>`), `hermes` (JSON in
            `<tool_call>` tags), `hermes-untagged` (the same JSON without tags), `json`
            (`{"name", "arguments"}`) or `json-string-args` (arguments as a JSON string).
    """
    if style == "qwen3-xml":
        params = "".join(
            f"<parameter={key}>\n{_param_text(value)}\n</parameter>\n"
            for key, value in arguments.items()
        )
        return f"<tool_call>\n<function={name}>\n{params}</function>\n</tool_call>"
    payload = {"name": name, "arguments": arguments}
    if style == "hermes":
        return f"<tool_call>\n{json.dumps(payload)}\n</tool_call>"
    if style in ("hermes-untagged", "json"):
        return json.dumps(payload)
    if style == "json-string-args":
        return json.dumps({"name": name, "arguments": json.dumps(arguments)})
    raise ValueError(f"unknown tool call style {style!r}; use one of {', '.join(TOOL_CALL_STYLES)}")


@dataclass
class Reply:
    """One scripted reply of the model.

    Attributes:
        text: Assistant text (`content`).
        tool_calls: Structured tool calls: `{"name", "arguments" (dict or JSON string), "id"?}`.
        text_tool_calls: Tool calls written into the text in `style` (appended to `text`).
        style: The text style of `text_tool_calls` (see `TOOL_CALL_STYLES`).
        reasoning: Thinking, sent as `reasoning_content`.
        finish_reason: Defaults to `tool_calls` when there are structured calls, else `stop`.
        usage: `{"prompt_tokens", "completion_tokens"}`; estimated from the request when omitted.
        status: HTTP status; anything but 200 sends `{"error": {"message": error}}`.
        error: The error message for a non-200 status.
        hang: Never answer (until the client goes away or the server stops).
        delay: Seconds to wait before answering.
        chunk_delay: Seconds between streamed chunks.
        chunks: How many pieces streamed text and arguments are cut into.
    """

    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    text_tool_calls: list[dict[str, Any]] = field(default_factory=list)
    style: str = "hermes"
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    status: int = 200
    error: str | None = None
    hang: bool = False
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunks: int = 3

    @classmethod
    def of(cls, value: Reply | dict[str, Any] | str) -> Reply:
        """A `Reply` from a reply, a dict of its fields, or plain text."""
        if isinstance(value, Reply):
            return value
        if isinstance(value, str):
            return cls(text=value)
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"unknown reply keys {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**value)

    def content(self) -> str | None:
        """The assistant text, with the text tool calls written in."""
        pieces = [self.text] if self.text else []
        pieces += [
            tool_call_text(c["name"], c.get("arguments", {}), self.style)
            for c in self.text_tool_calls
        ]
        return "\n".join(pieces) if pieces else self.text

    def calls(self) -> list[dict[str, Any]]:
        """Structured tool calls in OpenAI's wire shape (arguments as a JSON string)."""
        wire = []
        for i, call in enumerate(self.tool_calls):
            arguments = call.get("arguments", {})
            wire.append(
                {
                    "id": call.get("id") or f"call_{uuid.uuid4().hex[:12]}_{i}",
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": arguments
                        if isinstance(arguments, str)
                        else json.dumps(arguments),
                    },
                }
            )
        return wire


Script = (
    Sequence[Reply | dict[str, Any] | str]
    | Callable[[dict[str, Any], int], Reply | dict[str, Any] | str]
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received.

    Attributes:
        method: `GET` or `POST`.
        path: The request path.
        headers: Request headers (lower-case names).
        body: The parsed JSON body (empty for GET).
        received: `time.perf_counter()` when the body had arrived (before parsing it).
        answered: `time.perf_counter()` when the last byte of the reply was written.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float
    answered: float = 0.0


def estimate_tokens(text: str) -> int:
    """Token estimate used for scripted usage (the same estimate `punie prompt --tokens` shows)."""
    # Here, not at the top: the scripted server process starts without pluggy and pydantic.
    from punie_core.plugins.prompt import estimate_tokens as estimate

    return estimate(text)


def request_tokens(body: dict[str, Any]) -> int:
    """Estimated prompt tokens of a chat request: every message and the tool definitions."""
    total = 0
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        total += 4 + estimate_tokens(content or "")
        for call in message.get("tool_calls") or []:
            total += estimate_tokens(json.dumps(call.get("function", {})))
    if body.get("tools"):
        total += estimate_tokens(json.dumps(body["tools"]))
    return total


def _pieces(text: str, count: int) -> list[str]:
    if not text:
        return []
    count = max(1, min(count, len(text)))
    size = -(-len(text) // count)
    return [text[i : i + size] for i in range(0, len(text), size)]


class ScriptedModelServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 replaying a script (context manager).

    Args:
        script: Replies in order, or `fn(request_body, index) -> reply`.
        port: 0 for a free port.
        model_id: What `GET /v1/models` lists.
        owned_by: The `owned_by` of that model (servers identify themselves this way).
        server_header: The `Server` response header (another identification clue).
        repeat_last: After the script runs out, repeat its last reply instead of failing.
    """

    def __init__(
        self,
        script: Script = (),
        *,
        port: int = 0,
        model_id: str = "scripted",
        owned_by: str = "punie-scripted",
        server_header: str = "punie-scripted",
        repeat_last: bool = False,
    ) -> None:
        self.script = script if callable(script) else [Reply.of(r) for r in script]
        self.model_id = model_id
        self.owned_by = owned_by
        self.server_header = server_header
        self.repeat_last = repeat_last
        self.requests: list[RecordedRequest] = []
        self._count = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model_string(self) -> str:
        """The Punie model string that talks to this server."""
        return f"local:{self.base_url}"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the `POST .../chat/completions` requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> ScriptedModelServer:
        # A short poll interval makes `stop()` return at once (serve_forever polls for shutdown).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="scripted-model",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_reply(self, body: dict[str, Any]) -> Reply:
        """The reply for this request (taken from the script under a lock)."""
        with self._lock:
            index = self._count
            self._count += 1
        if callable(self.script):
            return Reply.of(self.script(body, index))
        if index < len(self.script):
            return self.script[index]
        if self.repeat_last and self.script:
            return self.script[-1]
        return Reply(
            status=500, error=f"scripted model: script exhausted after {len(self.script)} replies"
        )


def _handler_for(server: ScriptedModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Small SSE writes must leave at once: Nagle plus delayed ACK would add ~40 ms each.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep stderr quiet
            pass

        def version_string(self) -> str:
            return server.server_header

        def _json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, body: dict[str, Any], received: float | None = None) -> RecordedRequest:
            return RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                received=received or time.perf_counter(),
            )

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/_scripted/requests":
                # For benchmarks in another process: how long the server itself took per request.
                timings = [
                    {"path": r.path, "ms": (r.answered - r.received) * 1000 if r.answered else None}
                    for r in list(server.requests)
                ]
                self._json(200, timings)
                return
            record = self._record({})
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"id": server.model_id, "object": "model", "owned_by": server.owned_by}
                        ],
                    },
                )
            elif self.path.rstrip("/") in ("/health", "/v1/health"):
                self._json(200, {"status": "ok"})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})
            server.requests.append(_answered(record))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            received = time.perf_counter()  # the server's own time starts once the body is in
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                self._json(400, {"error": {"message": f"request body is not JSON: {exc}"}})
                return
            record = self._record(body, received)
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                server.requests.append(_answered(record))
                return
            try:
                reply = server.next_reply(body)
            except Exception as exc:  # a broken script callable: answer, never kill the server
                reply = Reply(
                    status=500, error=f"scripted model: script raised {type(exc).__name__}: {exc}"
                )
            server.requests.append(record)
            index = len(server.requests) - 1
            if reply.hang:
                # Wait until the client goes away or the server stops; poll the socket, not a clock.
                self._hang()
                return
            if reply.delay:
                server._stopping.wait(reply.delay)
            if reply.status != 200:
                self._json(
                    reply.status,
                    {"error": {"message": reply.error or "error", "type": "server_error"}},
                )
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                self._json(200, completion(body, reply, server.model_id))
            server.requests[index] = _answered(record)

        def _hang(self) -> None:
            self.close_connection = True
            while not server._stopping.is_set():
                ready, _, _ = select.select([self.connection], [], [], 0.05)
                if ready:
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            return  # the client closed the connection
                    except OSError:
                        return
                    server._stopping.wait(0.05)

        def _stream(self, body: dict[str, Any], reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in stream_chunks(body, reply, server.model_id):
                    data = (
                        f"data: {json.dumps(chunk)}\n\n".encode() if chunk else b"data: [DONE]\n\n"
                    )
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                    if reply.chunk_delay:
                        server._stopping.wait(reply.chunk_delay)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def _answered(record: RecordedRequest) -> RecordedRequest:
    return replace(record, answered=time.perf_counter())


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    if reply.usage is not None:
        prompt = reply.usage.get("prompt_tokens", 0)
        completion_tokens = reply.usage.get("completion_tokens", 0)
    else:
        prompt = request_tokens(body)
        produced = (reply.content() or "") + (reply.reasoning or "")
        produced += "".join(
            c["function"]["name"] + c["function"]["arguments"] for c in reply.calls()
        )
        completion_tokens = estimate_tokens(produced)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def completion(body: dict[str, Any], reply: Reply, model_id: str = "scripted") -> dict[str, Any]:
    """The non-streamed `chat.completion` object for a reply."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content()}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    calls = reply.calls()
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or model_id,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(reply)}],
        "usage": _usage(body, reply),
    }


def stream_chunks(
    body: dict[str, Any], reply: Reply, model_id: str = "scripted"
) -> Iterator[dict[str, Any] | None]:
    """The `chat.completion.chunk` objects of a streamed reply; `None` stands for `[DONE]`."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model") or model_id,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply.reasoning or "", reply.chunks):
        yield chunk({"reasoning_content": piece})
    for piece in _pieces(reply.content() or "", reply.chunks):
        yield chunk({"content": piece})
    for index, call in enumerate(reply.calls()):
        function = call["function"]
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": function["name"], "arguments": ""},
                    }
                ]
            }
        )
        for piece in _pieces(function["arguments"], reply.chunks):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _finish_reason(reply))
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(body, reply)}
    yield None


def load_script(path: str | Path) -> list[Reply]:
    """Read a script file: a JSON list of replies, or `{"replies": [...]}`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("replies", data.get("responses"))
    if not isinstance(data, list):
        raise ValueError(f'{path}: expected a JSON list of replies or {{"replies": [...]}}')
    return [Reply.of(r) for r in data]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m punie_core.testing.scripted_model --script FILE [--port 0]`: serve."""
    parser = argparse.ArgumentParser(
        prog="python -m punie_core.testing.scripted_model", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--script", required=True, help="JSON file: a list of replies")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument(
        "--repeat-last", action="store_true", help="repeat the last reply when the script runs out"
    )
    parser.add_argument("--model-id", default="scripted")
    parser.add_argument("--owned-by", default="punie-scripted")
    args = parser.parse_args(argv)
    try:
        script = load_script(args.script)
    except (OSError, ValueError) as exc:
        print(f"scripted_model: {exc}", file=sys.stderr)
        return 2
    server = ScriptedModelServer(
        script,
        port=args.port,
        repeat_last=args.repeat_last,
        model_id=args.model_id,
        owned_by=args.owned_by,
    )
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with server:
        print(server.base_url, flush=True)
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
