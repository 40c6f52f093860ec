"""Reviews over HTTP: starting one (rubric, drafter), the overview and the evidence per indicator, expert
decisions that survive re-reviews, 整改跟踪 comparison, campaign ranking, tenant-filtered lists and
conflict-of-interest assignments."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import CampaignQuotas, JobKind, Role, TagQuota
from backend.db.queries import campaigns, jobs, selection, submissions, users
from backend.db.session import get_engine
from backend.domain.enums import InstitutionType, Mark
from tests.backend.api.conftest import RUBRIC_ID, World, bearer, ready_version, stored_review
from tests.factories import QUOTE


def test_start_review_queues_a_job_with_rubric_and_drafter(
    client: TestClient, world: World, db: Session, published: list
) -> None:
    url = f"/api/versions/{world.own.version_id}/reviews"
    response = client.post(url, json={"rubric_id": RUBRIC_ID, "drafter": "llm"}, headers=bearer(world, "university"))
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["status"], job["rubric_id"], job["drafter"]) == ("review", "queued", RUBRIC_ID, "llm")
    assert published == [(job["id"], JobKind.REVIEW)]
    assert jobs.get_job(db, job_id=job["id"]).drafter == "llm"


def test_unknown_rubric_is_refused_in_chinese(client: TestClient, world: World, published: list) -> None:
    url = f"/api/versions/{world.own.version_id}/reviews"
    response = client.post(url, json={"rubric_id": "no-such-rubric"}, headers=bearer(world, "university"))
    assert response.status_code == 404
    assert response.json()["code"] == "rubric_not_found" and "找不到指标体系" in response.json()["message"]
    assert published == []


def test_review_overview_has_levels_marks_and_counts_but_no_quotes(client: TestClient, world: World) -> None:
    response = client.get(f"/api/reviews/{world.own.review_id}", headers=bearer(world, "expert"))
    review = response.json()
    (assessment,) = review["assessments"]
    assert assessment["id"] == world.own.assessment_id
    assert (assessment["indicator_id"], assessment["level"], assessment["confidence"]) == ("1.1", "C", 0.6)
    assert assessment["rationale_zh"] == "草稿" and assessment["drafter"] == "extractive"
    (point,) = assessment["points"]
    assert (point["point_id"], point["mark"], point["mark_zh"]) == ("p1", "more_material", "破折号")
    assert (point["evidence_count"], point["has_figure"], assessment["missing_count"]) == (1, False, 1)
    assert assessment["decisions"] == []
    assert review["counts"] == {
        "marks": [
            {"mark": "clear", "mark_zh": "句号", "count": 0},
            {"mark": "more_material", "mark_zh": "破折号", "count": 1},
            {"mark": "verify_on_site", "mark_zh": "问号", "count": 0},
        ],
        "levels": [{"level": "C", "level_label": "C", "count": 1}],
    }
    assert QUOTE not in response.text and "evidence" not in point


def test_assessment_shows_every_quote_with_its_page_and_section(client: TestClient, world: World) -> None:
    url = f"/api/assessments/{world.own.assessment_id}"
    assessment = client.get(url, headers=bearer(world, "university")).json()
    assert (assessment["id"], assessment["review_id"]) == (world.own.assessment_id, world.own.review_id)
    (point,) = assessment["assessment"]["points"]
    (evidence,) = point["evidence"]
    assert (evidence["quote"], evidence["page_start"]) == (QUOTE, 3)
    assert evidence["heading_path"] == ["一、质量文化", "（一）质量理念"]
    assert assessment["assessment"]["missing"][0]["expected_zh"] == "质量文化建设规划"
    assert assessment["decisions"] == []


def test_review_list_shows_each_reviews_counts(client: TestClient, world: World, db: Session) -> None:
    stored_review(db, version_id=world.own.version_id, level="A", mark=Mark.CLEAR, indicators=3)
    listed = client.get(f"/api/versions/{world.own.version_id}/reviews", headers=bearer(world, "university")).json()
    newest, oldest = listed[0]["counts"], listed[-1]["counts"]
    assert [m["count"] for m in newest["marks"]] == [3, 0, 0] and newest["levels"] == [
        {"level": "A", "level_label": "A", "count": 3}
    ]
    assert [m["count"] for m in oldest["marks"]] == [0, 1, 0]


def test_review_overview_reads_the_same_queries_whatever_its_size(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    """No query per indicator or per point: a 1-indicator and a 27-indicator review cost the same statements."""
    small, _ = stored_review(db, version_id=world.own.version_id, indicators=1)
    large, _ = stored_review(db, version_id=world.own.version_id, indicators=27)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    headers = bearer(world, "expert")
    event.listen(get_engine(settings), "before_cursor_execute", count)
    try:
        per_review = []
        for review_id in (small, large):
            statements.clear()
            body = client.get(f"/api/reviews/{review_id}", headers=headers).json()
            per_review.append((len(body["assessments"]), len(statements)))
    finally:
        event.remove(get_engine(settings), "before_cursor_execute", count)
    assert [n for n, _ in per_review] == [1, 27]
    assert per_review[0][1] == per_review[1][1]
    assert not any("indicator_assessments.assessment" in s for s in statements)


def test_decisions_stay_on_their_assessment_when_the_version_is_reviewed_again(
    client: TestClient, world: World, db: Session
) -> None:
    url = f"/api/assessments/{world.own.assessment_id}/decisions"
    edit = {"action": "edit", "final_level": "A", "comment": "现场材料充分"}
    decided = client.post(url, json=edit, headers=bearer(world, "expert"))
    assert decided.status_code == 201
    point = {"action": "edit", "point_id": "p1", "final_mark": "clear"}
    assert client.post(url, json=point, headers=bearer(world, "expert")).status_code == 201

    new_review_id, _ = stored_review(db, version_id=world.own.version_id, level="D")

    headers = bearer(world, "secretariat")
    old = client.get(f"/api/reviews/{world.own.review_id}", headers=headers).json()
    new = client.get(f"/api/reviews/{new_review_id}", headers=headers).json()
    assert [(d["point_id"], d["final_level"], d["final_mark"]) for d in old["assessments"][0]["decisions"]] == [
        (None, "A", None),
        ("p1", None, "clear"),
    ]
    assert new["assessments"][0]["decisions"] == [] and new["assessments"][0]["level"] == "D"
    full = client.get(f"/api/assessments/{world.own.assessment_id}", headers=headers).json()
    assert [(d["point_id"], d["final_level"]) for d in full["decisions"]] == [(None, "A"), ("p1", None)]
    listed = client.get(f"/api/versions/{world.own.version_id}/reviews", headers=headers).json()
    assert [r["id"] for r in listed][:2] == [new_review_id, world.own.review_id]
    assert len(client.get(url, headers=headers).json()) == 2


def test_reject_without_reason_is_refused_in_chinese(client: TestClient, world: World) -> None:
    url = f"/api/assessments/{world.own.assessment_id}/decisions"
    response = client.post(url, json={"action": "reject"}, headers=bearer(world, "expert"))
    assert response.status_code == 422 and "理由" in response.json()["message"]


def test_comparison_shows_covered_items_and_moved_levels(client: TestClient, world: World) -> None:
    url = f"/api/versions/{world.own.version2_id}/comparison"
    implicit = client.get(url, headers=bearer(world, "university")).json()
    explicit = client.get(f"{url}?previous={world.own.version_id}", headers=bearer(world, "university")).json()
    assert implicit == explicit
    (level,) = implicit["levels"]
    assert (level["before"], level["after"], level["moved"]) == ("C", "B", 1)
    (point,) = implicit["points"]
    assert (point["change"], point["change_zh"]) == ("now_covered", "已补充")


def test_comparison_with_another_institutions_version_is_404(client: TestClient, world: World) -> None:
    url = f"/api/versions/{world.own.version2_id}/comparison?previous={world.other.version_id}"
    assert client.get(url, headers=bearer(world, "university")).status_code == 404


def test_ranking_within_institution_type(client: TestClient, world: World, db: Session) -> None:
    url = f"/api/campaigns/{world.campaign_id}/ranking"
    ranking = client.get(url, headers=bearer(world, "secretariat")).json()
    (applied,) = ranking["categories"]
    assert applied["category"] == "应用型"
    ranked = applied["rows"]
    assert {r["submission_id"] for r in ranked} == {world.own.submission_id, world.other.submission_id}
    assert [r["rank"] for r in ranked] == [1, 2]
    assert all(r["source"] == "ai" and r["review_id"] for r in ranked)
    assert ranking["unit"] == "institution"
    assert {r["title"] for r in ranked} == {"甲大学自评报告", "乙大学自评报告"}

    # The API applies the quotas as the ranking page does: one seat in all, reserved for 数字化 across categories,
    # goes to the second-ranked tagged school, not to the first by rank.
    second = ranked[1]["submission_id"]
    campaign = campaigns.get_campaign(db, campaign_id=world.campaign_id)
    campaign.quotas = CampaignQuotas(total=1, tagged=(TagQuota(tag="数字化", seats=1),))
    selection.set_tags(db, submission_id=second, tags=["数字化"])
    db.commit()
    rows = client.get(url, headers=bearer(world, "secretariat")).json()["categories"][0]["rows"]
    assert [(r["submission_id"], r["proposed"], r["seat_tag"], r["seat_cross_category"]) for r in rows] == [
        (ranked[0]["submission_id"], False, None, False),
        (second, True, "数字化", True),
    ]


def test_a_report_campaign_ranks_an_institution_once_and_keeps_its_seat(
    client: TestClient, world: World, db: Session
) -> None:
    # 甲's shortlist seat was fixed on its first report; then 甲 files a newer one, which alone is ranked.
    seat = selection.ShortlistRow(
        world.own.institution_id, world.own.submission_id, InstitutionType.APPLIED, 1, 0.5, ""
    )
    selection.replace_shortlist(
        db, campaign_id=world.campaign_id, rows=[seat], fixed_by=world.user_ids["secretariat"], now=utcnow()
    )
    newer = submissions.create_submission(
        db,
        institution_id=world.own.institution_id,
        title="甲大学自评报告（修订稿）",
        campaign_id=world.campaign_id,
        created_by=world.user_ids["university"],
    )
    db.commit()
    version_id, _ = ready_version(db, submission_id=newer.id, content="甲大学-修订稿")
    stored_review(db, version_id=version_id)
    url = f"/api/campaigns/{world.campaign_id}/ranking"
    rows = client.get(url, headers=bearer(world, "secretariat")).json()["categories"][0]["rows"]
    assert sorted(r["institution_id"] for r in rows) == sorted([world.own.institution_id, world.other.institution_id])
    own = next(r for r in rows if r["institution_id"] == world.own.institution_id)
    # The seat is the institution's in a campaign of reports, so its newest report's row holds it.
    assert (own["submission_id"], own["title"], own["other_submissions"], own["on_shortlist"]) == (
        newer.id,
        "甲大学自评报告（修订稿）",
        1,
        True,
    )


def test_lists_are_filtered_by_tenant(client: TestClient, world: World) -> None:
    def ids(role: str) -> set[int]:
        return {s["id"] for s in client.get("/api/submissions", headers=bearer(world, role)).json()}

    assert ids("university") == {world.own.submission_id}
    assert ids("expert") == {world.own.submission_id}
    assert ids("secretariat") == {world.own.submission_id, world.other.submission_id}


def test_expert_sees_only_own_assignments(client: TestClient, world: World) -> None:
    mine = client.get("/api/assignments", headers=bearer(world, "expert")).json()
    assert [(a["expert_id"], a["submission_id"]) for a in mine] == [(world.user_ids["expert"], world.own.submission_id)]


def test_assigning_an_expert_to_their_own_institution_is_a_conflict(
    client: TestClient, world: World, db: Session
) -> None:
    colleague = users.create_user(db, username="甲-expert", role=Role.EXPERT, institution_id=world.own.institution_id)
    db.commit()
    body = {"expert_id": colleague.id, "submission_id": world.own.submission_id}
    response = client.post("/api/assignments", json=body, headers=bearer(world, "secretariat"))
    assert response.status_code == 409 and "利益冲突" in response.json()["message"]


def test_university_creates_submissions_only_for_its_own_institution(client: TestClient, world: World) -> None:
    created = client.post("/api/submissions", json={"title": "新报告"}, headers=bearer(world, "university")).json()
    assert created["institution_id"] == world.own.institution_id
