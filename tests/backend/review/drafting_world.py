"""A real report indexed with the keyword embedder, the real 审核评估 type 2 rubric and guide, and contexts built as
the review flow builds them: shared by the drafter tests (extractive, LLM in-process, LLM over HTTP)."""

from __future__ import annotations

import pytest

from backend.domain.enums import Mark
from backend.review.drafters.base import IndicatorContext
from backend.review.drafters.llm import evidence_refs
from backend.review.matcher import Ownership, match_point
from backend.rubrics.models import Rubric
from backend.rubrics.registry import default_registry
from indexing.chunking import chunk_document
from indexing.models import BlockKind
from indexing.search import HybridSearcher, SearchMode
from indexing.store import Collection, embedding_text
from tests.factories import make_document
from tests.fakes import KeywordEmbedder

H, P = BlockKind.HEADING, BlockKind.PARAGRAPH
HALLUCINATED = "学校建成世界一流的量子计算本科教学实验中心"
FILLER_TOPICS = ("图书馆", "体育场馆", "校园网络", "后勤服务", "档案管理", "国际交流", "校友工作", "安全保卫")


def _report():
    spec = [
        (H, "一、办学方向与本科地位", 1, 1),
        (H, "（一）党的领导", 1, 2),
        (
            P,
            "学校党委常委会每学期至少两次专题研究本科教学工作，2023年党委常委会、校长办公会共研究本科教学议题18项，"
            "形成《本科教学工作专题会议纪要》。学校坚持党委领导下的校长负责制，党委把方向、管大局、作决策。",
            1,
        ),
        (
            P,
            "学校建立健全立德树人落实机制，把立德树人成效作为检验学校一切工作的根本标准，将育人成效纳入学院年度考核。",
            2,
        ),
        (
            P,
            "各学院党委参与本科教学重大事项决策，实施教师党支部书记“双带头人”培育工程，双带头人比例达到100%，"
            "以高质量党建引领专业建设和课程思政。",
            2,
        ),
        (H, "（二）思政教育", 3, 2),
        (
            P,
            "学校开齐开好思想政治理论课，马克思主义学院推进思政课专题式、案例式教学改革，学生获得感调查满意度达96.2%。",
            3,
        ),
        (P, "课程思政实现所有专业全覆盖，建设课程思政示范课程42门，课程思政要求写入全部课程教学大纲。", 3),
        (P, "学校构建三全育人格局，辅导员队伍专业化建设成效明显，专职辅导员与在校生比为1:186。", 4),
        (P, "学校按要求配齐思政课教师，专职思政课教师与在校生比为1:326。", 4),
    ]
    for n, topic in enumerate(FILLER_TOPICS, start=5):
        spec += [
            (H, f"{topic}", n, 2),
            (P, f"{topic}方面，学校完善{topic}管理办法，{topic}年度工作按计划推进，相关台账齐全。" * 4, n),
        ]
    return make_document(spec, name="自评报告.pdf")


@pytest.fixture(scope="session")
def rubrics() -> tuple[Rubric, Rubric]:
    registry = default_registry()
    return registry.get("audit-2021-type2"), registry.get("ciqa-guide-2021")


@pytest.fixture(scope="session")
def indexed() -> tuple[Collection, KeywordEmbedder]:
    embedder = KeywordEmbedder()
    chunks = chunk_document(_report())
    collection = Collection(embedder.name, embedder.dim)
    collection.add_document("自评报告.pdf", chunks, embedder.embed_passages([embedding_text(c) for c in chunks]))
    return collection, embedder


@pytest.fixture(scope="session")
def world(rubrics, indexed):
    """Every chunk of the report and a context builder for an indicator id, as the review flow builds it."""
    rubric, guide = rubrics
    collection, embedder = indexed
    chunks = collection.chunks
    searcher = HybridSearcher(collection, embedder)

    def search(query: str, k: int, mode: SearchMode):
        return searcher.search(query, k, mode=mode)

    indicators = {ind.id: ind for _, ind in rubric.iter_indicators()}
    by_id = {c.id: c for c in chunks}

    def context(indicator_id: str) -> IndicatorContext:
        indicator = indicators[indicator_id]
        matches = tuple(match_point(search, p, Ownership.of(rubric)) for p in indicator.review_points)
        cited = {e.chunk_id: by_id[e.chunk_id] for m in matches for e in m.evidence}
        return IndicatorContext(rubric=rubric, indicator=indicator, matches=matches, chunks=cited, guide=guide)

    return chunks, context


def good_answer(context: IndicatorContext, *, use_refs: bool = True) -> dict:
    """What a well-behaved model returns: quotes copied from the chunks shown, allowed advice sources."""
    ref_of = {c.id: r for r, c in evidence_refs(context).items()}
    points = []
    for m in context.matches:
        first = m.evidence[0]
        points.append(
            {
                "point_id": m.point.id,
                "mark": Mark.CLEAR.value if m is context.matches[0] else Mark.MORE_MATERIAL.value,
                "rationale_zh": f"审核重点 {m.point.id} 的评议。",
                "citations": [
                    {"chunk_id": ref_of[first.chunk_id] if use_refs else first.chunk_id, "quote": first.quote}
                ],
                "missing_zh": None if m is context.matches[0] else "缺少会议纪要原件。",
                "advice": [{"text_zh": "建议补充相关制度文件。", "source": m.point.links[0]}] if m.point.links else [],
            }
        )
    return {"level": "B", "confidence": 0.72, "rationale_zh": "本指标总体较充分。", "points": points}
