"""Calls to a chat model shared by the LLM drafter and the borderline judge: a bound on calls in flight, a timeout
per call, retries with backoff on transient endpoint errors (429 honouring Retry-After, 5xx, refused connections),
truncated answers detected, tokens counted against a per-review budget, validated answers cached on disk."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, ValidationError

from indexing.models import Chunk

log = logging.getLogger(__name__)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_Schema = TypeVar("_Schema", bound=BaseModel)
_DETAIL_CHARS = 300
# Status codes worth another try: the request may succeed unchanged once the endpoint has room.
_TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# Exceptions of the OpenAI client for a connection that never got an answer (not a timeout).
_CONNECTION_ERRORS = frozenset({"APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError"})


class FallbackReason(StrEnum):
    """Why an LLM answer was not used."""

    TIMEOUT = "timeout"
    MODEL_ERROR = "model_error"
    RATE_LIMITED = "rate_limited"
    TRUNCATED = "truncated"
    TOKEN_BUDGET = "token_budget"
    INVALID_JSON = "invalid_json"
    SCHEMA_INVALID = "schema_invalid"
    UNKNOWN_POINT = "unknown_point"
    MISSING_POINT = "missing_point"
    UNKNOWN_LEVEL = "unknown_level"
    CHUNK_NOT_GIVEN = "chunk_not_given"
    QUOTE_NOT_FOUND = "quote_not_found"
    UNCITED_MARK = "uncited_mark"
    ADVICE_SOURCE = "advice_source"
    CITATION_CHECK = "citation_check"


class AnswerRejected(Exception):
    """An answer or call that cannot become a draft; ``detail`` never repeats the model's quotes."""

    def __init__(self, reason: FallbackReason, detail: str, attempts: int = 1) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """How transient endpoint errors are retried: ``max_retries`` more tries, waiting Retry-After or doubling."""

    max_retries: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try ``attempt + 1`` (0-based ``attempt``)."""
        wanted = retry_after if retry_after is not None else self.backoff_s * 2**attempt
        return max(0.0, min(wanted, self.max_backoff_s))


@dataclass
class Usage:
    """Tokens, calls and retries of one draft (one thread; the budget is the shared part)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    retries: int = 0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


class TokenBudget:
    """Tokens one review may spend; shared by the indicators drafted in parallel.

    Calls already in flight when the budget runs out still finish, so a review may end slightly over it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._spent = 0
        self._lock = threading.Lock()

    @property
    def spent(self) -> int:
        """Tokens spent so far."""
        with self._lock:
            return self._spent

    def add(self, tokens: int) -> None:
        """Count tokens of a finished call."""
        with self._lock:
            self._spent += tokens

    def exhausted(self) -> bool:
        """Whether no further call may start (never, for a limit of 0)."""
        return self.limit > 0 and self.spent >= self.limit


class CachedAnswer(BaseModel):
    """A validated model answer stored on disk."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    model: str
    answer: str


