"""Selection benchmark (`ciqa bench selection`): the secretariat's campaign pages at the scale of a national campaign.

A campaign of ``institutions`` institutions (研究型 / 应用型 / 高职 in 2 : 5 : 3) is built in a temporary ``var/``:
each submits one report with a stored AI review against the real quality-culture rubric (every assessed indicator
and review point, one quote per point, levels and marks drawn with a fixed seed); ``experts`` experts per
submission are assigned and each submits their review (every point decided, about one in five marks changed, one
level raised). Quotas: a total, a 高职 quota, a tagged seat across categories. Each page is then requested
``repeat`` times by the secretariat through the application in this process (server time, no network, no
browser) after one warm-up.

Printed as a table (p50 / max seconds, KB, SQL statements per request) and saved to
``eval/results/bench_selection.json``.

Example:
    >>> rows = run_selection_bench(Path("/tmp/bench-sel"), institutions=30, experts=2, repeat=1)  # doctest: +SKIP
    >>> [r.name for r in rows][:2]  # doctest: +SKIP
    ['材料看板', '排名与入围']
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.metrics import percentile

RUBRIC = "quality-culture-2026"
PASSWORD = "bench-password-1"
# Experts per hundred institutions: each expert then holds about 2 × 100 / 20 = 10 reviews.
EXPERTS_PER_100 = 20


@dataclass(frozen=True)
class SelectionTiming:
    """One campaign page's measured server time, size and SQL statements."""

    name: str
    path: str
    status: int
    kb: float
    p50_s: float
    max_s: float
    statements: int


def _review(rubric, rng: random.Random, document_id: str):
    """A stored-size AI review of every assessed indicator of the rubric, levels and marks drawn from ``rng``."""
    from backend.domain import assessment as rm
    from backend.domain.enums import Mark
    from backend.review.flows import assessed_indicators

    levels = [lv.id for lv in rubric.scale]
    signals = rm.PointSignals(best_dense=0.8, best_bm25=6.0, term_coverage=0.6, concrete=1.0)
    assessments = []
    for n, indicator in enumerate(assessed_indicators(rubric)):
        points = []
        for point in indicator.review_points:
            quote = f"学校围绕{point.text[:30]}建立了工作机制，{2020 + n % 5}年出台相关制度文件并组织实施。"
            evidence = rm.Evidence(
                chunk_id=f"c{n}",
                document_id=document_id,
                quote=quote,
                quote_start=0,
                quote_end=len(quote),
                page_start=n + 1,
                page_end=n + 1,
                heading_path=(f"{indicator.id} {indicator.name}",),
                fused_score=0.03,
                rank=1,
            )
            points.append(
                rm.PointAssessment(
                    point_id=point.id,
                    point_text=point.text,
                    mark=rng.choice([Mark.CLEAR, Mark.CLEAR, Mark.MORE_MATERIAL, Mark.VERIFY_ON_SITE]),
                    evidence=(evidence,),
                    signals=signals,
                    rationale_zh=f"报告第 {n + 1} 页写明：“{quote[:40]}”。",
                )
            )
        level = rng.choice(levels)
        assessments.append(
            rm.IndicatorAssessment(
                indicator_id=indicator.id,
                indicator_name=indicator.name,
                level=level,
                level_label=level,
                confidence=0.6,
                points=tuple(points),
                rationale_zh="依据各审核重点的证据起草。",
                draft=rm.DraftInfo(drafter=rm.DrafterKind.EXTRACTIVE, version="bench"),
            )
        )
    ref = rubric.ref()
    return rm.Review(
        document_id=document_id,
        document_name="自评报告.pdf",
        rubric_id=ref.id,
        rubric_version=ref.version,
        rubric_fingerprint=ref.fingerprint,
        assessments=tuple(assessments),
    )


