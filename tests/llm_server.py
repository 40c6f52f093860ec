"""A scripted OpenAI-compatible chat server on 127.0.0.1 for tests: real HTTP, real SSE, real status codes.

The LangChain ``ChatOpenAI`` client talks to it over the wire exactly as it would to vLLM or Ollama. Each
request takes the next scripted :class:`Reply` (the last one repeats); a reply may be a function of the request
(the prompt), so one server can answer many different indicators. Requests, their arrival times and the peak
number in flight are recorded for assertions.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status (429 with ``retry_after``, 500 …), a delay, content, a finish reason."""

    content: str | Callable[[str], str] = ""
    status: int = 200
    retry_after: float | None = None
    delay_s: float = 0.0
    finish_reason: str = "stop"


@dataclass
class Seen:
    """A request as the server received it."""

    at: float
    prompt: str
    stream: bool
    body: dict


@dataclass
class ChatServer:
    """The running server: its ``base_url`` (…/v1), the script, and what it received."""

    base_url: str
    script: list[Reply]
    seen: list[Seen] = field(default_factory=list)
    peak: int = 0
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_script(self, *replies: Reply) -> None:
        """Replace the script and forget earlier requests."""
        with self._lock:
            self.script[:] = list(replies)
            self.seen.clear()
            self.peak = 0

    def _next(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _tokens(text: str) -> int:
    return max(1, len(text) // 2)


def _chunks(content: str, size: int = 40) -> Iterator[str]:
    for i in range(0, len(content), size):
        yield content[i : i + size]


def _app(server: ChatServer) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        reply = server._next()
        with server._lock:
            server.seen.append(Seen(time.monotonic(), prompt, bool(body.get("stream")), body))
            server._active += 1
            server.peak = max(server.peak, server._active)
        try:
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            if reply.status != 200:
                headers = {"retry-after": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
                error = {"error": {"message": f"scripted {reply.status}", "type": "scripted", "code": reply.status}}
                return JSONResponse(error, status_code=reply.status, headers=headers)
            content = reply.content(prompt) if callable(reply.content) else reply.content
            usage = {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(content),
                "total_tokens": _tokens(prompt) + _tokens(content),
            }
            base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body.get("model", "scripted")}
            if body.get("stream"):

                async def events():
                    for piece in _chunks(content):
                        delta = {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}
                        chunk = {**base, "object": "chat.completion.chunk", "choices": [delta]}
                        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
                    end = {"index": 0, "delta": {}, "finish_reason": reply.finish_reason}
                    yield f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [end], 'usage': usage})}\n\n"  # noqa: E501
                    yield "data: [DONE]\n\n"

                return StreamingResponse(events(), media_type="text/event-stream")
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": reply.finish_reason,
            }
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": usage})
        finally:
            with server._lock:
                server._active -= 1

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def chat_server(*replies: Reply) -> Iterator[ChatServer]:
    """Serve the scripted replies on a free loopback port for the duration of the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = ChatServer(base_url=f"http://127.0.0.1:{port}/v1", script=list(replies) or [Reply("{}")])
    config = uvicorn.Config(_app(server), log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, name="chat-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the scripted chat server did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        runner.should_exit = True
        thread.join(timeout=5)
        sock.close()


_POINT = re.compile(r"^## 审核重点 (\S+)$", re.MULTILINE)
_REFS = re.compile(r"^- 检索到的相关证据片段：(.+)$", re.MULTILINE)
_EVIDENCE = re.compile(r"^\[(E\d+)\] 页码：[^\n]*\n(.*?)(?=\n\n\[E\d+\] 页码：|\n\n# )", re.DOTALL | re.MULTILINE)
_SENTENCE = re.compile(r"[^。；！？\n|]{6,}[。；！？]?")
_LEVEL = re.compile(r"^- (\S+)（", re.MULTILINE)


def _first_sentence(text: str) -> str | None:
    found = _SENTENCE.search(text)
    return found.group().strip() if found else None


def grounded_reply(prompt: str) -> str:
    """A model that follows the prompts: for the indicator prompt, 问号 with the first sentence of a point's first
    evidence chunk (破折号 without one); for the judge prompt, partly with the first sentence of E1."""
    texts = {ref: text for ref, text in _EVIDENCE.findall(prompt + "\n\n# ")}
    if "这些证据是否表明该审核重点已经得到回应" in prompt:
        quote = _first_sentence(texts.get("E1", ""))
        if quote is None:
            return json.dumps({"verdict": "not_addressed", "reason_zh": "没有证据。", "chunk_id": None, "quote": None})
        return json.dumps({"verdict": "partly", "reason_zh": "有表述。", "chunk_id": "E1", "quote": quote})
    points = []
    body = prompt.split("# 证据片段")[0]
    sections = _POINT.split(body)[1:]
    for point_id, section in zip(sections[::2], sections[1::2], strict=True):
        refs = _REFS.search(section)
        first = refs.group(1).split("、")[0] if refs and refs.group(1) != "无" else None
        quote = _first_sentence(texts.get(first, "")) if first else None
        if quote:
            citation = [{"chunk_id": first, "quote": quote}]
            points.append(
                {"point_id": point_id, "mark": "verify_on_site", "rationale_zh": "有表述。", "citations": citation}
            )
        else:
            points.append(
                {"point_id": point_id, "mark": "more_material", "rationale_zh": "未见。", "missing_zh": "缺少材料。"}
            )
    levels = _LEVEL.findall(prompt.split("# 被评议的指标")[0])
    answer = {
        "level": levels[1] if len(levels) > 1 else levels[0],
        "confidence": 0.5,
        "rationale_zh": "总体较好。",
        "points": points,
    }
    return json.dumps(answer, ensure_ascii=False)
