"""The secretariat's pages on the API tests' world: campaign form with quotas (errors beside the fields), the board
with statuses and filters, bulk review job, tags, assignment with conflicts, ranking and shortlist, downloads."""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import AuditEvent, CampaignQuotas, JobKind, Role, TagQuota
from backend.db.queries import assignments, campaigns, institutions, jobs, selection, submissions, users
from backend.domain.enums import InstitutionType
from backend.review.flows import run_campaign_job
from tests.backend.api.conftest import PASSWORD_HASH, World, ready_version
from tests.backend.web.conftest import csrf


def _campaign_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "2026年质量文化示范校遴选（测试）",
        "kind": "self_evaluation",
        "rubric_id": "quality-culture-2026",
        "deadline": "2026-06-30T17:00",
        "quota_RESEARCH": "2",
        "quota_APPLIED": "1",
        "quota_VOCATIONAL": "1",
        "total": "4",
        "tag_type_0": "应用型",
        "tag_0": "数字化",
        "tag_seats_0": "1",
        "experts_per_submission": "1",
        "expert_load_limit": "",
        "review_due_at": "",
    }
    return form | overrides


def test_create_campaign_with_quotas_and_tagged_seats(browser_as, db: Session) -> None:
    client = browser_as("secretariat")
    assert client.get("/campaigns/new").status_code == 200
    r = client.post("/campaigns", data=_campaign_form(), headers=csrf(client))
    assert r.status_code == 303, r.text
    campaign_id = int(re.search(r"/campaigns/(\d+)", r.headers["location"]).group(1))
    saved = campaigns.get_campaign(db, campaign_id=campaign_id)
    assert saved.quotas.by_type[InstitutionType.APPLIED] == 1
    assert [(q.type, q.tag, q.seats) for q in saved.quotas.tagged] == [(InstitutionType.APPLIED, "数字化", 1)]
    assert saved.experts_per_submission == 1
    assert saved.expert_results_visible is False  # the box was not ticked
    assert client.get(f"/campaigns/{campaign_id}/edit").status_code == 200
    r = client.post(
        f"/campaigns/{campaign_id}/edit", data=_campaign_form(expert_results_visible="on"), headers=csrf(client)
    )
    assert r.status_code == 303, r.text
    db.expire_all()
    assert campaigns.get_campaign(db, campaign_id=campaign_id).expert_results_visible is True
    # "50 所中数字化 5 所，高职 15 所": a total, one category quota, tagged seats across every category.
    across = _campaign_form(
        quota_RESEARCH="", quota_APPLIED="", quota_VOCATIONAL="15", total="50", tag_type_0="all", tag_seats_0="5"
    )
    assert client.post(f"/campaigns/{campaign_id}/edit", data=across, headers=csrf(client)).status_code == 303
    db.expire_all()
    quotas = campaigns.get_campaign(db, campaign_id=campaign_id).quotas
    assert (quotas.total, quotas.by_type, quotas.shared) == (50, {InstitutionType.VOCATIONAL: 15}, 35)
    assert [(q.type, q.tag, q.seats) for q in quotas.tagged] == [(None, "数字化", 5)]
    form = client.get(f"/campaigns/{campaign_id}/edit").text
    assert re.search(r'<option value="all" selected>全部类别</option>', form)


def test_campaign_form_errors_show_beside_their_fields(browser_as) -> None:
    client = browser_as("secretariat")
    r = client.post("/campaigns", data=_campaign_form(tag_seats_0="3"), headers=csrf(client))
    assert r.status_code == 422
    assert re.search(r'id="tagged-error"[^>]*>[^<]*应用型的标签名额合计 3 超过该类别名额 1', r.text)
    r = client.post("/campaigns", data=_campaign_form(tag_type_0="all", tag_seats_0="5"), headers=csrf(client))
    assert re.search(r'id="tagged-error"[^>]*>[^<]*跨类别标签名额合计 5 超过总名额 4', r.text)
    r = client.post("/campaigns", data=_campaign_form(total="3"), headers=csrf(client))
    assert re.search(r'id="tagged-error"[^>]*>[^<]*各类别名额合计 4 超过总名额 3', r.text)
    r = client.post("/campaigns", data=_campaign_form(quota_APPLIED="-1"), headers=csrf(client))
    assert re.search(r'id="quota_APPLIED-error"[^>]*>请填写不小于 0 的整数', r.text)
    r = client.post("/campaigns", data=_campaign_form(kind="case"), headers=csrf(client))
    assert r.status_code == 422
    assert re.search(r'id="rubric_id-error"[^>]*>[^<]*只适用于', r.text)