def build_campaign(settings, *, institutions: int, experts: int, seed: int = 7) -> int:
    """The campaign described in the module docstring; its id."""
    from backend.auth.passwords import hash_password
    from backend.db.models import CampaignQuotas, ExpertOpinions, JobKind, Opinion, ParseStats, Role, TagQuota
    from backend.db.queries import (
        assignments,
        campaigns,
        decisions,
        expert_reviews,
        jobs,
        reviews,
        selection,
        submissions,
        users,
        versions,
    )
    from backend.db.queries import institutions as institution_rows
    from backend.db.session import session_scope, upgrade
    from backend.domain.enums import DecisionAction, InstitutionType, Mark, SubmissionKind
    from backend.rubrics.registry import rubric_registry

    upgrade(settings)
    rng = random.Random(seed)
    rubric = rubric_registry(settings).get(RUBRIC)
    kinds = [InstitutionType.RESEARCH] * 2 + [InstitutionType.APPLIED] * 5 + [InstitutionType.VOCATIONAL] * 3
    with session_scope(settings) as session:
        users.create_user(session, username="secretariat", role=Role.SECRETARIAT, password_hash=hash_password(PASSWORD))
        quotas = CampaignQuotas(
            by_type={InstitutionType.VOCATIONAL: institutions * 3 // 20},
            total=institutions // 6,
            tagged=(TagQuota(tag="数字化", seats=max(institutions // 60, 1)),),
        )
        campaign = campaigns.create_campaign(
            session,
            name="质量文化示范校遴选（基准）",
            rubric_id=RUBRIC,
            kind=SubmissionKind.SELF_EVALUATION,
            quotas=quotas,
        )
        expert_ids = [
            users.create_user(session, username=f"expert-{i}", role=Role.EXPERT, password_hash="x").id
            for i in range(max(institutions * EXPERTS_PER_100 // 100, experts))
        ]
        opinions = ExpertOpinions(overall=Opinion(strengths="理念清晰", problems="材料不足", advice="补充佐证"))
        for i in range(institutions):
            institution = institution_rows.create_institution(
                session, name=f"基准大学{i:04d}", type=kinds[i % len(kinds)]
            )
            submission = submissions.create_submission(
                session, institution_id=institution.id, title="自评报告", campaign_id=campaign.id
            )
            version = versions.create_version(
                session, submission_id=submission.id, sha256=f"{i:064x}", original_name="自评报告.pdf", size_bytes=1
            )
            stats = ParseStats(blocks=100, chunks=200, chars=60000, tables=5)
            versions.mark_version_ready(
                session, version_id=version.id, media_type="application/pdf", pages=60, stats=stats
            )
            job = jobs.create_job(session, kind=JobKind.REVIEW, version_id=version.id, rubric_id=RUBRIC)
            record = reviews.save_review(
                session, job_id=job.id, version_id=version.id, review=_review(rubric, rng, f"{i:064x}")
            )
            if i % 10 == 0:
                selection.set_tags(session, submission_id=submission.id, tags=["数字化"])
            chosen = rng.sample(expert_ids, experts)
            for expert_id in chosen:
                assignments.assign_expert(session, expert_id=expert_id, submission_id=submission.id)
                # Submitting needs every point decided: most accepted, some marks and one level changed.
                for a in record.assessments:
                    for p in a.summary.points:
                        changed = rng.random() < 0.2
                        decisions.add_decision(
                            session,
                            assessment_id=a.id,
                            reviewer_id=expert_id,
                            action=DecisionAction.EDIT if changed else DecisionAction.ACCEPT,
                            point_id=p.point_id,
                            final_mark=Mark.CLEAR if changed else None,
                        )
                top = rng.choice(list(record.assessments))
                decisions.add_decision(
                    session,
                    assessment_id=top.id,
                    reviewer_id=expert_id,
                    action=DecisionAction.EDIT,
                    final_level=rubric.scale[0].id,
                )
                expert_reviews.submit_review(session, reviewer_id=expert_id, review_id=record.id, opinions=opinions)
            if i % 50 == 49:
                session.commit()
        session.commit()
        return campaign.id


def run_selection_bench(work_dir: Path, *, institutions: int, experts: int, repeat: int) -> list[SelectionTiming]:
    """Build the campaign in ``work_dir`` and time each secretariat page ``repeat`` times."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from backend.config import Settings
    from backend.db.session import get_engine
    from backend.web.app import create_app

    settings = Settings(data_dir=work_dir / "var", database_url="", broker_url="")
    campaign_id = build_campaign(settings, institutions=institutions, experts=experts)
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(get_engine(settings), "before_cursor_execute", count)
    app = create_app(settings)
    timings = []
    with TestClient(app, follow_redirects=False) as client:
        client.post("/login", data={"username": "secretariat", "password": PASSWORD})
        base = f"/campaigns/{campaign_id}"
        plan = [
            ("材料看板", base),
            ("排名与入围", f"{base}/ranking"),
            ("入围名单 Excel", f"{base}/shortlist.xlsx"),
            ("统计图表", f"{base}/charts"),
            ("专家分配", f"{base}/assignments"),
            ("活动总结 Word", f"{base}/summary.docx"),
        ]
        for name, path in plan:
            client.get(path)
            samples, last = [], None
            statements[0] = 0
            for _ in range(repeat):
                start = time.perf_counter()
                last = client.get(path)
                samples.append(time.perf_counter() - start)
            timings.append(
                SelectionTiming(
                    name,
                    path,
                    last.status_code,
                    len(last.content) / 1024,
                    percentile(samples, 50),
                    max(samples),
                    statements[0] // repeat,
                )
            )
    return timings


def run_cli(
    institutions: int, experts: int, repeat: int, out_dir: Path = Path("eval/results")
) -> list[SelectionTiming]:
    """Run the benchmark, print a table and save JSON."""
    import tempfile

    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"生成遴选活动：{institutions} 所单位，每份材料 {experts} 位专家已提交评审；逐页计时…", markup=False)
    with tempfile.TemporaryDirectory(prefix="ciqa-bench-selection-") as tmp:
        started = time.perf_counter()
        timings = run_selection_bench(Path(tmp), institutions=institutions, experts=experts, repeat=repeat)
        console.print(f"（生成数据与计时共 {time.perf_counter() - started:.0f} 秒）", markup=False)
    table = Table(
        "页面", "状态", "大小 KB", "p50 秒", "最大 秒", "SQL 语句数", title=f"秘书处页面服务端耗时（每页 {repeat} 次）"
    )
    for t in timings:
        table.add_row(t.name, str(t.status), f"{t.kb:.0f}", f"{t.p50_s:.2f}", f"{t.max_s:.2f}", str(t.statements))
    console.print(table)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_selection.json").write_text(
        json.dumps(
            {"institutions": institutions, "experts": experts, "pages": [asdict(t) for t in timings]},
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    return timings
