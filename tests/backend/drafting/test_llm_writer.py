"""The LLM writer over real HTTP (LangChain's ChatOpenAI against a scripted OpenAI-compatible server): verified
sentences are kept, unverifiable ones dropped and listed, an unusable answer gives the section back."""

from __future__ import annotations

import json
import re

import pytest

from backend.config import Settings
from backend.domain.assessment import DrafterKind
from backend.domain.report_draft import InstitutionProfile
from backend.drafting.composer import Materials, draft_report
from backend.drafting.verify import check_draft
from backend.drafting.writers import build_writer
from backend.rubrics.models import Rubric
from tests.llm_server import Reply, chat_server

PROFILE = InstitutionProfile(name="测试大学", category="应用型")
_POINT = re.compile(r"^- ([0-9.]+)：.*；相关片段：(.+)$", re.MULTILINE)
_EVIDENCE = re.compile(r"^\[(E\d+)\] 页码：[^\n]*\n(.*?)(?=\n\n\[E\d+\] 页码：|\n\n# )", re.DOTALL | re.MULTILINE)
_SENTENCE = re.compile(r"[^。；！？\n|]{8,}[。；！？]")
INVENTED = "学校建成世界一流的量子计算本科教学实验中心。"


def following_model(prompt: str) -> str:
    """A model that follows the prompt for every point, and for the first point also invents two sentences."""
    texts = dict(_EVIDENCE.findall(prompt + "\n\n# "))
    points = []
    for n, (point_id, refs) in enumerate(_POINT.findall(prompt)):
        ref = refs.split("、")[0]
        found = _SENTENCE.search(texts[ref])
        sentences = [{"text": found.group().strip(), "ref": ref, "quote": found.group().strip()}] if found else []
        if n == 0 and found:
            sentences.append({"text": INVENTED, "ref": ref, "quote": INVENTED})  # not in the material
            sentences.append({"text": "学校共有专任教师9999人。", "ref": ref, "quote": found.group().strip()})
        points.append({"point_id": point_id, "sentences": sentences})
    return json.dumps({"points": points}, ensure_ascii=False)


def _settings(tmp_path, base_url: str) -> Settings:
    return Settings(data_dir=tmp_path, llm_base_url=base_url, llm_model="scripted-qwen", llm_timeout_s=10)


def test_llm_sentences_are_kept_only_when_their_quote_is_verbatim_and_supports_them(
    materials: Materials, embedder, rubric: Rubric, tmp_path
):
    with chat_server(Reply(following_model)) as server:
        writer = build_writer(DrafterKind.LLM, _settings(tmp_path, server.base_url))
        draft = draft_report(materials, embedder, rubric, writer, PROFILE)
    assert draft.drafter is DrafterKind.LLM and draft.model == "scripted-qwen"
    assert server.seen and "逐字复制" in server.seen[0].prompt
    assert check_draft(draft, {c.id: c for c in materials.collection.chunks}) == []
    texts = [s.text for sec in draft.sections() for p in sec.points for s in p.sentences]
    assert INVENTED not in texts and not any("9999" in t for t in texts)
    reasons = {d.reason for d in draft.dropped}
    assert any("非逐字" in r for r in reasons) and any("超出引文" in r for r in reasons)
    assert {d.text for d in draft.dropped} >= {INVENTED, "学校共有专任教师9999人。"}
    assert draft.fallback_reasons == ()


def test_an_answer_that_is_not_json_gives_the_section_to_the_extractive_writer(
    materials: Materials, embedder, rubric: Rubric, tmp_path
):
    with chat_server(Reply("抱歉，我无法完成。")) as server:
        writer = build_writer(DrafterKind.LLM, _settings(tmp_path, server.base_url))
        draft = draft_report(materials, embedder, rubric, writer, PROFILE)
    assert draft.fallback_reasons and all("invalid_json" in r for r in draft.fallback_reasons)
    assert draft.sentence_count() > 100  # the extractive sentences, all verified
    assert check_draft(draft, {c.id: c for c in materials.collection.chunks}) == []


def test_llm_without_endpoint_is_refused_before_anything_runs(tmp_path):
    from backend.errors import AppError

    with pytest.raises(AppError) as caught:
        build_writer(DrafterKind.LLM, Settings(data_dir=tmp_path))
    assert "CIQA_LLM_BASE_URL" in caught.value.message_zh