def test_board_lists_every_institution_with_status_and_filters(browser_as, world: World, db: Session) -> None:
    client = browser_as("secretariat")
    page = client.get(f"/campaigns/{world.campaign_id}").text
    # 甲/乙 have reviewed submissions (甲 has an expert), 丙 (the expert's employer) has none.
    assert re.search(r'data-status="expert_reviewing"', page)
    assert re.search(r'data-status="ai_reviewed"', page)
    assert re.search(r'id="i\d+" data-status="not_submitted"', page)
    only = client.get(f"/campaigns/{world.campaign_id}?status=not_submitted").text
    assert "丙大学" in only and "甲大学" not in only
    r = client.post(
        f"/campaigns/{world.campaign_id}/submissions/{world.other.submission_id}/tags",
        data={"tags": "数字化、示范"},
        headers=csrf(client),
    )
    assert r.status_code == 303
    assert selection.campaign_tags(db, campaign_id=world.campaign_id)[world.other.submission_id] == ("数字化", "示范")
    tagged = client.get(f"/campaigns/{world.campaign_id}?tag=数字化").text
    assert "乙大学" in tagged and "甲大学" not in tagged


def test_bulk_review_is_one_job_and_refused_while_pending(
    browser_as, world: World, db: Session, published, settings: Settings
) -> None:
    client = browser_as("secretariat")
    r = client.post(f"/campaigns/{world.campaign_id}/reviews", data={"rerun": "true"}, headers=csrf(client))
    assert r.status_code == 303
    job = jobs.list_jobs(db, campaign_id=world.campaign_id)[0]
    assert job.kind is JobKind.REVIEW_CAMPAIGN and job.rerun
    assert published[-1] == (job.id, JobKind.REVIEW_CAMPAIGN)
    again = client.post(f"/campaigns/{world.campaign_id}/reviews", headers=csrf(client))
    assert again.status_code == 409 and "正在进行" in again.text
    assert 'aria-label="批量评审进度"' in client.get(f"/campaigns/{world.campaign_id}/progress").text
    # The world's review jobs ran (as a worker would have finished them).
    for side in (world.own, world.other):
        for version_id in (side.version_id, side.version2_id):
            for done in jobs.list_jobs(db, version_id=version_id):
                jobs.claim_job(db, job_id=done.id, token="t", now=utcnow(), stale_before=utcnow())
                jobs.finish_job(db, job_id=done.id, token="t", now=utcnow())
    db.commit()
    # The job re-reviews each submission's newest ready report (reviewed already: only because it is a re-run).
    queued = run_campaign_job(db, job.id, settings)
    reviewed = {jobs.get_job(db, job_id=i).version_id for i in queued}
    assert reviewed == {world.own.version2_id, world.other.version2_id}
    plain = jobs.create_job(db, kind=JobKind.REVIEW_CAMPAIGN, campaign_id=world.campaign_id)
    db.commit()
    assert run_campaign_job(db, plain.id, settings) == []  # nothing unreviewed, and the re-run's reviews are queued


def test_assignment_proposal_respects_conflicts_and_refusal_shows_beside_submission(
    browser_as, world: World, db: Session
) -> None:
    client = browser_as("secretariat")
    # The spare expert declares a conflict with 乙大学: they must never be proposed for it.
    selection.set_conflicts(db, expert_id=world.spare_expert_id, institution_ids=[world.other.institution_id])
    db.commit()
    page = client.get(f"/campaigns/{world.campaign_id}/assignments").text
    assert f'value="{world.spare_expert_id}:{world.other.submission_id}"' not in page
    r = client.post(
        f"/campaigns/{world.campaign_id}/assignments",
        data={"pair": f"{world.spare_expert_id}:{world.other.submission_id}"},
        headers=csrf(client),
    )
    assert r.status_code == 409
    assert "利益冲突：专家已声明与该单位存在利益关系" in r.text
    assert (
        assignments.find_assignment(db, expert_id=world.spare_expert_id, submission_id=world.other.submission_id)
        is None
    )
    ok = client.post(
        f"/campaigns/{world.campaign_id}/assignments",
        data={"pair": f"{world.user_ids['expert']}:{world.other.submission_id}"},
        headers=csrf(client),
    )
    assert ok.status_code == 303
    db.expire_all()
    assert assignments.find_assignment(db, expert_id=world.user_ids["expert"], submission_id=world.other.submission_id)


