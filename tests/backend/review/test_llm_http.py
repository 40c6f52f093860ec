"""The LLM drafter and the borderline judge over real HTTP: LangChain's ChatOpenAI against a scripted
OpenAI-compatible server on 127.0.0.1 (uvicorn): JSON, fenced JSON, streaming, 429 with Retry-After, 500, slow
answers, truncated output, hallucinated quotes, the concurrency bound, the token budget, the cost estimate."""

from __future__ import annotations

import json
import time

import pytest

from backend.config import Settings
from backend.domain.assessment import DrafterKind, JudgeVerdict
from backend.domain.enums import Mark
from backend.review.citations import check_assessment
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.drafters.judge import BorderlineJudge, is_borderline
from backend.review.drafters.llm import (
    CHARS_PER_TOKEN,
    FallbackReason,
    LLMDrafter,
    build_llm_drafter,
    chat_model_for,
)
from backend.review.drafters.llm_client import RetryPolicy
from backend.review.prompts import default_prompts
from tests.backend.review.drafting_world import HALLUCINATED, good_answer
from tests.llm_server import Reply, chat_server

pytestmark = pytest.mark.integration

JUDGE_MARK = "# 问题"  # a line only the judge prompt has


@pytest.fixture(scope="module")
def server():
    with chat_server(Reply("{}")) as running:
        yield running


@pytest.fixture(scope="module")
def prompts():
    return default_prompts()


def _drafter(server, prompts, tmp_path=None, *, streaming=False, judge=False, **kw) -> LLMDrafter:
    settings = Settings(llm_timeout_s=kw.pop("timeout_s", 10.0), llm_streaming=streaming)
    return LLMDrafter(
        chat_model_for(settings, base_url=server.base_url, model="scripted-qwen"),
        prompt=prompts.get("indicator_draft"),
        model_name="scripted-qwen",
        fallback=ExtractiveDrafter(),
        cache_dir=tmp_path,
        timeout_s=settings.llm_timeout_s,
        max_concurrency=kw.pop("max_concurrency", 2),
        retry=kw.pop("retry", RetryPolicy(max_retries=2, backoff_s=0.05, max_backoff_s=2.0)),
        token_budget=kw.pop("token_budget", 0),
        judge=BorderlineJudge(prompt=prompts.get("point_judge"), model_name="scripted-qwen") if judge else None,
        prices_per_1k=kw.pop("prices", (0.0, 0.0)),
    )


def _json(context, **spoil) -> str:
    answer = good_answer(context)
    for key, value in spoil.items():
        answer[key] = value
    return json.dumps(answer, ensure_ascii=False)


def _assert_llm(result, context):
    assert result.draft.drafter is DrafterKind.LLM and result.draft.fallback_reason is None
    assert result.draft.prompt_id == "indicator_draft@1" and result.draft.model == "scripted-qwen"
    assert check_assessment(result, context.chunks) == []


def test_plain_json_over_http_becomes_a_draft_with_its_token_counts(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_json(context)))
    result = _drafter(server, prompts).draft(context)
    _assert_llm(result, context)
    assert len(server.seen) == 1 and not server.seen[0].stream
    assert server.seen[0].body["model"] == "scripted-qwen" and server.seen[0].body["temperature"] == 0
    assert result.draft.prompt_tokens > 1000 and result.draft.completion_tokens > 50


def test_fenced_json_with_reasoning_over_http(server, prompts, world):
    _, make = world
    context = make("1.2")
    server.set_script(Reply("<think>先看证据。</think>\n```json\n" + _json(context) + "\n```"))
    _assert_llm(_drafter(server, prompts).draft(context), context)


def test_streamed_answer_is_assembled_from_server_sent_events(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_json(context)))
    result = _drafter(server, prompts, streaming=True).draft(context)
    _assert_llm(result, context)
    assert server.seen[0].stream and server.seen[0].body.get("stream_options") == {"include_usage": True}
    assert result.draft.completion_tokens > 50


def test_429_waits_for_retry_after_then_succeeds(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(status=429, retry_after=0.4), Reply(_json(context)))
    result = _drafter(server, prompts).draft(context)
    _assert_llm(result, context)
    first, second = server.seen
    assert second.at - first.at >= 0.4


def test_429_that_never_ends_falls_back_as_rate_limited_after_the_retries(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(status=429, retry_after=0.05))
    result = _drafter(server, prompts).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.RATE_LIMITED.value)
    assert "after 3 tries" in result.draft.fallback_reason and len(server.seen) == 3


def test_500_is_retried_with_doubling_backoff(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(status=500), Reply(status=502), Reply(_json(context)))
    result = _drafter(server, prompts, retry=RetryPolicy(max_retries=3, backoff_s=0.1)).draft(context)
    _assert_llm(result, context)
    a, b, c = (s.at for s in server.seen)
    assert b - a >= 0.1 and c - b >= 0.2


def test_an_answer_slower_than_the_timeout_falls_back_without_waiting_for_it(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_json(context), delay_s=3.0))
    started = time.perf_counter()
    result = _drafter(server, prompts, timeout_s=0.5).draft(context)
    assert time.perf_counter() - started < 2.0
    assert result.draft.fallback_reason.startswith(FallbackReason.TIMEOUT.value)
    assert len(server.seen) == 1  # a timeout is not retried: the endpoint is overloaded already


def test_truncated_output_falls_back_and_says_so(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_json(context)[:400], finish_reason="length"))
    result = _drafter(server, prompts).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.TRUNCATED.value)


