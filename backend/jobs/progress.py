"""Job progress: the service's stages with their Chinese names, and the one mapping from a stage's progress
(``done`` of ``total``) onto a job's overall percent."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from backend.db.models import JobKind, JobStatus


class JobStage(StrEnum):
    """Stages of the service's jobs, in order; the indexing library's stages share their values."""

    PARSE = "parse"
    FACTS = "facts"
    CHUNK = "chunk"
    EMBED = "embed"
    INDEX = "index"
    SAVE = "save"
    MATCH = "match"
    DRAFT = "draft"
    ENQUEUE = "enqueue"
    LOAD = "load"
    WRITE = "write"

    @property
    def zh(self) -> str:
        """The stage's name as users see it."""
        return STAGE_ZH[self]


STAGE_ZH = {
    JobStage.PARSE: "解析",
    JobStage.FACTS: "提取数据",
    JobStage.CHUNK: "分块",
    JobStage.SAVE: "保存分块",
    JobStage.EMBED: "向量化",
    JobStage.INDEX: "建立索引",
    JobStage.MATCH: "匹配证据",
    JobStage.DRAFT: "起草评议",
    JobStage.ENQUEUE: "提交评审任务",
    JobStage.LOAD: "载入支撑材料",
    JobStage.WRITE: "起草报告",
}

# Share of a job's 0–100 progress each stage spans: embedding dominates ingest on CPU; a stored version's review
# has no parse or index.
STAGE_SPANS: dict[JobKind, dict[JobStage, tuple[int, int]]] = {
    JobKind.INGEST: {
        JobStage.PARSE: (0, 25),
        JobStage.FACTS: (25, 27),
        JobStage.CHUNK: (27, 30),
        JobStage.EMBED: (30, 90),
        JobStage.INDEX: (90, 96),
        JobStage.SAVE: (96, 100),
    },
    JobKind.REVIEW: {JobStage.MATCH: (0, 90), JobStage.DRAFT: (90, 100)},
    JobKind.REVIEW_CAMPAIGN: {JobStage.ENQUEUE: (0, 100)},
    # Loading the materials' indexes is quick; matching every 审核重点 and writing dominate.
    JobKind.DRAFT_REPORT: {JobStage.LOAD: (0, 10), JobStage.MATCH: (10, 60), JobStage.WRITE: (60, 100)},
}

JOB_STATUS_ZH = {
    JobStatus.QUEUED: "排队中",
    JobStatus.RUNNING: "处理中",
    JobStatus.SUCCEEDED: "已完成",
    JobStatus.FAILED: "处理失败",
}


def stage_zh(stage: str | None) -> str | None:
    """The Chinese name of a recorded stage value (unknown values pass through)."""
    if stage is None:
        return None
    try:
        return JobStage(stage).zh
    except ValueError:
        return stage


class PercentSink(Protocol):
    """Receives a job's stage and overall percent (e.g. ``JobRun.progress``)."""

    def __call__(self, stage: str, percent: int) -> None: ...


class JobProgress:
    """A progress callback (stage, done, total) that maps onto a job's overall percent and passes it on."""

    def __init__(self, kind: JobKind, sink: PercentSink) -> None:
        self.spans = STAGE_SPANS[kind]
        self.sink = sink

    def __call__(self, stage: StrEnum, done: int, total: int) -> None:
        """Report ``done`` of ``total`` units of ``stage``; stages outside this job's spans are ignored."""
        span = self.spans.get(JobStage(stage.value))
        if span is not None:
            lo, hi = span
            self.sink(stage.value, lo + (hi - lo) * done // max(total, 1))