def test_ranking_fix_shortlist_and_downloads(browser_as, world: World, db: Session) -> None:
    client = browser_as("secretariat")
    page = client.get(f"/campaigns/{world.campaign_id}/ranking").text
    assert "AI 初评（未经专家确认）" in page
    # No quota set in the world's campaign: no institution can be chosen.
    r = client.post(
        f"/campaigns/{world.campaign_id}/shortlist",
        data={"chosen": str(world.own.institution_id)},
        headers=csrf(client),
    )
    assert r.status_code == 422
    assert re.search(r'id="note-error"[^>]*>应用型没有单列名额，共享总名额剩余的 0 所，已选 1 所', r.text)
    campaign = campaigns.get_campaign(db, campaign_id=world.campaign_id)
    campaign.quotas = campaign.quotas.model_copy(update={"by_type": {InstitutionType.APPLIED: 1}})
    db.commit()
    # 甲 and 乙 tie (same review): 甲 is proposed (lower id), the tie at the quota line is shown.
    page = client.get(f"/campaigns/{world.campaign_id}/ranking").text
    assert "名额线处存在同分" in page and page.count("并列") >= 2
    choose_other = {"chosen": str(world.other.institution_id)}
    r = client.post(f"/campaigns/{world.campaign_id}/shortlist", data=choose_other, headers=csrf(client))
    assert r.status_code == 422 and "请在备注中说明理由" in r.text
    r = client.post(
        f"/campaigns/{world.campaign_id}/shortlist",
        data=choose_other | {"note": "同分，乙大学特色更突出"},
        headers=csrf(client),
    )
    assert r.status_code == 303
    fixed = selection.list_shortlist(db, campaign_id=world.campaign_id)
    assert [(e.institution_id, e.rank, e.note) for e in fixed] == [
        (world.other.institution_id, 2, "同分，乙大学特色更突出")
    ]
    assert fixed[0].fixed_by == world.user_ids["secretariat"]
    book = load_workbook(io.BytesIO(client.get(f"/campaigns/{world.campaign_id}/shortlist.xlsx").content))
    sheet = book.worksheets[0]
    assert sheet.title.startswith("应用型")
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith("A1:")
    assert [c.value for c in sheet[1]][:3] == ["排名", "单位", "得分"]
    rows = {sheet.cell(row=i, column=2).value: sheet.cell(row=i, column=8).value for i in (2, 3)}
    assert rows == {"甲大学": "否", "乙大学": "是"}
    summary = Document(io.BytesIO(client.get(f"/campaigns/{world.campaign_id}/summary.docx").content))
    assert any("分类排名与名额" in p.text for p in summary.paragraphs)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/campaigns/{world.campaign_id}/reviews.zip").content))
    assert sorted(n.split("-")[0] for n in archive.namelist()) == ["乙大学", "甲大学"]
    charts = client.get(f"/campaigns/{world.campaign_id}/charts").text
    assert '<script src="/static/echarts.min.js"' in charts and '"radars"' in charts


