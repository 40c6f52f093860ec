"""The LLM drafter against LangChain fake chat models; rubric, chunks, search and matching are real."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import PrivateAttr

from backend.config import Settings
from backend.domain.assessment import DrafterKind, IndicatorAssessment
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.review.citations import check_assessment, quote_pages
from backend.review.drafters.base import IndicatorContext
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.drafters.llm import (
    FallbackReason,
    LLMDrafter,
    build_llm_drafter,
    evidence_refs,
)
from backend.review.flows import review_collection
from backend.review.prompts import default_prompts
from backend.rubrics.registry import default_registry
from indexing.models import Chunk
from tests.backend.review.drafting_world import HALLUCINATED, good_answer

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def prompt():
    return default_prompts().get("indicator_draft")


def _drafter(model, prompt, tmp_path=None, **kw) -> LLMDrafter:
    return LLMDrafter(
        model,
        prompt=prompt,
        model_name="fake-qwen",
        fallback=ExtractiveDrafter(),
        cache_dir=tmp_path,
        timeout_s=kw.pop("timeout_s", 10.0),
        max_concurrency=kw.pop("max_concurrency", 2),
    )


def _assert_grounded(result: IndicatorAssessment, context: IndicatorContext) -> None:
    assert check_assessment(result, context.chunks) == []
    for point in result.points:
        for ev in point.evidence:
            chunk = context.chunks[ev.chunk_id]
            assert chunk.text[ev.quote_start : ev.quote_end] == ev.quote
            assert (ev.page_start, ev.page_end) == quote_pages(chunk, ev.quote_start, ev.quote_end)


def test_well_formed_answer_becomes_a_grounded_llm_assessment(world, prompt):
    _, make = world
    context = make("1.1")
    answer = good_answer(context)
    # Reasoning models put thoughts first and fence the JSON; both are stripped.
    reply = "<think>先看证据。</think>\n```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```"
    result = _drafter(FakeListChatModel(responses=[reply]), prompt).draft(context)

    assert result.draft.drafter is DrafterKind.LLM
    assert result.draft.prompt_id == "indicator_draft@1" and result.draft.model == "fake-qwen"
    assert result.draft.fallback_reason is None
    assert (result.level, result.level_label, result.confidence) == ("B", "较充分", 0.72)
    assert [p.point_id for p in result.points] == [p.id for p in context.indicator.review_points]
    assert result.points[0].mark is Mark.CLEAR
    first = context.matches[0].evidence[0]
    ev = result.points[0].evidence[0]
    assert (ev.chunk_id, ev.quote, ev.quote_start, ev.quote_end) == (
        first.chunk_id,
        first.quote,
        first.quote_start,
        first.quote_end,
    )
    assert ev.page_start is not None and ev.fused_score == first.fused_score
    _assert_grounded(result, context)
    assert [m.point_id for m in result.missing] == [p.id for p in context.indicator.review_points[1:]]
    assert result.missing[0].expected_zh == "缺少会议纪要原件。"
    assert {a.source for a in result.advice} <= {link for p in context.indicator.review_points for link in p.links}


def test_real_chunk_ids_are_accepted_as_well_as_references(world, prompt):
    _, make = world
    context = make("1.1")
    reply = json.dumps(good_answer(context, use_refs=False), ensure_ascii=False)
    result = _drafter(FakeListChatModel(responses=[reply]), prompt).draft(context)
    assert result.draft.drafter is DrafterKind.LLM
    _assert_grounded(result, context)


def test_prompt_shows_the_retrieved_chunks_only(world, prompt):
    chunks, make = world
    context = make("1.1")
    rendered = _drafter(FakeListChatModel(responses=["{}"]), prompt).render(context)
    assert context.chunks and all(c.text in rendered for c in context.chunks.values())
    others = [c for c in chunks if c.id not in context.chunks]
    assert others and not any(c.text in rendered for c in others)
    for point in context.indicator.review_points:
        assert point.text in rendered and point.links[0] in rendered
    assert all(level.evidence in rendered for level in context.rubric.scale)
    assert "句号" in rendered and "破折号" in rendered and "问号" in rendered
    assert "{#" not in rendered and "variables:" not in rendered


def test_malformed_then_good_answer_is_retried_once_and_succeeds(world, prompt):
    _, make = world
    context = make("1.1")
    good = json.dumps(good_answer(context), ensure_ascii=False)
    model = FakeListChatModel(responses=["好的，评议如下：等级 B。", good])
    result = _drafter(model, prompt).draft(context)
    assert result.draft.drafter is DrafterKind.LLM and result.draft.fallback_reason is None
    assert model.i == 0  # both answers consumed: exactly two calls
    _assert_grounded(result, context)


def test_two_malformed_answers_fall_back_to_extractive_and_say_so(world, prompt):
    _, make = world
    context = make("1.1")
    model = FakeListChatModel(responses=['{"level": "B", "points": [', "not json", "unused"])
    result = _drafter(model, prompt).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.INVALID_JSON.value)
    assert "attempts: 2" in result.draft.fallback_reason
    assert result.draft.prompt_id == "indicator_draft@1" and result.draft.model == "fake-qwen"
    assert model.i == 2
    expected = ExtractiveDrafter().draft(context)
    assert result.model_dump(exclude={"draft"}) == expected.model_dump(exclude={"draft"})
    _assert_grounded(result, context)


def test_hallucinated_quote_is_rejected_and_never_stored(world, prompt):
    _, make = world
    context = make("1.1")
    answer = good_answer(context)
    answer["points"][0]["citations"][0]["quote"] = HALLUCINATED
    bad = json.dumps(answer, ensure_ascii=False)
    result = _drafter(FakeListChatModel(responses=[bad, bad]), prompt).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.QUOTE_NOT_FOUND.value)
    assert HALLUCINATED not in result.model_dump_json()
    _assert_grounded(result, context)


def test_quote_from_another_chunk_is_not_verbatim_in_the_cited_one(world, prompt):
    _, make = world
    # An indicator whose points cite two chunks (evidence below the relevance bar is not shown).
    context = next(c for c in map(make, ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2")) if len(evidence_refs(c)) >= 2)
    refs = evidence_refs(context)
    (ref_a, _), (_, chunk_b) = list(refs.items())[:2]
    quotes = [e.quote for m in context.matches for e in m.evidence if e.chunk_id == chunk_b.id]
    quote = next(q for q in quotes if q not in refs[ref_a].text)
    answer = good_answer(context)
    answer["points"][0]["citations"] = [{"chunk_id": ref_a, "quote": quote}]
    bad = json.dumps(answer, ensure_ascii=False)
    result = _drafter(FakeListChatModel(responses=[bad]), prompt).draft(context)
    assert result.draft.fallback_reason.startswith(FallbackReason.QUOTE_NOT_FOUND.value)


def test_citation_of_a_chunk_not_given_is_rejected(world, prompt):
    chunks, make = world
    context = make("1.1")
    outside: Chunk = next(c for c in chunks if c.id not in context.chunks)
    answer = good_answer(context)
    # A real, verbatim quote, but from a chunk the model was never shown.
    answer["points"][0]["citations"] = [{"chunk_id": outside.id, "quote": outside.text[:30]}]
    bad = json.dumps(answer, ensure_ascii=False)
    result = _drafter(FakeListChatModel(responses=[bad]), prompt).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.CHUNK_NOT_GIVEN.value)
    assert all(ev.chunk_id in context.chunks for p in result.points for ev in p.evidence)


def _unknown_level(a: dict) -> None:
    a["level"] = "S"


def _unknown_point(a: dict) -> None:
    a["points"][0]["point_id"] = "9.9.9"


def _missing_point(a: dict) -> None:
    a["points"].pop()


def _advice_elsewhere(a: dict) -> None:
    a["points"][0]["advice"] = [{"text_zh": "建议参照其他文件。", "source": "https://example.com/anything"}]


def _clear_without_quote(a: dict) -> None:
    a["points"][0]["citations"] = []


def _bad_mark(a: dict) -> None:
    a["points"][0]["mark"] = "句号"


def _short_quote(a: dict) -> None:
    a["points"][0]["citations"][0]["quote"] = "学校"


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_unknown_level, FallbackReason.UNKNOWN_LEVEL),
        (_unknown_point, FallbackReason.UNKNOWN_POINT),
        (_missing_point, FallbackReason.MISSING_POINT),
        (_advice_elsewhere, FallbackReason.ADVICE_SOURCE),
        (_clear_without_quote, FallbackReason.UNCITED_MARK),
        (_bad_mark, FallbackReason.SCHEMA_INVALID),
        (_short_quote, FallbackReason.SCHEMA_INVALID),
    ],
)
def test_invalid_answers_fall_back_with_their_reason(world, prompt, spoil: Callable[[dict], None], reason):
    _, make = world
    context = make("1.1")
    answer = good_answer(context)
    spoil(answer)
    bad = json.dumps(answer, ensure_ascii=False)
    result = _drafter(FakeListChatModel(responses=[bad]), prompt).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(reason.value)


def test_retry_tells_the_model_what_was_wrong(world, prompt):
    _, make = world
    context = make("1.1")
    good = AIMessage(json.dumps(good_answer(context), ensure_ascii=False))
    model = _RecordingChatModel(messages=iter([AIMessage("no json here"), good]))
    result = _drafter(model, prompt).draft(context)
    assert result.draft.drafter is DrafterKind.LLM
    first, second = model.seen
    assert len(first) == 1 and len(second) == 3
    assert second[1].content == "no json here" and FallbackReason.INVALID_JSON.value in second[2].content


def test_timeout_falls_back_without_retrying(world, prompt):
    _, make = world
    context = make("1.1")
    good = json.dumps(good_answer(context), ensure_ascii=False)
    model = FakeListChatModel(responses=[good, good], sleep=0.5)
    started = time.perf_counter()
    result = _drafter(model, prompt, timeout_s=0.05).draft(context)
    assert time.perf_counter() - started < 0.4
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.TIMEOUT.value)


def test_endpoint_error_falls_back(world, prompt):
    _, make = world
    context = make("1.1")
    result = _drafter(GenericFakeChatModel(messages=iter([])), prompt).draft(context)
    assert result.draft.drafter is DrafterKind.EXTRACTIVE
    assert result.draft.fallback_reason.startswith(FallbackReason.MODEL_ERROR.value)


def test_cached_answer_is_reused_without_calling_the_model(world, prompt, tmp_path):
    _, make = world
    context = make("1.1")
    good = json.dumps(good_answer(context), ensure_ascii=False)
    other = good_answer(context)
    other["level"] = "C"
    model = FakeListChatModel(responses=[good, json.dumps(other, ensure_ascii=False)])
    first = _drafter(model, prompt, tmp_path).draft(context)
    second = _drafter(model, prompt, tmp_path).draft(context)
    assert model.i == 1  # the second answer (level C) was never asked for
    assert second.level == first.level == "B" and second.draft.drafter is DrafterKind.LLM
    assert second.model_dump(exclude={"draft"}) == first.model_dump(exclude={"draft"})
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_another_model_or_context_misses_the_cache(world, prompt, tmp_path):
    _, make = world
    context = make("1.1")
    good = json.dumps(good_answer(context), ensure_ascii=False)
    _drafter(FakeListChatModel(responses=[good]), prompt, tmp_path).draft(context)
    model = FakeListChatModel(responses=[good, good])
    other = LLMDrafter(model, prompt=prompt, model_name="fake-glm", fallback=ExtractiveDrafter(), cache_dir=tmp_path)
    other.draft(context)
    assert model.i == 1


def test_fallbacks_are_not_cached(world, prompt, tmp_path):
    _, make = world
    context = make("1.1")
    _drafter(FakeListChatModel(responses=["nope"]), prompt, tmp_path).draft(context)
    assert not list(tmp_path.rglob("*.json"))


class _RecordingChatModel(GenericFakeChatModel):
    """A generic fake that records the messages of every call."""

    _seen: list = PrivateAttr(default_factory=list)

    @property
    def seen(self) -> list:
        return self._seen

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self._seen.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class _RoutingChatModel(FakeListChatModel):
    """Answers each indicator's prompt with that indicator's answer; records the peak of parallel calls."""

    answers: dict[str, str]
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _active: int = PrivateAttr(default=0)
    _peak: int = PrivateAttr(default=0)

    @property
    def peak(self) -> int:
        return self._peak

    def _call(self, messages, stop=None, run_manager=None, **kwargs) -> str:
        with self._lock:
            self._active += 1
            self._peak = max(self._peak, self._active)
        time.sleep(0.05)
        with self._lock:
            self._active -= 1
        prompt = messages[0].content
        return next(answer for marker, answer in self.answers.items() if marker in prompt)


def test_draft_many_bounds_concurrency_and_keeps_order(world, prompt):
    _, make = world
    contexts = [make(i) for i in ("1.1", "1.2", "1.1", "1.2", "1.2")]
    answers = {
        f"「{c.indicator.id} {c.indicator.name}」": json.dumps(good_answer(c), ensure_ascii=False) for c in contexts
    }
    model = _RoutingChatModel(responses=["unused"], answers=answers)
    results = _drafter(model, prompt, max_concurrency=2).draft_many(contexts)
    assert [r.indicator_id for r in results] == ["1.1", "1.2", "1.1", "1.2", "1.2"]
    assert all(r.draft.drafter is DrafterKind.LLM for r in results)
    assert model.peak == 2
    for result, context in zip(results, contexts, strict=True):
        _assert_grounded(result, context)


def test_review_flow_keeps_llm_drafts_and_says_which_indicators_fell_back(world, prompt, rubrics, indexed):
    _, make = world
    rubric, _guide = rubrics
    collection, embedder = indexed
    context = make("1.1")
    # Only 1.1 gets an answer; every other prompt makes the fake raise, as a failing endpoint would.
    answers = {f"「1.1 {context.indicator.name}」": json.dumps(good_answer(context), ensure_ascii=False)}
    drafter = _drafter(_RoutingChatModel(responses=["unused"], answers=answers), prompt)
    review = review_collection(collection, embedder, rubric, drafter, registry=default_registry())
    by_id = {a.indicator_id: a for a in review.assessments}
    assert by_id["1.1"].draft.drafter is DrafterKind.LLM and by_id["1.1"].draft.fallback_reason is None
    others = [a for a in review.assessments if a.indicator_id != "1.1"]
    assert others and all(a.draft.drafter is DrafterKind.EXTRACTIVE for a in others)
    assert all(a.draft.fallback_reason.startswith(FallbackReason.MODEL_ERROR.value) for a in others)


def test_build_llm_drafter_needs_an_endpoint():
    with pytest.raises(AppError) as err:
        build_llm_drafter(Settings(llm_base_url="", llm_model=""), ExtractiveDrafter())
    assert err.value.code is ErrorCode.INVALID_INPUT and "CIQA_LLM_BASE_URL" in err.value.message_zh


def test_build_llm_drafter_makes_a_chat_openai_without_network(tmp_path, monkeypatch):
    from langchain_openai import ChatOpenAI

    def no_network(*args, **kwargs):
        raise AssertionError("network contacted while building the drafter")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    settings = Settings(
        data_dir=tmp_path,
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="qwen2.5-7b-instruct",
        llm_timeout_s=30,
        llm_max_concurrency=3,
    )
    drafter = build_llm_drafter(settings, ExtractiveDrafter())
    model = drafter.chat_model
    assert isinstance(model, ChatOpenAI)
    assert (model.openai_api_base, model.model_name) == ("http://127.0.0.1:9/v1", "qwen2.5-7b-instruct")
    assert (model.max_retries, model.temperature, model.request_timeout) == (0, 0, 30)
    assert model.openai_api_key.get_secret_value() == "EMPTY"
    assert drafter.prompt.ref == "indicator_draft@1" and drafter.max_concurrency == 3
    assert isinstance(drafter.fallback, ExtractiveDrafter)