def test_a_quote_not_in_the_evidence_is_retried_with_the_reason_then_dropped(server, prompts, world):
    _, make = world
    context = make("1.1")
    answer = json.loads(_json(context))
    answer["points"][0]["citations"][0]["quote"] = HALLUCINATED
    server.set_script(Reply(json.dumps(answer, ensure_ascii=False)))
    result = _drafter(server, prompts).draft(context)
    assert result.draft.fallback_reason.startswith(FallbackReason.QUOTE_NOT_FOUND.value)
    assert HALLUCINATED not in result.model_dump_json()
    assert len(server.seen) == 2 and FallbackReason.QUOTE_NOT_FOUND.value in server.seen[1].prompt
    assert len(server.seen[1].body["messages"]) == 3


def _by_indicator(contexts):
    answers = {f"「{c.indicator.id} {c.indicator.name}」": _json(c) for c in contexts}
    return lambda prompt: next(a for marker, a in answers.items() if marker in prompt)


def test_concurrency_limit_holds_over_the_wire_and_order_is_kept(prompts, world):
    _, make = world
    contexts = [make(i) for i in ("1.1", "1.2", "1.1", "1.2", "1.1")]
    # A server of its own: an earlier test's abandoned slow request may still be in flight on the shared one.
    with chat_server(Reply(_by_indicator(contexts), delay_s=0.2)) as own:
        results = _drafter(own, prompts, max_concurrency=2).draft_many(contexts)
    assert [r.indicator_id for r in results] == ["1.1", "1.2", "1.1", "1.2", "1.1"]
    assert all(r.draft.drafter is DrafterKind.LLM for r in results)
    assert own.peak == 2 and len(own.seen) == 5


def test_token_budget_stops_calls_and_the_rest_fall_back(server, prompts, world):
    _, make = world
    contexts = [make(i) for i in ("1.1", "1.2", "1.1")]
    server.set_script(Reply(_by_indicator(contexts)))
    results = _drafter(server, prompts, max_concurrency=1, token_budget=500).draft_many(contexts)
    assert results[0].draft.drafter is DrafterKind.LLM
    assert all(r.draft.fallback_reason.startswith(FallbackReason.TOKEN_BUDGET.value) for r in results[1:])
    assert len(server.seen) == 1


def test_cost_estimate_before_a_run_and_cached_answers_cost_nothing(server, prompts, world, tmp_path):
    _, make = world
    contexts = [make("1.1"), make("1.2")]
    drafter = _drafter(server, prompts, tmp_path, prices=(0.002, 0.006))
    before = drafter.estimate(contexts)
    rendered = sum(len(drafter.render(c)) for c in contexts)
    assert before.cached == 0 and before.prompt_tokens == round(rendered / CHARS_PER_TOKEN)
    assert before.cost == round(before.prompt_tokens / 1000 * 0.002 + before.completion_tokens / 1000 * 0.006, 4)
    assert before.times(1000).prompt_tokens == 1000 * before.prompt_tokens
    server.set_script(Reply(_by_indicator(contexts)))
    drafter.draft_many(contexts)
    after = drafter.estimate(contexts)
    assert after.cached == 2 and after.prompt_tokens == 0 and after.cost == 0


def _judge_reply(context, verdict: JudgeVerdict, quote: str | None):
    indicator = _json(context)

    def reply(prompt: str) -> str:
        if JUDGE_MARK not in prompt:
            return indicator
        return json.dumps({"verdict": verdict.value, "reason_zh": "有相关表述。", "chunk_id": "E1", "quote": quote})

    return reply


def test_judge_records_a_verified_verdict_beside_the_signals_of_borderline_points(server, prompts, world):
    _, make = world
    context = make("1.1")
    # The indicator answer marks every point but the first 破折号 with a quote: all of those are borderline.
    answer = json.loads(_json(context))
    borderline_quote = answer["points"][1]["citations"][0]["quote"]
    server.set_script(Reply(_judge_reply(context, JudgeVerdict.PARTLY, borderline_quote)))
    result = _drafter(server, prompts, judge=True).draft(context)
    _assert_llm(result, context)
    judged = [p for p in result.points if is_borderline(p)]
    assert judged and all(p.judge is not None for p in judged)
    assert all(p.judge is None for p in result.points if not is_borderline(p))
    first = judged[0].judge
    assert first.verdict is JudgeVerdict.PARTLY and first.prompt_id == "point_judge@1"
    assert first.quote == borderline_quote and first.page is not None
    assert context.chunks[first.chunk_id].find(first.quote) is not None
    assert judged[0].signals == next(m.signals for m in context.matches if m.point.id == judged[0].point_id)
    assert len(server.seen) == 1 + len(judged)


def test_judge_verdict_with_an_unverifiable_quote_is_dropped(server, prompts, world):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_judge_reply(context, JudgeVerdict.ADDRESSED, HALLUCINATED)))
    result = _drafter(server, prompts, judge=True).draft(context)
    assert result.draft.drafter is DrafterKind.LLM
    assert all(p.judge is None for p in result.points)
    assert HALLUCINATED not in result.model_dump_json()


def test_settings_build_a_working_drafter_and_judge_on_the_endpoint(server, world, tmp_path):
    _, make = world
    context = make("1.1")
    server.set_script(Reply(_judge_reply(context, JudgeVerdict.NOT_ADDRESSED, None)))
    settings = Settings(
        data_dir=tmp_path, llm_base_url=server.base_url, llm_model="scripted-glm", llm_streaming=True, llm_timeout_s=10
    )
    drafter = build_llm_drafter(settings, ExtractiveDrafter())
    result = drafter.draft(context)
    assert result.draft.drafter is DrafterKind.LLM and result.draft.model == "scripted-glm"
    verdicts = {p.judge.verdict for p in result.points if p.judge}
    assert verdicts == {JudgeVerdict.NOT_ADDRESSED}
    assert all(p.mark is not Mark.CLEAR for p in result.points if p.judge)
    assert all(s.stream for s in server.seen)