def test_ranking_shows_total_quota_and_cross_category_tagged_seat(browser_as, world: World, db: Session) -> None:
    client = browser_as("secretariat")
    campaign = campaigns.get_campaign(db, campaign_id=world.campaign_id)
    campaign.quotas = CampaignQuotas(total=1, tagged=(TagQuota(tag="数字化", seats=1),))
    selection.set_tags(db, submission_id=world.other.submission_id, tags=["数字化"])
    db.commit()
    page = client.get(f"/campaigns/{world.campaign_id}/ranking").text
    # 乙 ties with 甲 and ranks below it, but takes the one seat: it is reserved for 数字化 across categories.
    assert "总名额 1 所；其中数字化 1 所（跨类别，按名额推荐：乙大学）；按名额推荐 1 所" in page
    row = re.search(r'<tr[^>]*data-institution="乙大学">.*?</tr>', page, re.S)
    assert row is not None and "数字化名额（跨类别）" in row.group(0) and "checked" in row.group(0)
    assert "无单列名额（共享总名额剩余名额）" in page and "名额如何分配" in page
    both = {"chosen": [str(world.own.institution_id), str(world.other.institution_id)], "note": "都选"}
    r = client.post(f"/campaigns/{world.campaign_id}/shortlist", data=both, headers=csrf(client))
    assert r.status_code == 422 and "共享总名额剩余的 1 所，已选 2 所" in r.text
    assert selection.list_shortlist(db, campaign_id=world.campaign_id) == []


def test_people_add_and_import_institutions_and_experts(browser_as, db: Session, world: World) -> None:
    client = browser_as("secretariat")
    r = client.post("/people/institutions", data={"name": "丁职业技术学院", "type": "高职"}, headers=csrf(client))
    assert r.status_code == 303
    dup = client.post("/people/institutions", data={"name": "丁职业技术学院", "type": "高职"}, headers=csrf(client))
    assert re.search(r'id="institution-error"[^>]*>单位「丁职业技术学院」已存在', dup.text)
    book = Workbook()
    book.active.append(["名称", "类型", "地区"])
    book.active.append(["戊大学", "研究型", "北京"])
    book.active.append(["己学院", "本科", ""])
    data = io.BytesIO()
    book.save(data)
    bad = client.post("/people/institutions/import", files={"file": ("i.xlsx", data.getvalue())}, headers=csrf(client))
    assert bad.status_code == 422 and "第 3 行：类型须为" in bad.text
    assert institutions.find_institution_by_name(db, name="戊大学") is None
    experts = Workbook()
    experts.active.append(["账号", "姓名", "所属单位", "回避单位", "初始密码"])
    experts.active.append(["zhang.expert", "张专家", "丙大学", "甲大学、乙大学", ""])
    data = io.BytesIO()
    experts.save(data)
    ok = client.post("/people/experts/import", files={"file": ("e.xlsx", data.getvalue())}, headers=csrf(client))
    assert ok.status_code == 200 and "初始密码只显示这一次" in ok.text
    added = users.find_user_by_username(db, username="zhang.expert")
    assert {c.institution_id for c in selection.list_conflicts(db, expert_id=added.id)} == {
        world.own.institution_id,
        world.other.institution_id,
    }


def test_charts_show_kappa_of_submitted_expert_reviews(browser_as, world: World, db: Session) -> None:
    from backend.db.models import DecisionAction, ExpertOpinions, Opinion
    from backend.db.queries import decisions, expert_reviews
    from backend.domain.enums import Mark

    client = browser_as("secretariat")
    empty = client.get(f"/campaigns/{world.campaign_id}/charts").text
    assert "还没有已提交的专家评审" in empty
    # The assigned expert marks p1 of the own submission's review 句号 (the AI said 破折号), then submits.
    decisions.add_decision(
        db,
        assessment_id=world.own.assessment_id,
        reviewer_id=world.user_ids["expert"],
        action=DecisionAction.EDIT,
        point_id="p1",
        final_mark=Mark.CLEAR,
        comment="材料充分",
    )
    db.commit()
    unsubmitted = client.get(f"/campaigns/{world.campaign_id}/charts").text
    assert "还没有已提交的专家评审" in unsubmitted  # decisions count once the review is submitted
    expert_reviews.submit_review(
        db,
        reviewer_id=world.user_ids["expert"],
        review_id=world.own.review_id,
        opinions=ExpertOpinions(overall=Opinion(strengths="好")),
    )
    db.commit()
    page = client.get(f"/campaigns/{world.campaign_id}/charts").text
    assert 'data-chart="kappa"' in page
    row = page.split("<td>1.1</td>", 1)[1].split("</tr>", 1)[0]
    # One pair (AI 破折号, expert 句号): chance agreement is 0, observed 0 → κ 0; no second expert → no pairs.
    assert '<td class="num">0.00</td><td class="num">1</td>' in row
    assert '<td class="num">—</td><td class="num">0</td>' in row