class AnswerCache:
    """Validated answers as one JSON file per key, written atomically so parallel drafts never read half a file."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, key: str) -> Path:
        return self._dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The cached answer, or ``None``."""
        try:
            return CachedAnswer.model_validate_json(self._path(key).read_text(encoding="utf-8")).answer
        except (OSError, ValidationError):
            return None

    def put(self, key: str, record: CachedAnswer) -> None:
        """Store an answer that validated."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        tmp.replace(path)


class _Transient(Exception):
    """A failed call worth retrying unchanged."""

    def __init__(self, status: int | None, retry_after: float | None, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _classify(error: Exception) -> Exception:
    """An exception of the client as a transient failure (retry) or a rejected call (fall back)."""
    name = type(error).__name__
    detail = f"{name}: {error}"[:_DETAIL_CHARS]
    # APITimeoutError (openai), OpenAITimeoutError (langchain-openai), ReadTimeout (httpx) …
    if name.endswith(("TimeoutError", "Timeout", "TimeoutException")):
        return AnswerRejected(FallbackReason.TIMEOUT, detail)
    status = getattr(error, "status_code", None)
    if status in _TRANSIENT_STATUS or name in _CONNECTION_ERRORS:
        return _Transient(status, _retry_after(error), detail)
    return AnswerRejected(FallbackReason.MODEL_ERROR, detail)


class LLMClient:
    """One chat model behind a bound on calls in flight, a timeout, retries and token accounting."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        timeout_s: float = 120.0,
        max_concurrency: int = 4,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        # Bounds calls in flight at the endpoint, including calls abandoned after a timeout.
        self._slots = threading.BoundedSemaphore(max_concurrency)

    def _call_once(self, messages: Sequence[BaseMessage]) -> BaseMessage:
        """One call, abandoned after ``timeout_s`` (a hung endpoint must not hold the review)."""
        outcome: queue.Queue[BaseMessage | Exception] = queue.Queue(maxsize=1)

        def call() -> None:
            try:
                outcome.put(self.chat_model.invoke(list(messages)))
            except Exception as e:  # whatever the client raises is one failed call, classified by the caller
                outcome.put(e)
            finally:
                self._slots.release()

        if not self._slots.acquire(timeout=self.timeout_s):
            raise AnswerRejected(FallbackReason.TIMEOUT, f"no free call slot within {self.timeout_s:g} s")
        threading.Thread(target=call, name="ciqa-llm-call", daemon=True).start()
        try:
            reply = outcome.get(timeout=self.timeout_s)
        except queue.Empty:
            raise AnswerRejected(FallbackReason.TIMEOUT, f"no answer within {self.timeout_s:g} s") from None
        if isinstance(reply, Exception):
            raise _classify(reply)
        return reply

    def ask(self, messages: Sequence[BaseMessage], usage: Usage, budget: TokenBudget | None = None) -> str:
        """The answer text; transient errors retried with backoff (never holding a slot while waiting)."""
        attempt = 0
        while True:
            if budget is not None and budget.exhausted():
                raise AnswerRejected(
                    FallbackReason.TOKEN_BUDGET, f"the review's budget of {budget.limit} tokens is spent"
                )
            try:
                reply = self._call_once(messages)
                break
            except _Transient as transient:
                if attempt >= self.retry.max_retries:
                    reason = FallbackReason.RATE_LIMITED if transient.status == 429 else FallbackReason.MODEL_ERROR
                    raise AnswerRejected(
                        reason, f"{transient.detail} (after {attempt + 1} tries)", attempts=attempt + 1
                    ) from None
                wait = self.retry.delay(attempt, transient.retry_after)
                log.info("endpoint busy (%s); retrying in %.1f s", transient.status or "connection", wait)
                time.sleep(wait)
                attempt += 1
                usage.retries += 1
        usage.calls += 1
        meta = getattr(reply, "usage_metadata", None) or {}
        prompt_tokens, completion_tokens = int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        if budget is not None:
            budget.add(prompt_tokens + completion_tokens)
        finish = (getattr(reply, "response_metadata", None) or {}).get("finish_reason")
        if finish == "length":
            raise AnswerRejected(
                FallbackReason.TRUNCATED, f"the answer was cut at the output limit ({completion_tokens} tokens)"
            )
        return reply.text


@dataclass(frozen=True)
class PromptEvidence:
    """One retrieved chunk as a prompt shows it, under a short reference the model can copy."""

    ref: str
    pages: str
    heading: str
    text: str


def chunk_pages(chunk: Chunk) -> str:
    """第 N 页 or 第 N–M 页 of a chunk, empty when unknown."""
    if chunk.page_start is None:
        return ""
    if chunk.page_end in (None, chunk.page_start):
        return f"第 {chunk.page_start} 页"
    return f"第 {chunk.page_start}–{chunk.page_end} 页"


def validated(schema: type[_Schema], text: str) -> _Schema:
    """The JSON object of a reply (reasoning blocks and code fences removed) validated against ``schema``."""
    body = _THINK.sub("", text).strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise AnswerRejected(FallbackReason.INVALID_JSON, "no JSON object in the answer")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as e:
        raise AnswerRejected(FallbackReason.INVALID_JSON, f"{e.msg} at char {e.pos}") from e
    try:
        return schema.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AnswerRejected(
            FallbackReason.SCHEMA_INVALID, f"{e.error_count()} errors, first at {where}: {first['msg']}"
        ) from e
