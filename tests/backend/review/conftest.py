"""A small real rubric and a real indexed report for review-engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.rubrics.loader import parse_rubric
from indexing.embedding import CachedEmbedder, EmbedderKind, load_embedder
from indexing.models import BlockKind
from indexing.pipeline import index_documents
from indexing.store import Collection
from tests.backend.review.drafting_world import indexed, rubrics, world  # noqa: F401  (fixtures shared by drafter tests)
from tests.factories import make_document

H, P, T = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE

SMALL_RUBRIC = """
id: mini-audit
name: 迷你审核评估
version: '1.0'
source: {document: 测试用指标体系, date: 2024-01-01}
applicability: {institution_types: [应用型], submission_kinds: [self_evaluation]}
scale:
- {id: A, label: 充分, score: 4, evidence: 有做法有数据有成效}
- {id: B, label: 较充分, score: 3, evidence: 有做法部分数据}
- {id: C, label: 不充分, score: 2, evidence: 原则性表述}
- {id: D, label: 缺失, score: 1, evidence: 未涉及}
indicators:
- id: '4'
  name: 教师队伍
  text_origin: official
  children:
  - id: '4.1'
    name: 师资结构
    text_origin: official
    review_points:
    - id: 4.1.1
      text: 生师比
      text_origin: official
      kind: quantitative
      queries: [学校生师比情况, 折合在校生与专任教师之比]
      key_terms: [生师比]
      metric: {name: 生师比, unit: ':1', national_floor: 18, floor_direction: at_most}
    - id: 4.1.2
      text: 教师教学发展中心开展教师培训与教学能力提升的情况
      text_origin: official
      evidence: [教师培训记录, 教学能力提升项目]
      queries: [教师教学发展中心组织教师培训, 青年教师教学能力提升]
      key_terms: [教师发展, 培训, 教学能力]
- id: '6'
  name: 质量保障
  text_origin: official
  children:
  - id: '6.1'
    name: 质量管理
    text_origin: official
    review_points:
    - id: 6.1.1
      text: 教学督导与听课评课制度的建立与运行情况
      text_origin: official
      evidence: [督导听课记录, 督导反馈与整改台账]
      queries: [校院两级教学督导听课, 督导专家听课评课并反馈]
      key_terms: [督导, 听课]
    - id: 6.1.2
      text: 毕业生跟踪调查与用人单位评价的开展情况
      text_origin: official
      evidence: [毕业生跟踪调查报告, 用人单位满意度调查]
      queries: [毕业生跟踪调查, 用人单位对毕业生的评价与满意度]
      key_terms: [毕业生, 跟踪调查, 用人单位]
"""


def mini_report():
    """A report with strong evidence for 4.1.1 and 6.1.1, a bare claim for 4.1.2, nothing for 6.1.2."""
    return make_document(
        [
            (H, "一、学校概况", 1, 3),
            (P, "学校始建于1958年，坐落于美丽的江南水乡，校园占地面积2100亩，现有24个二级学院。", 1),
            (H, "二、师资队伍", 2, 3),
            (P, "学校现有专任教师1260人，折合在校生22050人，生师比为17.5:1，优于国家标准。", 2),
            (P, "学校高度重视教师教学能力提升工作，不断加强师资队伍建设。", 2),
            (H, "三、质量保障", 3, 3),
            (
                P,
                "学校制定《本科教学督导工作办法》，建立校院两级教学督导制度，督导专家每学期听课2000余节，"
                "形成问题清单并跟踪整改，整改完成率达到96%。",
                3,
            ),
            (H, "四、校园文化", 4, 3),
            (P, "学校举办校园文化艺术节、运动会和迎新晚会，丰富学生课余生活。", 4),
        ],
        name="迷你自评报告.pdf",
    )


@pytest.fixture(scope="session")
def small_rubric():
    return parse_rubric(SMALL_RUBRIC)


@pytest.fixture(scope="session")
def e5_embedder():
    return CachedEmbedder(load_embedder(EmbedderKind.E5))


@pytest.fixture(scope="session")
def mini_collection(tmp_path_factory, e5_embedder) -> Collection:
    out = Path(tmp_path_factory.mktemp("mini")) / "idx"
    index_documents([mini_report()], out, e5_embedder)
    return Collection.load(out)