def test_ranking_explains_expert_scored_rows_with_the_experts_marks(world: World, db: Session, settings: Settings):
    from backend.db.models import DecisionAction, ExpertOpinions, Opinion
    from backend.db.queries import decisions, expert_reviews, reviews
    from backend.domain.enums import Mark
    from backend.selection.shortlist import campaign_shortlist

    campaign = campaigns.get_campaign(db, campaign_id=world.campaign_id)
    # The ranking reads the newest version's review (version 2: the AI marked p1 句号).
    newest = reviews.latest_review(db, version_id=world.own.version2_id)
    assessment_id = newest.assessments[0].id

    def own_marks() -> dict[Mark, int]:
        shortlist = campaign_shortlist(db, campaign=campaign, settings=settings)
        (part,) = shortlist.explained[world.own.submission_id]
        return part.marks

    assert (own_marks()[Mark.CLEAR], own_marks()[Mark.VERIFY_ON_SITE]) == (1, 0)
    decisions.add_decision(
        db,
        assessment_id=assessment_id,
        reviewer_id=world.user_ids["expert"],
        action=DecisionAction.EDIT,
        point_id="p1",
        final_mark=Mark.VERIFY_ON_SITE,
    )
    db.commit()
    assert own_marks()[Mark.VERIFY_ON_SITE] == 0  # not submitted yet: still the AI's marks
    expert_reviews.submit_review(
        db, reviewer_id=world.user_ids["expert"], review_id=newest.id, opinions=ExpertOpinions(overall=Opinion())
    )
    db.commit()
    assert (own_marks()[Mark.CLEAR], own_marks()[Mark.VERIFY_ON_SITE]) == (0, 1)


def test_reminders_reach_only_the_reminded_institution_until_it_uploads(browser_as, world: World, db: Session) -> None:
    # 丙 and 丁 have not submitted; 甲 (the world's university) has.
    late = {}
    for name in ("丙学院", "丁学院"):
        institution = institutions.create_institution(db, name=name, type=InstitutionType.VOCATIONAL)
        users.create_user(
            db,
            username=f"uni-{name}",
            role=Role.UNIVERSITY,
            institution_id=institution.id,
            password_hash=PASSWORD_HASH,
        )
        late[name] = institution.id
    db.commit()
    secretariat = browser_as("secretariat")
    r = secretariat.post(f"/campaigns/{world.campaign_id}/remind", headers=csrf(secretariat))
    assert r.status_code == 303
    events = db.query(AuditEvent).filter_by(action="campaign.remind").all()
    reminded_ids = {int(e.object_id) for e in events}
    assert set(late.values()) <= reminded_ids and world.own.institution_id not in reminded_ids

    def home_of(username: str) -> str:
        world.usernames[username] = username
        return browser_as(username).get("/").text

    reminded = home_of("uni-丙学院")
    assert reminded.count('class="alert info reminder"') == 1
    assert "秘书处" in reminded and "提醒：贵校尚未向“质量文化示范校遴选”提交自评报告" in reminded
    # The institution that submitted sees no reminder, nor anybody else's.
    assert "reminder" not in browser_as("university").get("/").text
    # Once 丁 has a submission with a report in the campaign, its reminder goes away; on the submission page too.
    submission = submissions.create_submission(
        db, institution_id=late["丁学院"], title="丁学院自评报告", campaign_id=world.campaign_id
    )
    db.commit()
    world.usernames["uni-丁学院"] = "uni-丁学院"
    client = browser_as("uni-丁学院")
    assert "提醒：尚未上传自评报告" in client.get(f"/submissions/{submission.id}").text
    ready_version(db, submission_id=submission.id, content="丁学院-1")
    assert "reminder" not in client.get("/").text
    assert "提醒：尚未上传自评报告" not in client.get(f"/submissions/{submission.id}").text
    # Another institution's submission page stays closed to them (no reminder leaks through it).
    assert client.get(f"/submissions/{world.own.submission_id}").status_code == 404
